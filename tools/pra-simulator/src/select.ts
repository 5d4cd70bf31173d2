/** Which sessions a parsed query selects at a given moment. */
import type { SiteGenerator } from './generator.js';
import type { SessionPlan } from './model.js';
import type { Query } from './query.js';

export function* selectSessions(gen: SiteGenerator, query: Query, nowSec: number): Generator<SessionPlan> {
  if (query.by === 'lsid') {
    const seen = new Set<string>();
    for (const lsid of query.lsids) {
      if (seen.has(lsid)) continue;
      seen.add(lsid);
      const plan = gen.findByLsid(lsid.toLowerCase(), nowSec);
      if (plan) yield plan;
    }
    return;
  }
  const windowEnd = query.duration === 0 ? nowSec : Math.min(nowSec, query.from + query.duration - 1);
  if (query.by === 'start') {
    yield* gen.sessionsStartingBetween(query.from, windowEnd);
    return;
  }
  // Closed sessions that ended in the window, whenever they started.
  for (const plan of gen.sessionsStartingBetween(gen.firstMinute * 60, windowEnd)) {
    if (plan.end <= nowSec && plan.end >= query.from && plan.end <= windowEnd) yield plan;
  }
}

/** Splits off the first item so that "nothing matched" is known before streaming starts. */
export function peek<T>(items: Iterable<T>): { empty: true } | { empty: false; all: Iterable<T> } {
  const it = items[Symbol.iterator]();
  const first = it.next();
  if (first.done) return { empty: true };
  return {
    empty: false,
    all: (function* () {
      yield first.value;
      for (let r = it.next(); !r.done; r = it.next()) yield r.value;
    })(),
  };
}
