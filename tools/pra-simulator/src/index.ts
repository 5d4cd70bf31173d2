/**
 * A BeyondTrust PRA appliance for tests, demos and benchmarks: OAuth2 tokens,
 * AccessSession and AccessSessionListing reports of a deterministic, growing
 * set of sessions, ground truth of every event, and faults on demand.
 * See README.md for the API.
 */
import { allGroundTruth } from './admin.js';
import type { SimClock } from './clock.js';
import type { FaultInjector } from './faults.js';
import { eventIdOf, writeNdjson } from './ground-truth.js';
import type { GroundTruthEntry } from './model.js';
import { listen } from './server.js';
import { createState, type Settings, type SimulatorOptions } from './state.js';

export interface SimulatorSite {
  name: string;
  clientId: string;
  clientSecret: string;
  pollerSite: string;
  /** Base URL of the site (path-prefix routing): `${url}/s/${name}`. */
  url: string;
  tokenUrl: string;
  reportingUrl: string;
}

export interface Simulator {
  /** Base URL, e.g. http://127.0.0.1:18443; its /oauth2/token and /api/reporting serve the first site. */
  readonly url: string;
  readonly port: number;
  readonly sites: readonly SimulatorSite[];
  /** Base URL of a site (default: the first): `${url}/s/<site>`. */
  siteUrl(site?: string): string;
  readonly clock: SimClock;
  readonly faults: FaultInjector;
  /** Live settings (language, namespace, timestampFormat, runningEndTime, tokenTtlSeconds); change them in place. */
  readonly settings: Settings;
  /** Every event visible now, all sites or one (simulator or poller site name). */
  groundTruth(site?: string): GroundTruthEntry[];
  /** The enricher's event.id of every ground-truth entry (stableId(site, lsid, position, timestamp, event_type)). */
  expectedEventIds(site?: string): string[];
  /** Writes the ground truth as NDJSON; resolves with the number of lines. */
  writeGroundTruth(path: string, site?: string): Promise<number>;
  /** Invalidates tokens (one site or all), as regenerating the client secret does. */
  revokeTokens(site?: string): number;
  stop(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const state = createState(options);
  const host = options.host ?? '127.0.0.1';
  const running = await listen(state, { port: options.port ?? 0, host, ...(options.tls ? { tls: options.tls } : {}) });
  const sites = state.sites.map((s) => {
    const url = `${running.url}/s/${encodeURIComponent(s.name)}`;
    return { name: s.name, clientId: s.clientId, clientSecret: s.clientSecret, pollerSite: s.pollerSite, url, tokenUrl: `${url}/oauth2/token`, reportingUrl: `${url}/api/reporting` };
  });
  let stopped: Promise<void> | undefined;
  return {
    url: running.url,
    port: running.port,
    sites,
    siteUrl(site?: string) {
      const found = site === undefined ? sites[0] : sites.find((s) => s.name === site);
      if (!found) throw new Error(`No simulator site "${site}"`);
      return found.url;
    },
    clock: state.clock,
    faults: state.faults,
    settings: state.settings,
    groundTruth: (site) => [...allGroundTruth(state, site)],
    expectedEventIds: (site) => [...allGroundTruth(state, site)].map(eventIdOf),
    writeGroundTruth: (path, site) => writeNdjson(path, allGroundTruth(state, site)),
    revokeTokens: (site) => state.tokens.revoke(site),
    stop() {
      stopped ??= running.close();
      return stopped;
    },
  };
}

export { eventIdOf } from './ground-truth.js';
export { FreezableClock, ManualClock, WallClock, type ClockOption, type SimClock } from './clock.js';
export { FAULT_KINDS, type FaultRule, type FaultKind, type FaultInjector } from './faults.js';
export { GEO_ADDRESSES, type GeoAddress } from './catalog.js';
export { EVENT_TYPES } from './events.js';
export { REPORTING_NAMESPACE } from './xml-writer.js';
export { DEFAULT_PROFILE, type Profile } from './profile.js';
export { DEFAULT_SITE, type SimulatorOptions, type SiteOptions, type Settings } from './state.js';
export { MAX_TOKENS_PER_CLIENT } from './tokens.js';
export { message, LANGUAGES, type Language } from './messages.js';
export type { GroundTruthEntry } from './model.js';
export { writeDemoGeoIpDatabases, demoCityDatabase, demoAsnDatabase, DEMO_CITY_FILE, DEMO_ASN_FILE } from './geoip-databases.js';
export { SIMULATOR_HELP, parseSimulatorArgs } from './cli-options.js';
export { SiteGenerator } from './generator.js';
export { renderSession, renderSessionList } from './xml-writer.js';
