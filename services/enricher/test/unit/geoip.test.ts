import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { asnToAs, cityToGeo } from '../../src/geo-fields.js';
import { databaseKind, GeoIpDatabases } from '../../src/geoip.js';
import { LruCache } from '../../src/lru.js';
import { testdata } from '../testdata.js';

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'enricher-geoip-'));
}

describe('GeoIP', () => {
  it('tells database kinds by metadata type', () => {
    assert.equal(databaseKind('GeoLite2-City'), 'city');
    assert.equal(databaseKind('GeoIP2-Enterprise'), 'city');
    assert.equal(databaseKind('GeoLite2-ASN'), 'asn');
    assert.equal(databaseKind('GeoIP2-Country'), 'country');
    assert.equal(databaseKind('GeoIP2-Anonymous-IP'), undefined);
  });

  it('maps City and ASN responses to ECS fields, omitting what is missing', () => {
    assert.deepEqual(cityToGeo({
      city: { names: { en: 'London' } }, continent: { names: { en: 'Europe' } },
      country: { iso_code: 'GB', names: { en: 'United Kingdom' } }, location: { latitude: 51.5, longitude: -0.1 },
      subdivisions: [{ iso_code: 'ENG', names: { en: 'England' } }, { iso_code: 'X' }],
    }), {
      // The most specific (last) subdivision, even when it lacks a name.
      city_name: 'London', continent_name: 'Europe', country_iso_code: 'GB', country_name: 'United Kingdom',
      location: { lat: 51.5, lon: -0.1 }, region_iso_code: 'GB-X',
    });
    assert.deepEqual(cityToGeo({
      country: { iso_code: 'ES' },
      subdivisions: [{ iso_code: 'CT', names: { en: 'Catalonia' } }, { iso_code: 'B', names: { en: 'Barcelona' } }],
    }), { country_iso_code: 'ES', region_iso_code: 'ES-B', region_name: 'Barcelona' });
    assert.deepEqual(cityToGeo({ country: { iso_code: 'US' }, subdivisions: [{ iso_code: 'WA', names: { en: 'Washington' } }] }),
      { country_iso_code: 'US', region_iso_code: 'US-WA', region_name: 'Washington' });
    // No country code, no region code (the name alone stays).
    assert.deepEqual(cityToGeo({ subdivisions: [{ iso_code: 'WA', names: { en: 'Washington' } }] }), { region_name: 'Washington' });
    assert.deepEqual(cityToGeo({ country: { iso_code: 'US' } }), { country_iso_code: 'US' });
    assert.equal(cityToGeo({}), undefined);
    assert.deepEqual(asnToAs({ autonomous_system_number: 1, autonomous_system_organization: 'O' }), { number: 1, organization: { name: 'O' } });
    assert.equal(asnToAs(null), undefined);
  });

  it('finds databases by content, not name, and looks addresses up', async () => {
    const dir = scratch();
    try {
      copyFileSync(testdata('geoip/GeoLite2-City-Test.mmdb'), join(dir, 'a.mmdb'));
      copyFileSync(testdata('geoip/GeoLite2-ASN-Test.mmdb'), join(dir, 'b.mmdb'));
      writeFileSync(join(dir, 'broken.mmdb'), 'not a database');
      const geo = await GeoIpDatabases.open({ dir, pollIntervalMs: 0 });
      const status = geo.status(Date.parse('2026-02-05T22:49:29Z'));
      assert.deepEqual([status.city, status.asn, status.country], [true, true, false]);
      assert.deepEqual(status.databases.map((d) => [d.file, d.kind, d.databaseType]), [['a.mmdb', 'city', 'GeoLite2-City'], ['b.mmdb', 'asn', 'GeoLite2-ASN']]);
      assert.equal(status.ageSeconds, 86_400);
      assert.deepEqual(status.problems.map((p) => p.file), ['broken.mmdb']);
      const hit = geo.lookup('216.160.83.56');
      assert.equal(hit?.geo?.city_name, 'Milton');
      assert.equal(hit?.geo?.region_iso_code, 'US-WA');
      // Two subdivision levels in the test database: England, then West Berkshire (issue 13).
      const twoLevels = geo.lookup('2.125.160.216')?.geo;
      assert.equal(twoLevels?.country_iso_code, 'GB');
      assert.equal(twoLevels?.region_iso_code, 'GB-WBK');
      assert.equal(twoLevels?.region_name, 'West Berkshire');
      assert.deepEqual(hit?.as, { number: 209 });
      assert.strictEqual(geo.lookup('216.160.83.56'), hit); // cached
      assert.equal(geo.lookup('10.0.0.1'), undefined);
      geo.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs without databases and picks them up when they appear, keeping lookups working', async () => {
    const dir = scratch();
    try {
      const missing = await GeoIpDatabases.open({ dir: join(dir, 'none'), pollIntervalMs: 0 });
      assert.deepEqual([missing.status().city, missing.status().databases.length, missing.status().ageSeconds], [false, 0, undefined]);
      assert.equal(missing.lookup('81.2.69.142'), undefined);
      missing.close();

      const reloads: boolean[] = [];
      const geo = await GeoIpDatabases.open({ dir, pollIntervalMs: 0, onReload: (s) => reloads.push(s.city) });
      assert.equal(geo.lookup('81.2.69.142'), undefined);
      assert.equal(await geo.reload(), false);
      copyFileSync(testdata('geoip/GeoLite2-City-Test.mmdb'), join(dir, 'city.mmdb'));
      assert.equal(await geo.reload(), true);
      assert.equal(geo.lookup('81.2.69.142')?.geo?.city_name, 'London'); // the cache was cleared
      // A changed file that cannot be read (half-written) leaves its last good version in use.
      writeFileSync(join(dir, 'city.mmdb'), 'garbage');
      utimesSync(join(dir, 'city.mmdb'), new Date(), new Date(Date.now() + 5000));
      assert.equal(await geo.reload(), true);
      assert.equal(geo.status().city, true);
      assert.match(geo.status().problems[0]?.message ?? '', /previous version stays in use/);
      assert.equal(geo.lookup('81.2.69.142')?.geo?.city_name, 'London');
      // A new database replaces it; removing every file leaves none.
      copyFileSync(testdata('geoip/GeoLite2-Country-Test.mmdb'), join(dir, 'city.mmdb'));
      utimesSync(join(dir, 'city.mmdb'), new Date(), new Date(Date.now() + 10_000));
      assert.equal(await geo.reload(), true);
      assert.deepEqual([geo.status().city, geo.status().country], [false, true]);
      assert.deepEqual(geo.lookup('81.2.69.142')?.geo, { continent_name: 'Europe', country_iso_code: 'GB', country_name: 'United Kingdom' });
      rmSync(join(dir, 'city.mmdb'));
      assert.equal(await geo.reload(), true);
      assert.equal(geo.lookup('81.2.69.142'), undefined);
      assert.deepEqual(reloads, [true, true, false, false]);
      geo.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bounds the cache', () => {
    const lru = new LruCache<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    assert.equal(lru.get('a'), 1); // a is now the most recent
    lru.set('c', 3);
    assert.equal(lru.size, 2);
    assert.equal(lru.get('b'), undefined);
    assert.equal(lru.get('a'), 1);
  });
});
