/**
 * What MaxMind's test databases (GeoLite2-City-Test, GeoLite2-ASN-Test in
 * testdata/geoip) answer for the simulator's public addresses (GEO_ADDRESSES):
 * the network each address falls in and its English facts. The demo databases
 * (geoip-databases.ts) are built from this; a unit test compares them with the
 * test databases.
 */

export interface DemoNamed {
  /** ISO code (country, subdivision) or continent code. */
  code: string;
  name: string;
}

export interface DemoPlace {
  city?: string;
  continent: DemoNamed;
  country: DemoNamed;
  /** Largest first, as GeoIP2 lists them. */
  subdivisions?: DemoNamed[];
  location: { latitude: number; longitude: number };
}

export interface DemoAs {
  number: number;
  organization?: string;
}

const EUROPE: DemoNamed = { code: 'EU', name: 'Europe' };
const ASIA: DemoNamed = { code: 'AS', name: 'Asia' };
const NORTH_AMERICA: DemoNamed = { code: 'NA', name: 'North America' };
const GB: DemoNamed = { code: 'GB', name: 'United Kingdom' };
const US: DemoNamed = { code: 'US', name: 'United States' };
const ENGLAND: DemoNamed = { code: 'ENG', name: 'England' };

const LONDON: DemoPlace = { city: 'London', continent: EUROPE, country: GB, subdivisions: [ENGLAND], location: { latitude: 51.5142, longitude: -0.0931 } };
const MILTON: DemoPlace = {
  city: 'Milton', continent: NORTH_AMERICA, country: US, subdivisions: [{ code: 'WA', name: 'Washington' }], location: { latitude: 47.2513, longitude: -122.3149 },
};
const CHANGCHUN: DemoPlace = {
  city: 'Changchun', continent: ASIA, country: { code: 'CN', name: 'China' }, subdivisions: [{ code: '22', name: 'Jilin Sheng' }], location: { latitude: 43.88, longitude: 125.3228 },
};
const LINKOPING: DemoPlace = {
  city: 'Linköping', continent: EUROPE, country: { code: 'SE', name: 'Sweden' }, subdivisions: [{ code: 'E', name: 'Östergötland County' }], location: { latitude: 58.4167, longitude: 15.6167 },
};
const BOXFORD: DemoPlace = {
  city: 'Boxford', continent: EUROPE, country: GB, subdivisions: [ENGLAND, { code: 'WBK', name: 'West Berkshire' }], location: { latitude: 51.75, longitude: -1.25 },
};
const BHUTAN: DemoPlace = { continent: ASIA, country: { code: 'BT', name: 'Bhutan' }, location: { latitude: 27.5, longitude: 90.5 } };
const SAN_DIEGO: DemoPlace = {
  city: 'San Diego', continent: NORTH_AMERICA, country: US, subdivisions: [{ code: 'CA', name: 'California' }], location: { latitude: 32.7203, longitude: -117.1552 },
};
const NORWAY: DemoPlace = { continent: EUROPE, country: { code: 'NO', name: 'Norway' }, location: { latitude: 62, longitude: 10 } };

/** City database networks holding the simulator's addresses. */
export const DEMO_CITY_NETWORKS: readonly { network: string; place: DemoPlace }[] = [
  { network: '81.2.69.142/31', place: LONDON },
  { network: '81.2.69.160/27', place: LONDON },
  { network: '81.2.69.192/28', place: LONDON },
  { network: '216.160.83.56/29', place: MILTON },
  { network: '175.16.199.0/24', place: CHANGCHUN },
  { network: '89.160.20.112/28', place: LINKOPING },
  { network: '89.160.20.128/25', place: LINKOPING },
  { network: '2.125.160.216/29', place: BOXFORD },
  { network: '67.43.156.0/24', place: BHUTAN },
  { network: '2001:480::/43', place: SAN_DIEGO },
  { network: '2a02:cf40::/29', place: NORWAY },
];

/** ASN database networks holding the simulator's addresses. */
export const DEMO_ASN_NETWORKS: readonly { network: string; as: DemoAs }[] = [
  { network: '216.160.64.0/18', as: { number: 209 } },
  { network: '89.160.0.0/17', as: { number: 29518, organization: 'Bredband2 AB' } },
  { network: '67.43.152.0/21', as: { number: 35908 } },
  { network: '1.128.0.0/11', as: { number: 1221, organization: 'Telstra Pty Ltd' } },
  { network: '12.81.92.0/22', as: { number: 7018, organization: 'AT&T Services' } },
];
