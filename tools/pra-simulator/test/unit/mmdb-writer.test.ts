import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import maxmind, { Reader, type AsnResponse, type CityResponse } from 'maxmind';
import { GeoIpDatabases, asnToAs, cityToGeo } from '@pra-pipeline/enricher';
import { GEO_ADDRESSES, writeDemoGeoIpDatabases } from '@pra-pipeline/pra-simulator';
import { DEMO_ASN_NETWORKS, DEMO_CITY_NETWORKS } from '../../src/geoip-data.js';
import {
  buildMmdb, mmdbDouble, mmdbFloat, mmdbInt32, mmdbUint128, mmdbUint16, mmdbUint64, parseNetwork, type MmdbNetwork,
} from '../../src/mmdb-writer.js';
import { testdataDir } from './helpers.js';

type Any = Record<string, unknown>;

const read = (bytes: Buffer): Reader<Any> => new Reader<Any>(bytes);

describe('MaxMind DB writer', () => {
  // Given narrowest first: the writer must still let the most specific network win.
  const networks: MmdbNetwork[] = [
    { network: '10.1.2.3/32', data: { name: 'host' } },
    { network: '2001:db8:1::/48', data: { name: 'v6-inner' } },
    { network: '10.1.0.0/16', data: { name: 'v4-inner' } },
    { network: '10.0.0.0/8', data: { name: 'v4-outer' } },
    { network: '2001:db8::/32', data: { name: 'v6-outer' } },
    { network: '192.0.2.0/24', data: { name: 'v4-outer' } },
    { network: '198.51.100.7', data: { name: 'single' } },
  ];

  it('answers with the most specific network, for both families', () => {
    for (const recordSize of [24, 28, 32] as const) {
      const db = read(buildMmdb(networks, { databaseType: 'Test-City', recordSize }));
      assert.equal(db.metadata.recordSize, recordSize);
      // The prefix length is that of the block the lookup ends in: a nested
      // network splits the one around it, as in MaxMind's databases.
      const cases: [string, string | null, number][] = [
        ['10.1.2.3', 'host', 32],
        ['10.1.2.2', 'v4-inner', 32],
        ['10.1.2.4', 'v4-inner', 30],
        ['10.1.255.255', 'v4-inner', 17],
        ['10.2.0.1', 'v4-outer', 15],
        ['10.255.255.255', 'v4-outer', 9],
        ['10.0.0.0', 'v4-outer', 16],
        ['192.0.2.77', 'v4-outer', 24],
        ['198.51.100.7', 'single', 32],
        ['2001:db8:1:ffff::1', 'v6-inner', 48],
        ['2001:db8:1::', 'v6-inner', 48],
        ['2001:db8:8000::1', 'v6-outer', 33],
        ['2001:db8::', 'v6-outer', 48],
      ];
      for (const [ip, name, prefix] of cases) {
        const [data, length] = db.getWithPrefixLength(ip);
        assert.equal(data?.name ?? null, name, `${ip} with ${recordSize}-bit records`);
        assert.equal(length, prefix, `${ip} prefix with ${recordSize}-bit records`);
      }
      for (const ip of ['9.255.255.255', '11.0.0.0', '198.51.100.6', '198.51.100.8', '192.0.3.0', '2001:db9::1', '2001:db7:ffff::1', '::1', '::ffff:10.1.2.3']) {
        assert.equal(db.get(ip), null, `${ip} is outside every network`);
      }
    }
  });

  it('writes every data type so that the maxmind reader decodes it', () => {
    const long = 'ä'.repeat(200); // 400 bytes: a two-byte size
    const huge = 'x'.repeat(70_000); // a three-byte size
    const record = {
      utf8: 'Linköping 長春',
      empty: '',
      long,
      huge,
      // First written past offset 2048, then met again: a pointer of the next size.
      late: 'a value written late',
      lateAgain: ['a value written late', { late: 'a value written late' }],
      double: 0.1,
      wholeDouble: mmdbDouble(62),
      negativeDouble: -122.3149,
      float: mmdbFloat(1.5),
      bytes: new Uint8Array([0, 1, 254, 255]),
      uint16: mmdbUint16(65_535),
      uint32: [0, 1, 255, 256, 65_536, 4_294_967_295],
      int32: [mmdbInt32(-1), mmdbInt32(-2_147_483_648), mmdbInt32(2_147_483_647), -7, mmdbInt32(0)],
      uint64: [mmdbUint64(0n), mmdbUint64(18_446_744_073_709_551_615n), 4_294_967_296n],
      uint128: [mmdbUint128(340_282_366_920_938_463_463_374_607_431_768_211_455n), 18_446_744_073_709_551_616n],
      booleans: [true, false],
      map: { nested: { deeper: ['a', { b: 'c' }] } },
      emptyMap: {},
      emptyArray: [],
      many: Array.from({ length: 40 }, (_, i) => i),
    };
    const db = read(buildMmdb([{ network: '203.0.113.0/24', data: record }], { databaseType: 'Types' }));
    const got = db.get('203.0.113.9')!;
    assert.deepEqual(got, {
      ...record,
      wholeDouble: 62,
      float: 1.5,
      bytes: Buffer.from([0, 1, 254, 255]),
      uint16: 65_535,
      int32: [-1, -2_147_483_648, 2_147_483_647, -7, 0],
      uint64: [0n, 18_446_744_073_709_551_615n, 4_294_967_296n],
      uint128: [340_282_366_920_938_463_463_374_607_431_768_211_455n, 18_446_744_073_709_551_616n],
    });
  });

  it('writes identical records once and repeated values as pointers', () => {
    const value = { text: 'y'.repeat(1000) };
    const one = buildMmdb([{ network: '10.0.0.0/8', data: value }], { databaseType: 'T' });
    const ten = buildMmdb(
      Array.from({ length: 10 }, (_, i) => ({ network: `10.${i}.0.0/16`, data: { text: 'y'.repeat(1000) } })),
      { databaseType: 'T' },
    );
    assert.ok(ten.length < one.length + 500, `ten equal records take ${ten.length} bytes, one ${one.length}`);
    const db = read(ten);
    for (let i = 0; i < 10; i++) assert.deepEqual(db.get(`10.${i}.1.1`), value);

    // Inside records: a long string in three records, twice in the last.
    const shared = 'z'.repeat(1000);
    const inner = buildMmdb(
      [
        { network: '10.0.0.0/16', data: { a: shared, b: 1 } },
        { network: '10.1.0.0/16', data: { a: shared, b: 2 } },
        { network: '10.2.0.0/16', data: { a: shared, b: 3, c: [shared, shared] } },
      ],
      { databaseType: 'T' },
    );
    const once = buildMmdb(
      [
        { network: '10.0.0.0/16', data: { a: shared, b: 1 } },
        { network: '10.1.0.0/16', data: { a: '', b: 2 } },
        { network: '10.2.0.0/16', data: { a: '', b: 3, c: ['', ''] } },
      ],
      { databaseType: 'T' },
    );
    assert.ok(inner.length < once.length + 20, `a repeated string is stored once (${inner.length} bytes, ${once.length} with it once)`);
    const innerDb = read(inner);
    assert.deepEqual(innerDb.get('10.2.3.4'), { a: shared, b: 3, c: [shared, shared] });
    assert.deepEqual(innerDb.get('10.1.3.4'), { a: shared, b: 2 });
  });

  it('packs 28-bit records whose values pass 24 bits', () => {
    // A data section over 16 MiB puts the last records beyond 2^24.
    const big = new Uint8Array(9 * 1024 * 1024).fill(7);
    const bytes = buildMmdb(
      [
        { network: '10.0.0.0/8', data: { big } },
        { network: '12.0.0.0/8', data: { big: new Uint8Array(big.length).fill(8) } },
        { network: '11.0.0.0/8', data: { after: 'big' } },
        { network: '2001:db8::/32', data: { after: 'big', v6: true } },
      ],
      { databaseType: 'T' },
    );
    const db = read(bytes);
    assert.equal(db.metadata.recordSize, 28);
    assert.deepEqual(db.get('11.1.1.1'), { after: 'big' });
    assert.deepEqual(db.get('2001:db8::5'), { after: 'big', v6: true });
    assert.equal((db.get('10.1.1.1')!.big as Buffer).length, big.length);
    assert.equal((db.get('12.1.1.1')!.big as Buffer)[100], 8);
    assert.throws(() => buildMmdb([{ network: '10.0.0.0/8', data: { big } }, { network: '12.0.0.0/8', data: { big: new Uint8Array(big.length) } }], { databaseType: 'T', recordSize: 24 }), /cannot address/);
    assert.throws(() => buildMmdb([{ network: '10.0.0.0/8', data: new Uint8Array(17 * 1024 * 1024) }], { databaseType: 'T' }), /cannot hold/);
  });

  it('writes the metadata', () => {
    const built = new Date('2024-06-01T12:00:00.900Z');
    const bytes = buildMmdb(networks, { databaseType: 'Test-ASN', description: { en: 'Test', de: 'Test' }, languages: ['en', 'de'], buildEpoch: built });
    const m = read(bytes).metadata;
    assert.equal(m.binaryFormatMajorVersion, 2);
    assert.equal(m.binaryFormatMinorVersion, 0);
    assert.equal(m.ipVersion, 6);
    assert.equal(m.databaseType, 'Test-ASN');
    assert.deepEqual(m.languages, ['en', 'de']);
    assert.deepEqual(m.description, { en: 'Test', de: 'Test' });
    assert.equal(m.buildEpoch.toISOString(), '2024-06-01T12:00:00.000Z');
    assert.equal(m.recordSize, 24);
    assert.equal(m.searchTreeSize, m.nodeCount * 6);
    // 96 nodes lead to the IPv4 subtree, then at most one per further prefix bit.
    assert.ok(m.nodeCount > 96 && m.nodeCount < 96 + 32 * 3 + 48 + 32 + 48);
  });

  it('parses networks of both families and rejects bad ones', () => {
    assert.deepEqual(parseNetwork('81.2.69.160/27'), { bytes: new Uint8Array([...Array<number>(12).fill(0), 81, 2, 69, 160]), prefix: 123 });
    assert.deepEqual(parseNetwork('2a02:cf40::/29').prefix, 29);
    assert.deepEqual([...parseNetwork('2a02:cf40::/29').bytes.slice(0, 4)], [0x2a, 0x02, 0xcf, 0x40]);
    assert.deepEqual([...parseNetwork('::ffff:1.2.3.4').bytes], [...Array<number>(10).fill(0), 255, 255, 1, 2, 3, 4]);
    assert.deepEqual(parseNetwork('1:2:3:4:5:6:7:8').prefix, 128);
    for (const bad of ['10.0.0.1/8', '10.0.0.0/33', '10.0.0.0/', '10.0.0/8', '2001:db8::1/32', '2001:db8::/129', 'host/8', '10.0.0.0/-1']) {
      assert.throws(() => parseNetwork(bad), Error, bad);
    }
    assert.throws(() => buildMmdb([{ network: '::/0', data: 'all' }], { databaseType: 'T' }), /split/);
    assert.throws(() => mmdbUint16(70_000), /out of range/);
    assert.throws(() => mmdbUint64(-1n), /out of range/);
    assert.throws(() => mmdbInt32(1.5), /integer/);
  });
});

