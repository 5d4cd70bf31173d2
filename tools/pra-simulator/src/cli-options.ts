/**
 * The `pra-pipeline simulator` flags, parsed into SimulatorOptions. Kept here
 * (pure, tested) so the command file only wires it up.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDuration } from '@pra-pipeline/shared';
import { isLanguage } from './messages.js';
import type { FaultRule } from './faults.js';
import type { SimulatorOptions, SiteOptions } from './state.js';

export const SIMULATOR_HELP = `Usage: pra-pipeline simulator [options]

Serves a simulated BeyondTrust PRA appliance: POST /oauth2/token (client
credentials), GET|POST /api/reporting (AccessSession, AccessSessionListing),
admin endpoints under /_sim/ (clock, ground truth, faults, settings). The first
site answers at the root and at /s/<site>/; other sites at /s/<site>/ or by
Host header. Plain HTTP on 127.0.0.1 unless --tls-cert/--tls-key are given.

Example:
  pra-pipeline simulator --port 18443 --seed 7 --client-id demo --client-secret demo-secret

Server:
  --port N                  TCP port (default 18443; 0 picks a free one)
  --host ADDR               interface to bind (default 127.0.0.1)
  --tls-cert FILE           serve HTTPS with this PEM certificate (needs --tls-key)
  --tls-key FILE            PEM private key for --tls-cert

Sites and credentials:
  --site-name NAME          name of the first site (default "default")
  --client-id ID            OAuth client id of the first site (default demo)
  --client-secret SECRET    OAuth client secret of the first site (default demo-secret)
  --poller-site NAME        the poller's name for the first site, used in ground truth
                            and event ids (default: the site name)
  --site NAME:ID:SECRET[:POLLER_SITE]
                            another site (repeatable)
  --token-ttl SECONDS       expires_in and lifetime of tokens (default 3600)

Time and data:
  --seed N                  seed of all generated data and fault draws (default 1)
  --clock wall|manual       wall: time runs (default); manual: time moves only
                            through POST /_sim/clock/advance
  --start ISO8601           the clock's start (default: now); with a fixed start
                            and seed, the data and ground truth are the same on every run
  --history DURATION        sessions exist from this long before the start (default 24h)
  --sessions-per-minute N   mean sessions starting per minute and site (default 0.5)
  --events-per-session N    mean events per session (default 24)
  --participants N          most representatives per session (default 3)
  --running-share X         share of hours-long sessions, 0..1 (default 0.1)
  --session-minutes N       typical session length in minutes (default 20)

Output format:
  --language en|fr|de       language of <error> texts (default en)
  --no-namespace            elements in no namespace (default: the appliance's)
  --timestamp-format unix|iso
                            event timestamps (default unix, as appliances send)
  --running-end-time omit|empty
                            running sessions without end_time, or with an empty one (default omit)

Testing:
  --fault JSON              a fault rule, e.g. '{"kind":"status","status":429,"retryAfter":5,"rate":0.1}'
                            (repeatable; kinds: status slow timeout reset truncate malformed
                            error-element token-expiry; see tools/pra-simulator/README.md)
  --ground-truth-file FILE  write the ground truth (NDJSON) at start and at shutdown

Stops on SIGINT or SIGTERM.`;

export interface CliSettings {
  options: SimulatorOptions;
  groundTruthFile?: string;
}

function number(name: string, raw: string | undefined, check: (n: number) => boolean): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || !check(n)) throw new Error(`--${name} "${raw}" is out of range`);
  return n;
}

export function parseSimulatorArgs(args: readonly string[]): CliSettings {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'site-name': { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'poller-site': { type: 'string' },
      site: { type: 'string', multiple: true },
      'token-ttl': { type: 'string' },
      seed: { type: 'string' },
      clock: { type: 'string' },
      start: { type: 'string' },
      history: { type: 'string' },
      'sessions-per-minute': { type: 'string' },
      'events-per-session': { type: 'string' },
      participants: { type: 'string' },
      'running-share': { type: 'string' },
      'session-minutes': { type: 'string' },
      language: { type: 'string' },
      'no-namespace': { type: 'boolean' },
      'timestamp-format': { type: 'string' },
      'running-end-time': { type: 'string' },
      fault: { type: 'string', multiple: true },
      'ground-truth-file': { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new Error(`Unexpected argument "${positionals[0]}"`);

  const first: SiteOptions = {
    name: values['site-name'] ?? 'default',
    clientId: values['client-id'] ?? 'demo',
    clientSecret: values['client-secret'] ?? 'demo-secret',
    ...(values['poller-site'] ? { pollerSite: values['poller-site'] } : {}),
  };
  const sites = [first];
  for (const spec of values.site ?? []) {
    const parts = spec.split(':');
    if (parts.length < 3 || parts.length > 4 || parts.some((p) => p === '')) {
      throw new Error(`--site "${spec}" must be NAME:CLIENT_ID:CLIENT_SECRET[:POLLER_SITE]`);
    }
    sites.push({ name: parts[0]!, clientId: parts[1]!, clientSecret: parts[2]!, ...(parts[3] ? { pollerSite: parts[3] } : {}) });
  }

  const clock = values.clock ?? 'wall';
  if (clock !== 'wall' && clock !== 'manual') throw new Error('--clock must be wall or manual');
  let start: number | undefined;
  if (values.start !== undefined) {
    start = Date.parse(values.start);
    if (!Number.isFinite(start)) throw new Error(`--start "${values.start}" is not an ISO 8601 date`);
  }
  const startAt = start ?? Date.now();

  const language = values.language ?? 'en';
  if (!isLanguage(language)) throw new Error('--language must be en, fr or de');
  const timestampFormat = values['timestamp-format'] ?? 'unix';
  if (timestampFormat !== 'unix' && timestampFormat !== 'iso') throw new Error('--timestamp-format must be unix or iso');
  const runningEndTime = values['running-end-time'] ?? 'omit';
  if (runningEndTime !== 'omit' && runningEndTime !== 'empty') throw new Error('--running-end-time must be omit or empty');
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) throw new Error('--tls-cert and --tls-key go together');

  const faults: FaultRule[] = (values.fault ?? []).map((raw) => {
    try {
      return JSON.parse(raw) as FaultRule;
    } catch {
      throw new Error(`--fault "${raw}" is not JSON`);
    }
  });

  const profile: SimulatorOptions['profile'] = {};
  const spm = number('sessions-per-minute', values['sessions-per-minute'], (n) => n >= 0);
  if (spm !== undefined) profile.sessionsPerMinute = spm;
  const eps = number('events-per-session', values['events-per-session'], (n) => n >= 1);
  if (eps !== undefined) profile.eventsPerSession = eps;
  const participants = number('participants', values.participants, (n) => Number.isInteger(n) && n >= 1);
  if (participants !== undefined) profile.participants = participants;
  const share = number('running-share', values['running-share'], (n) => n >= 0 && n <= 1);
  if (share !== undefined) profile.runningShare = share;
  const minutes = number('session-minutes', values['session-minutes'], (n) => n >= 1);
  if (minutes !== undefined) profile.sessionMinutes = minutes;

  const options: SimulatorOptions = {
    port: number('port', values.port, (n) => Number.isInteger(n) && n >= 0 && n <= 65535) ?? 18443,
    host: values.host ?? '127.0.0.1',
    seed: number('seed', values.seed, (n) => Number.isInteger(n)) ?? 1,
    sites,
    clock: clock === 'manual' ? { start: startAt } : start === undefined ? 'wall' : { start: startAt, running: true },
    historySeconds: values.history === undefined ? 86_400 : parseDuration(values.history) / 1000,
    profile,
    tokenTtlSeconds: number('token-ttl', values['token-ttl'], (n) => Number.isInteger(n) && n > 0) ?? 3600,
    language,
    namespace: !values['no-namespace'],
    timestampFormat,
    runningEndTime,
    faults,
  };
  if (values['tls-cert'] && values['tls-key']) {
    options.tls = { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) };
  }
  return { options, ...(values['ground-truth-file'] ? { groundTruthFile: values['ground-truth-file'] } : {}) };
}
