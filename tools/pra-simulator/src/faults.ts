/**
 * Faults on demand. A rule says where (endpoint, site), what (kind and its
 * parameters) and how often (rate, or a schedule: skip the first N matching
 * requests, then apply at most `times` times). Rules are checked in order; the
 * first that fires applies. Random rates draw from the run's seed, so a given
 * sequence of requests meets the same faults on every run.
 *
 * Hostile kinds stand for a broken or malicious appliance (or a proxy in front
 * of one): `deep-nesting` (a session nested `depth` elements deep), `huge-body`
 * (`bytes` of body behind a status, 200 on the token endpoint), `trickle` (one
 * byte every `delayMs`). Bodies are generated as they are sent, so their size
 * costs the simulator nothing; each rule counts the bytes it sent (`sentBytes`,
 * kept after the rule retires, see `history()`), so a test can tell how far a
 * client read.
 */
import { Prng } from './prng.js';

export const FAULT_KINDS = [
  'status',
  'slow',
  'timeout',
  'reset',
  'truncate',
  'malformed',
  'error-element',
  'token-expiry',
  'deep-nesting',
  'huge-body',
  'trickle',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type FaultEndpoint = 'token' | 'reporting' | 'any';

export interface FaultRule {
  kind: FaultKind;
  /** Which endpoint: the token endpoint, the reporting endpoint, or any (default). */
  endpoint?: FaultEndpoint;
  /** Only for this report (generate_report value). */
  report?: string;
  /** Only for this simulator site. */
  site?: string;
  /** status: the HTTP status (default 503). 429, 500, 502, 503 are the realistic ones. */
  status?: number;
  /** status: a Retry-After header value (seconds, or an HTTP date). */
  retryAfter?: number | string;
  /** slow: milliseconds to wait before answering (default 2000); trickle: between two bytes (default 10000). */
  delayMs?: number;
  /** deep-nesting: elements nested inside the session (default 150 million). */
  depth?: number;
  /** huge-body: body bytes (default 3 GiB). */
  bytes?: number;
  /** reset, truncate, malformed: body bytes sent before the fault (default 1024). */
  afterBytes?: number;
  /** token-expiry: real token lifetime in seconds (the response still says the configured expires_in). */
  lifetimeSeconds?: number;
  /** error-element: the text of the `<error>` (default: a localised internal failure). */
  message?: string;
  /** Probability that a matching request is hit (default 1). */
  rate?: number;
  /** Let this many matching requests through first. */
  skip?: number;
  /** Apply at most this many times, then retire the rule. */
  times?: number;
}

export interface ActiveRule extends FaultRule {
  id: number;
  /** Matching requests seen. */
  seen: number;
  /** Times applied. */
  applied: number;
  /** Body bytes sent by this rule's faults, counted as they are written. */
  sentBytes: number;
}

export interface FaultContext {
  endpoint: Exclude<FaultEndpoint, 'any'>;
  site: string;
  report?: string;
}

export function validateRule(input: unknown): FaultRule {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('A fault rule must be an object');
  const rule = input as Record<string, unknown>;
  if (!(FAULT_KINDS as readonly unknown[]).includes(rule.kind)) {
    throw new Error(`Fault kind must be one of ${FAULT_KINDS.join(', ')}`);
  }
  if (rule.endpoint !== undefined && !['token', 'reporting', 'any'].includes(rule.endpoint as string)) {
    throw new Error('Fault endpoint must be token, reporting or any');
  }
  const numbers: [string, number, number][] = [
    ['status', 100, 599],
    ['delayMs', 0, 3_600_000],
    ['afterBytes', 0, Number.MAX_SAFE_INTEGER],
    ['lifetimeSeconds', 0, 86_400 * 365],
    ['rate', 0, 1],
    ['skip', 0, Number.MAX_SAFE_INTEGER],
    ['times', 1, Number.MAX_SAFE_INTEGER],
    ['depth', 1, Number.MAX_SAFE_INTEGER],
    ['bytes', 0, Number.MAX_SAFE_INTEGER],
  ];
  for (const [key, min, max] of numbers) {
    const value = rule[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value >= min && value <= max)) throw new Error(`Fault ${key} must be a number from ${min} to ${max}`);
  }
  for (const key of ['report', 'site', 'message']) {
    if (rule[key] !== undefined && typeof rule[key] !== 'string') throw new Error(`Fault ${key} must be a string`);
  }
  if (rule.retryAfter !== undefined && typeof rule.retryAfter !== 'number' && typeof rule.retryAfter !== 'string') {
    throw new Error('Fault retryAfter must be a number of seconds or a string');
  }
  return { ...(rule as unknown as FaultRule) };
}

export class FaultInjector {
  private rules: ActiveRule[] = [];
  private readonly everyRule: ActiveRule[] = [];
  private nextId = 1;
  private readonly prng: Prng;

  constructor(seed: number, initial: readonly FaultRule[] = []) {
    this.prng = Prng.at(seed, 'faults');
    this.add(initial);
  }

  /** Adds rules (validated); returns them with their ids. */
  add(rules: FaultRule | readonly FaultRule[]): ActiveRule[] {
    const list = Array.isArray(rules) ? rules : [rules as FaultRule];
    const added = list.map((r) => ({ ...validateRule(r), id: this.nextId++, seen: 0, applied: 0, sentBytes: 0 }));
    this.rules.push(...added);
    this.everyRule.push(...added);
    return added.map((r) => ({ ...r }));
  }

  remove(id: number): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): ActiveRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Every rule added since the start, retired ones included, with their counts. */
  history(): ActiveRule[] {
    return this.everyRule.map((r) => ({ ...r }));
  }

  /** Counts body bytes a fault of rule `id` sent. */
  countSent(id: number, bytes: number): void {
    const rule = this.everyRule.find((r) => r.id === id);
    if (rule) rule.sentBytes += bytes;
  }

  /** The fault to apply to this request, if any. */
  pick(ctx: FaultContext): ActiveRule | undefined {
    for (const rule of this.rules) {
      const endpoint = rule.endpoint ?? 'any';
      if (endpoint !== 'any' && endpoint !== ctx.endpoint) continue;
      if (rule.site !== undefined && rule.site !== ctx.site) continue;
      if (rule.report !== undefined && rule.report !== ctx.report) continue;
      // token-expiry only makes sense where tokens are issued.
      if (rule.kind === 'token-expiry' && ctx.endpoint !== 'token') continue;
      rule.seen++;
      if (rule.seen <= (rule.skip ?? 0)) continue;
      if (rule.rate !== undefined && rule.rate < 1 && !(this.prng.next() < rule.rate)) continue;
      rule.applied++;
      if (rule.times !== undefined && rule.applied >= rule.times) this.remove(rule.id);
      return rule;
    }
    return undefined;
  }
}
