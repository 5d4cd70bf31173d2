/**
 * The session schedule of one site, generated lazily and deterministically.
 *
 * Time is cut into minutes. The sessions that start in minute `m` depend only on
 * (seed, site, m), so whatever the order or timing of requests, the same seed
 * gives the same sessions. A session's plan fixes its start, its end (the
 * timestamp of its last event), its participants and its number of events; an
 * event's type and content depend only on (session seed, position). What a
 * client sees is the plan cut at "now": the events whose timestamp has passed.
 * Sessions therefore only grow, and an event never changes once visible.
 */
import { JUMPOINTS, SHARED_JUMP_GROUPS } from './catalog.js';
import type { Customer, Representative, SessionPlan } from './model.js';
import { createCast, withPort, type Cast } from './people.js';
import { Prng, hashSeed } from './prng.js';
import type { Profile } from './profile.js';

const MINUTE = 60;
/** lseq counts from here so that it stays small and increasing. */
const LSEQ_EPOCH_MINUTE = Math.floor(Date.UTC(2020, 0, 1) / 60_000);
const LSEQ_PER_MINUTE = 100_000;
const CACHE_MINUTES = 50_000;

export interface GeneratorOptions {
  seed: number;
  site: string;
  profile: Profile;
  /** Unix seconds: no session starts before this minute. */
  historyStart: number;
}

export class SiteGenerator {
  readonly site: string;
  readonly firstMinute: number;
  private readonly cast: Cast;
  private readonly cache = new Map<number, SessionPlan[]>();

  constructor(private readonly options: GeneratorOptions) {
    this.site = options.site;
    this.firstMinute = Math.floor(options.historyStart / MINUTE);
    this.cast = createCast(options.seed, options.site);
  }

  /** Sessions starting in minute `m` (unix minutes), in start order. */
  sessionsInMinute(m: number): SessionPlan[] {
    if (m < this.firstMinute) return [];
    const cached = this.cache.get(m);
    if (cached) return cached;
    const { seed, site, profile } = this.options;
    const prng = Prng.at(seed, site, 'minute', m);
    const count = Math.min(prng.poisson(profile.sessionsPerMinute), LSEQ_PER_MINUTE - 1);
    const starts: number[] = [];
    for (let k = 0; k < count; k++) starts.push(m * MINUTE + prng.int(0, MINUTE - 1));
    starts.sort((a, b) => a - b);
    const plans = starts.map((start, k) => this.plan(m, k, start));
    if (this.cache.size >= CACHE_MINUTES) {
      const oldest = this.cache.keys().next().value as number;
      this.cache.delete(oldest);
    }
    this.cache.set(m, plans);
    return plans;
  }

  /** Sessions with fromSec <= start <= toSec, in start order. */
  *sessionsStartingBetween(fromSec: number, toSec: number): Generator<SessionPlan> {
    const first = Math.max(this.firstMinute, Math.floor(fromSec / MINUTE));
    const last = Math.floor(toSec / MINUTE);
    for (let m = first; m <= last; m++) {
      for (const plan of this.sessionsInMinute(m)) {
        if (plan.start >= fromSec && plan.start <= toSec) yield plan;
      }
    }
  }

  /** The session with this lsid if it has started by `nowSec`. */
  findByLsid(lsid: string, nowSec: number): SessionPlan | undefined {
    const decoded = decodeLsid(lsid);
    if (!decoded) return undefined;
    const plan = this.sessionsInMinute(decoded.minute)[decoded.index];
    return plan && plan.lsid === lsid && plan.start <= nowSec ? plan : undefined;
  }

