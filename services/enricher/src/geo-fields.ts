/**
 * MaxMind lookup results to ECS fields (ecs-mapping.md B.3), pure. The shapes
 * are those of GeoIP2/GeoLite2 City, Country and ASN databases.
 */

export interface EcsGeo {
  city_name?: string;
  continent_name?: string;
  country_iso_code?: string;
  country_name?: string;
  location?: { lat: number; lon: number };
  region_iso_code?: string;
  region_name?: string;
}

export interface EcsAs {
  number?: number;
  organization?: { name: string };
}

/** What a lookup adds to `<prefix>geo` and `<prefix>as`. */
export interface GeoResult {
  geo?: EcsGeo;
  as?: EcsAs;
}

interface Named {
  iso_code?: string;
  names?: { en?: string };
}

/** The City/Country response fields used (structural subset of mmdb-lib's types). */
export interface CityLike {
  city?: Named;
  continent?: Named;
  country?: Named;
  location?: { latitude?: number; longitude?: number };
  subdivisions?: Named[];
}

export interface AsnLike {
  autonomous_system_number?: number;
  autonomous_system_organization?: string;
}

export function cityToGeo(city: CityLike | null | undefined): EcsGeo | undefined {
  if (!city) return undefined;
  const geo: EcsGeo = {};
  const cityName = city.city?.names?.en;
  if (cityName) geo.city_name = cityName;
  const continent = city.continent?.names?.en;
  if (continent) geo.continent_name = continent;
  const countryIso = city.country?.iso_code;
  if (countryIso) geo.country_iso_code = countryIso;
  const country = city.country?.names?.en;
  if (country) geo.country_name = country;
  const { latitude, longitude } = city.location ?? {};
  if (typeof latitude === 'number' && typeof longitude === 'number') geo.location = { lat: latitude, lon: longitude };
  // The most specific subdivision (the last), as Elasticsearch's geoip processor takes it:
  // 2.125.160.216 is in West Berkshire (GB-WBK), within England (GB-ENG).
  const subdivisions = city.subdivisions ?? [];
  const region = subdivisions[subdivisions.length - 1];
  if (region?.iso_code && countryIso) geo.region_iso_code = `${countryIso}-${region.iso_code}`;
  const regionName = region?.names?.en;
  if (regionName) geo.region_name = regionName;
  return Object.keys(geo).length > 0 ? geo : undefined;
}

export function asnToAs(asn: AsnLike | null | undefined): EcsAs | undefined {
  if (!asn) return undefined;
  const as: EcsAs = {};
  if (typeof asn.autonomous_system_number === 'number') as.number = asn.autonomous_system_number;
  if (asn.autonomous_system_organization) as.organization = { name: asn.autonomous_system_organization };
  return Object.keys(as).length > 0 ? as : undefined;
}

/** What stage B needs from GeoIP: one call per address, no I/O visible. */
export interface GeoLookup {
  lookup(ip: string): GeoResult | undefined;
}
