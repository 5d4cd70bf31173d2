/** Everything a running simulator holds, built from its options. */
import { createClock, type ClockOption, type SimClock } from './clock.js';
import { FaultInjector, type FaultRule } from './faults.js';
import { SiteGenerator } from './generator.js';
import type { Language } from './messages.js';
import { resolveProfile, type Profile } from './profile.js';
import { TokenStore } from './tokens.js';

export interface SiteOptions {
  /** The simulator's site name: path prefix /s/<name>/, Host-header routing, generation seed. */
  name: string;
  clientId: string;
  clientSecret: string;
  /**
   * The site name the poller is configured with for this appliance; it is the
   * `site` of ground-truth entries and of expected event ids. Default: `name`.
   */
  pollerSite?: string;
  /** Host names routed to this site (Host header, port ignored). Default: [name, `${name}.localhost`]. */
  hosts?: string[];
  /** Host name written in chat, recording and shell URLs. Default: `${name}.pra.example`. */
  publicHost?: string;
}

export interface SimulatorOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Seed of every random choice; default 1. */
  seed?: number;
  /** Default: one site { name: 'default', clientId: 'demo', clientSecret: 'demo-secret' }. */
  sites?: SiteOptions[];
  /** 'wall' (default): real time; { start }: a manual clock at start; { start, running: true }: real time from start. */
  clock?: ClockOption;
  /** How far back sessions exist when the simulator starts, in seconds; default 86400. */
  historySeconds?: number;
  profile?: Partial<Profile>;
  /** expires_in of issued tokens and their lifetime; default 3600. */
  tokenTtlSeconds?: number;
  /** Language of `<error>` texts; default 'en'. */
  language?: Language;
  /** Elements in the appliance's namespace (default true) or in none. */
  namespace?: boolean;
  /** Event timestamps as Unix seconds (default) or ISO 8601. */
  timestampFormat?: 'unix' | 'iso';
  /** Running sessions: no end_time element (default) or an empty one. */
  runningEndTime?: 'omit' | 'empty';
  faults?: FaultRule[];
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export interface Settings {
  language: Language;
  namespace: boolean;
  timestampFormat: 'unix' | 'iso';
  runningEndTime: 'omit' | 'empty';
  tokenTtlSeconds: number;
}

export interface SiteRuntime {
  name: string;
  clientId: string;
  clientSecret: string;
  pollerSite: string;
  hosts: string[];
  publicHost: string;
  generator: SiteGenerator;
}

export interface SimState {
  seed: number;
  clock: SimClock;
  sites: SiteRuntime[];
  tokens: TokenStore;
  faults: FaultInjector;
  settings: Settings;
  /** Unix seconds of the clock's "now". */
  nowSec(): number;
}

export const DEFAULT_SITE: SiteOptions = { name: 'default', clientId: 'demo', clientSecret: 'demo-secret' };

export function createState(options: SimulatorOptions): SimState {
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new Error('seed must be an integer');
  const clock = createClock(options.clock);
  const profile = resolveProfile(options.profile);
  const historySeconds = options.historySeconds ?? 86_400;
  if (!(historySeconds >= 0)) throw new Error('historySeconds must be >= 0');
  const historyStart = Math.floor(clock.now() / 1000) - historySeconds;
  const siteOptions = options.sites && options.sites.length > 0 ? options.sites : [DEFAULT_SITE];
  const names = new Set<string>();
  const sites = siteOptions.map((s) => {
    if (!/^[A-Za-z0-9._-]+$/.test(s.name)) throw new Error(`Site name "${s.name}" may only hold letters, digits, ".", "_" and "-"`);
    if (names.has(s.name)) throw new Error(`Site "${s.name}" is listed twice`);
    names.add(s.name);
    if (!s.clientId || !s.clientSecret) throw new Error(`Site "${s.name}" needs a client id and a client secret`);
    return {
      name: s.name,
      clientId: s.clientId,
      clientSecret: s.clientSecret,
      pollerSite: s.pollerSite ?? s.name,
      hosts: (s.hosts ?? [s.name, `${s.name}.localhost`]).map((h) => h.toLowerCase()),
      publicHost: s.publicHost ?? `${s.name}.pra.example`,
      generator: new SiteGenerator({ seed, site: s.name, profile, historyStart }),
    };
  });
  const tokenTtlSeconds = options.tokenTtlSeconds ?? 3600;
  if (!(Number.isInteger(tokenTtlSeconds) && tokenTtlSeconds > 0)) throw new Error('tokenTtlSeconds must be a positive integer');
  return {
    seed,
    clock,
    sites,
    tokens: new TokenStore(() => clock.now()),
    faults: new FaultInjector(seed, options.faults ?? []),
    settings: {
      language: options.language ?? 'en',
      namespace: options.namespace ?? true,
      timestampFormat: options.timestampFormat ?? 'unix',
      runningEndTime: options.runningEndTime ?? 'omit',
      tokenTtlSeconds,
    },
    nowSec: () => Math.floor(clock.now() / 1000),
  };
}
