/**
 * GeoIP databases for the demo: a City and an ASN database in MaxMind DB
 * format that answer for the simulator's public addresses as MaxMind's test
 * databases do (geoip-data.ts), so that enrichment shows geo and AS fields
 * without a MaxMind licence. Records have the GeoIP2 City and GeoLite2 ASN
 * shapes, with English names only.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_ASN_NETWORKS, DEMO_CITY_NETWORKS, type DemoNamed, type DemoPlace } from './geoip-data.js';
import { buildMmdb, mmdbDouble, type MmdbValue } from './mmdb-writer.js';

export const DEMO_CITY_FILE = 'PRA-Demo-City.mmdb';
export const DEMO_ASN_FILE = 'PRA-Demo-ASN.mmdb';

const named = (n: DemoNamed): MmdbValue => ({ iso_code: n.code, names: { en: n.name } });

function cityRecord(p: DemoPlace): MmdbValue {
  return {
    ...(p.city === undefined ? {} : { city: { names: { en: p.city } } }),
    continent: { code: p.continent.code, names: { en: p.continent.name } },
    country: named(p.country),
    ...(p.subdivisions === undefined ? {} : { subdivisions: p.subdivisions.map(named) }),
    // Doubles as in GeoIP2, also for whole degrees.
    location: { latitude: mmdbDouble(p.location.latitude), longitude: mmdbDouble(p.location.longitude) },
  };
}

/** The demo City database's bytes (database_type PRA-Demo-City). */
export function demoCityDatabase(buildEpoch: Date = new Date()): Buffer {
  return buildMmdb(
    DEMO_CITY_NETWORKS.map(({ network, place }) => ({ network, data: cityRecord(place) })),
    { databaseType: 'PRA-Demo-City', description: { en: 'PRA pipeline demo City database (facts of the MaxMind test databases)' }, buildEpoch },
  );
}

/** The demo ASN database's bytes (database_type PRA-Demo-ASN). */
export function demoAsnDatabase(buildEpoch: Date = new Date()): Buffer {
  return buildMmdb(
    DEMO_ASN_NETWORKS.map(({ network, as }) => ({
      network,
      data: { autonomous_system_number: as.number, ...(as.organization === undefined ? {} : { autonomous_system_organization: as.organization }) },
    })),
    { databaseType: 'PRA-Demo-ASN', description: { en: 'PRA pipeline demo ASN database (facts of the MaxMind test databases)' }, buildEpoch },
  );
}

/**
 * Writes PRA-Demo-City.mmdb and PRA-Demo-ASN.mmdb into `dir` (created if
 * missing), each through a temporary name and a rename so that a reader polling
 * the directory never sees half a file. Returns their paths.
 */
export async function writeDemoGeoIpDatabases(dir: string, buildEpoch: Date = new Date()): Promise<{ city: string; asn: string }> {
  await mkdir(dir, { recursive: true });
  const city = join(dir, DEMO_CITY_FILE);
  const asn = join(dir, DEMO_ASN_FILE);
  for (const [path, bytes] of [[city, demoCityDatabase(buildEpoch)], [asn, demoAsnDatabase(buildEpoch)]] as const) {
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  }
  return { city, asn };
}