describe('demo GeoIP databases', () => {
  const builtAt = new Date('2024-06-01T12:00:00Z');
  let dir: string;
  let paths: { city: string; asn: string };
  let city: Reader<CityResponse>;
  let asn: Reader<AsnResponse>;
  let testCity: Reader<CityResponse>;
  let testAsn: Reader<AsnResponse>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pra-geoip-'));
    paths = await writeDemoGeoIpDatabases(join(dir, 'geoip'), builtAt);
    city = new Reader<CityResponse>(await readFile(paths.city));
    asn = new Reader<AsnResponse>(await readFile(paths.asn));
    testCity = await maxmind.open<CityResponse>(join(testdataDir(), 'geoip', 'GeoLite2-City-Test.mmdb'));
    testAsn = await maxmind.open<AsnResponse>(join(testdataDir(), 'geoip', 'GeoLite2-ASN-Test.mmdb'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** The facts the demo promises, in the test databases' or the demo's answer. */
  function cityFacts(r: CityResponse | null): unknown {
    if (r === null) return null;
    const named = (n: { iso_code?: string; names?: { en?: string } } | undefined) => n && { iso_code: n.iso_code, en: n.names?.en };
    return {
      city: r.city?.names.en,
      continent: r.continent && { code: r.continent.code, en: r.continent.names.en },
      country: named(r.country),
      subdivisions: r.subdivisions?.map(named),
      location: r.location && { latitude: r.location.latitude, longitude: r.location.longitude },
    };
  }
  const asnFacts = (r: AsnResponse | null): unknown => r && { number: r.autonomous_system_number, organization: r.autonomous_system_organization };

  it('are written under their names, with their types and build time', async () => {
    assert.deepEqual((await readdir(join(dir, 'geoip'))).sort(), ['PRA-Demo-ASN.mmdb', 'PRA-Demo-City.mmdb']);
    assert.equal(basename(paths.city), 'PRA-Demo-City.mmdb');
    assert.equal(basename(paths.asn), 'PRA-Demo-ASN.mmdb');
    for (const [reader, type] of [[city, 'PRA-Demo-City'], [asn, 'PRA-Demo-ASN']] as const) {
      const m = reader.metadata;
      assert.equal(m.databaseType, type);
      assert.equal(m.buildEpoch.toISOString(), builtAt.toISOString());
      assert.equal(m.ipVersion, 6);
      assert.equal(m.binaryFormatMajorVersion, 2);
      assert.equal(m.binaryFormatMinorVersion, 0);
      assert.deepEqual(m.languages, ['en']);
      // The reader types the description as a string; it is the map the file holds.
      assert.match((m.description as unknown as Record<string, string>).en ?? '', /demo/);
    }
  });

  it('answer every simulator address as the MaxMind test databases do, over the same networks', () => {
    let located = 0;
    for (const { ip, city: cityName, country, asn: number } of GEO_ADDRESSES) {
      const [ours, oursPrefix] = city.getWithPrefixLength(ip);
      const [theirs, theirsPrefix] = testCity.getWithPrefixLength(ip);
      assert.deepEqual(cityFacts(ours), cityFacts(theirs), `${ip} city record`);
      if (theirs !== null) assert.equal(oursPrefix, theirsPrefix, `${ip} city network`);
      assert.equal(ours?.city?.names.en, cityName, `${ip} city as GEO_ADDRESSES says`);
      assert.equal(ours?.country?.iso_code, country, `${ip} country as GEO_ADDRESSES says`);
      const [oursAs, oursAsPrefix] = asn.getWithPrefixLength(ip);
      const [theirsAs, theirsAsPrefix] = testAsn.getWithPrefixLength(ip);
      assert.deepEqual(asnFacts(oursAs), asnFacts(theirsAs), `${ip} AS record`);
      if (theirsAs !== null) assert.equal(oursAsPrefix, theirsAsPrefix, `${ip} AS network`);
      assert.equal(oursAs?.autonomous_system_number, number, `${ip} AS as GEO_ADDRESSES says`);
      if (ours !== null || oursAs !== null) located++;
    }
    assert.equal(located, GEO_ADDRESSES.length - 1, 'all but the one unknown address are found');
    assert.ok(GEO_ADDRESSES.some((a) => a.ip.includes(':') && a.city !== undefined), 'IPv6 addresses are among them');
  });

  it('hold only networks that the test databases hold, whole', () => {
    for (const [list, ours, theirs, facts] of [
      [DEMO_CITY_NETWORKS, city, testCity, cityFacts],
      [DEMO_ASN_NETWORKS, asn, testAsn, asnFacts],
    ] as const) {
      for (const { network } of list) {
        const start = network.split('/')[0]!;
        const prefix = Number(network.split('/')[1]);
        const [a, aPrefix] = (ours as Reader<never>).getWithPrefixLength(start);
        const [b, bPrefix] = (theirs as Reader<never>).getWithPrefixLength(start);
        assert.notEqual(b, null, `${network} is in the test database`);
        assert.deepEqual((facts as (r: unknown) => unknown)(a), (facts as (r: unknown) => unknown)(b), network);
        assert.equal(aPrefix, prefix, network);
        assert.equal(bPrefix, prefix, network);
      }
    }
    // Every network holds a simulator address.
    const hit = (reader: Reader<never>, network: string) =>
      GEO_ADDRESSES.some(({ ip }) => reader.get(ip) !== null && reader.getWithPrefixLength(ip)[1] === Number(network.split('/')[1]) && ip.includes(':') === network.includes(':'));
    for (const { network } of DEMO_CITY_NETWORKS) assert.ok(hit(city as Reader<never>, network), `${network} holds a simulator address`);
    for (const { network } of DEMO_ASN_NETWORKS) assert.ok(hit(asn as Reader<never>, network), `${network} holds a simulator address`);
  });

  it('know nothing outside those networks', () => {
    const outside = [
      '198.51.100.23', '8.8.8.8', '81.2.69.141', '81.2.69.144', '81.2.69.208', '216.160.83.64', '175.16.200.1', '89.160.21.1',
      '2.125.160.224', '67.43.157.1', '1.160.0.0', '1.127.255.255', '12.81.96.1', '::1', '2001:480:20::1', '2a02:cf48::1', '2001:db8::1',
    ];
    for (const ip of outside) {
      assert.equal(city.get(ip), null, `${ip} city`);
      if (!['81.2.69.144', '81.2.69.208', '216.160.83.64', '89.160.21.1', '67.43.157.1'].includes(ip)) assert.equal(asn.get(ip), null, `${ip} AS`);
    }
    assert.equal(asn.get('89.160.128.1'), null);
    assert.equal(asn.get('216.160.128.1'), null);
    assert.equal(asn.get('67.43.160.1'), null);
  });

  it('are recognised by the enricher as its City and ASN databases, with the same fields as the test databases give', async () => {
    const geo = await GeoIpDatabases.open({ dir: join(dir, 'geoip'), pollIntervalMs: 0 });
    try {
      const status = geo.status();
      assert.equal(status.city, true);
      assert.equal(status.asn, true);
      assert.deepEqual(status.problems, []);
      assert.deepEqual(
        status.databases.map((d) => [d.file, d.kind, d.databaseType, d.buildEpoch, d.used]).sort(),
        [['PRA-Demo-ASN.mmdb', 'asn', 'PRA-Demo-ASN', builtAt.toISOString(), true], ['PRA-Demo-City.mmdb', 'city', 'PRA-Demo-City', builtAt.toISOString(), true]],
      );
      for (const { ip } of GEO_ADDRESSES) {
        const expectedGeo = cityToGeo(testCity.get(ip));
        const expectedAs = asnToAs(testAsn.get(ip));
        const expected = expectedGeo === undefined && expectedAs === undefined
          ? undefined
          : { ...(expectedGeo && { geo: expectedGeo }), ...(expectedAs && { as: expectedAs }) };
        assert.deepEqual(geo.lookup(ip), expected, ip);
      }
      assert.deepEqual(geo.lookup('89.160.20.112'), {
        geo: {
          city_name: 'Linköping', continent_name: 'Europe', country_iso_code: 'SE', country_name: 'Sweden',
          location: { lat: 58.4167, lon: 15.6167 }, region_iso_code: 'SE-E', region_name: 'Östergötland County',
        },
        as: { number: 29518, organization: { name: 'Bredband2 AB' } },
      });
    } finally {
      geo.close();
    }
  });

  it('are the same bytes for the same build time', async () => {
    const again = await writeDemoGeoIpDatabases(join(dir, 'again'), builtAt);
    assert.deepEqual(await readFile(again.city), await readFile(paths.city));
    assert.deepEqual(await readFile(again.asn), await readFile(paths.asn));
  });
});
