import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import maxmind, { type AsnResponse, type CityResponse } from 'maxmind';
import { GEO_ADDRESSES, startSimulator } from '@pra-pipeline/pra-simulator';
import { START, START_SEC, report, testdataDir, token } from './helpers.js';

describe('public addresses and the GeoIP test databases', () => {
  it('resolve as GEO_ADDRESSES says', async () => {
    const cityDb = await maxmind.open<CityResponse>(join(testdataDir(), 'geoip', 'GeoLite2-City-Test.mmdb'));
    const asnDb = await maxmind.open<AsnResponse>(join(testdataDir(), 'geoip', 'GeoLite2-ASN-Test.mmdb'));
    for (const a of GEO_ADDRESSES) {
      const c = cityDb.get(a.ip);
      assert.equal(c?.city?.names.en, a.city, `${a.ip} city`);
      assert.equal(c?.country?.iso_code, a.country, `${a.ip} country`);
      assert.equal(asnDb.get(a.ip)?.autonomous_system_number, a.asn, `${a.ip} ASN`);
    }
    const known = GEO_ADDRESSES.map((a) => a.ip);
    for (const ip of ['81.2.69.142', '81.2.69.192', '216.160.83.56', '175.16.199.0', '89.160.20.112', '89.160.20.128']) assert.ok(known.includes(ip));
  });

  it('are the only public addresses in reports, with a port, IPv6 in brackets', async () => {
    const sim = await startSimulator({ seed: 7, clock: { start: START } });
    try {
      const { text } = await report(sim.url, await token(sim.url), { generate_report: 'AccessSession', start_time: START_SEC - 86_400, duration: 0 });
      const seen = new Set<string>();
      for (const m of text.matchAll(/<public_ip>([^<]*)<\/public_ip>/g)) {
        const parsed = /^(?:\[([0-9a-f:]+)\]|(\d+\.\d+\.\d+\.\d+)):(\d+)$/.exec(m[1]!);
        assert.ok(parsed, `${m[1]} has the appliance's form`);
        const ip = parsed[1] ?? parsed[2]!;
        assert.ok(GEO_ADDRESSES.some((a) => a.ip === ip), `${ip} is a known test address`);
        seen.add(ip);
      }
      assert.ok(seen.size >= 8, 'many of them are used');
      assert.ok(seen.has('216.160.83.56') || seen.has('89.160.20.112') || seen.has('89.160.20.128'), 'an address with an AS is used');
    } finally {
      await sim.stop();
    }
  });
});