  private plan(m: number, k: number, start: number): SessionPlan {
    const { seed, site, profile } = this.options;
    const sessionSeed = hashSeed(seed, site, 'session', m, k);
    const prng = new Prng(sessionSeed);
    const long = prng.chance(profile.runningShare);
    const targetDuration = long
      ? prng.int(3600, Math.round(2 * profile.longSessionHours * 3600))
      : prng.int(120, Math.round(2 * profile.sessionMinutes * 60));
    const repCount = prng.int(1, profile.participants);
    const minEvents = repCount + 4;
    const eventCount = Math.max(minEvents, Math.round(profile.eventsPerSession * (0.5 + prng.next())));
    const meanGap = targetDuration / (eventCount - 1);

    // Positions 0..2 are Session Start, the owner joining, the endpoint joining;
    // the last is Session End; invited reps join somewhere in between.
    const joins = new Set<number>();
    while (joins.size < repCount - 1) joins.add(prng.int(3, eventCount - 2));
    const joinPositions = [1, ...[...joins].sort((a, b) => a - b)];

    const reps: Representative[] = [];
    const pool = [...this.cast.reps];
    for (let j = 0; j < repCount; j++) {
      const rep = pool.splice(prng.int(0, pool.length - 1), 1)[0]!;
      reps.push({
        gsnumber: String(2 + j),
        id: rep.id,
        username: rep.username,
        displayName: rep.displayName,
        publicDisplayName: rep.publicDisplayName,
        privateDisplayName: rep.privateDisplayName,
        publicIp: withPort(rep.ip, prng.int(49152, 65535)),
        privateIp: rep.privateIp,
        hostname: rep.hostname,
        os: rep.os,
        owner: j === 0,
        invited: j > 0,
        joinPosition: joinPositions[j]!,
      });
    }
    const endpoint = prng.pick(this.cast.endpoints);
    const customers: Customer[] = [
      {
        gsnumber: '1',
        username: endpoint.username,
        publicIp: withPort(endpoint.ip, prng.int(49152, 65535)),
        privateIp: endpoint.privateIp,
        hostname: endpoint.hostname,
        os: endpoint.os,
      },
    ];
    const owner = reps[0]!;
    const groupIndex = prng.int(0, SHARED_JUMP_GROUPS.length - 1);
    const jumpGroup = prng.chance(0.75)
      ? { type: 'shared' as const, id: String(groupIndex + 1), name: SHARED_JUMP_GROUPS[groupIndex]! }
      : { type: 'personal' as const, id: owner.id, name: owner.privateDisplayName };
    const jumpointIndex = prng.int(0, JUMPOINTS.length - 1);
    const jumpoint = prng.chance(0.7) ? { id: String(jumpointIndex + 1), name: JUMPOINTS[jumpointIndex]! } : null;
    const customAttributes = prng.chance(0.5)
      ? [{ displayName: 'Ticket', codeName: 'ticket', value: `INC-${prng.int(1000, 9999)}` }]
      : [];
    const recorded = prng.chance(0.6);
    const lsid = encodeLsid(m, k, sessionSeed);

    const plan: SessionPlan = {
      site,
      lsid,
      lseq: (m - LSEQ_EPOCH_MINUTE) * LSEQ_PER_MINUTE + k + 1,
      seed: sessionSeed,
      start,
      end: start,
      eventCount,
      meanGap,
      primaryCustomer: endpoint.hostname,
      jumpGroup,
      jumpoint,
      customAttributes,
      recorded,
      reps,
      customers,
    };
    for (const t of timeline(plan)) plan.end = t;
    return plan;
  }
}

/**
 * Event timestamps of a session, position by position. About a third of the
 * gaps are zero: several events share a second, as on real appliances.
 */
export function* timeline(plan: SessionPlan): Generator<number> {
  const prng = Prng.at(plan.seed, 'gaps');
  const maxGap = Math.max(1, Math.round((2 * plan.meanGap) / 0.7 - 1));
  let t = plan.start;
  yield t;
  for (let i = 1; i < plan.eventCount; i++) {
    if (!prng.chance(0.3)) t += prng.int(1, maxGap);
    yield t;
  }
}

/**
 * lsids look like the appliance's (32 hex digits) but carry their minute and
 * index, scrambled, so that a lookup needs no index of every session.
 */
function encodeLsid(minute: number, index: number, sessionSeed: number): string {
  const head = new Prng(sessionSeed).hex(20);
  const mask = BigInt(`0x${head.slice(0, 12)}`);
  const packed = (BigInt(minute) * BigInt(LSEQ_PER_MINUTE) + BigInt(index)) ^ mask;
  return head + packed.toString(16).padStart(12, '0').slice(-12);
}

function decodeLsid(lsid: string): { minute: number; index: number } | undefined {
  if (!/^[0-9a-f]{32}$/.test(lsid)) return undefined;
  const mask = BigInt(`0x${lsid.slice(0, 12)}`);
  const packed = (BigInt(`0x${lsid.slice(20)}`) ^ mask) & 0xffffffffffffn;
  const per = BigInt(LSEQ_PER_MINUTE);
  return { minute: Number(packed / per), index: Number(packed % per) };
}
