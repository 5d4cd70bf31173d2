/**
 * Bodies of the hostile fault kinds, generated as they are written (with
 * backpressure), so a body of any size or depth costs the simulator one chunk:
 * a session nested `depth` elements deep, `bytes` of filler behind a status,
 * and a body trickled one byte at a time. Every byte written is counted on the
 * rule, so a test can tell how far the client read before it hung up.
 */
import type { ServerResponse } from 'node:http';
import type { ActiveRule, FaultInjector } from './faults.js';
import type { RequestTracker } from './request-tracker.js';
import { send as write } from './stream.js';

const CHUNK = 64 * 1024;
export const DEFAULT_DEEP_NESTING = 150_000_000;
export const DEFAULT_HUGE_BODY_BYTES = 3 * 1024 ** 3;
export const DEFAULT_TRICKLE_MS = 10_000;

/** A session nested `depth` elements deep inside a normal report root, closed properly at the end. */
function* deepNesting(depth: number): Generator<string> {
  yield '<?xml version="1.0" encoding="UTF-8"?>\n<session_list><session lsid="deep-nesting">';
  const open = '<n>'.repeat(CHUNK / 3);
  for (let left = depth; left > 0; left -= CHUNK / 3) yield left >= CHUNK / 3 ? open : '<n>'.repeat(left);
  const close = '</n>'.repeat(CHUNK / 4);
  for (let left = depth; left > 0; left -= CHUNK / 4) yield left >= CHUNK / 4 ? close : '</n>'.repeat(left);
  yield '</session></session_list>\n';
}

/** `bytes` of filler: JSON that never closes on the token endpoint, plain text elsewhere. */
function* filler(bytes: number, json: boolean): Generator<string> {
  let left = bytes;
  if (json) {
    const head = '{"token_type":"Bearer","expires_in":3600,"access_token":"';
    yield head.slice(0, left);
    left -= Math.min(left, head.length);
  }
  const block = (json ? 'A' : 'x').repeat(CHUNK);
  while (left > 0) {
    const n = Math.min(left, CHUNK);
    yield n === CHUNK ? block : block.slice(0, n);
    left -= n;
  }
}

async function stream(res: ServerResponse, pieces: Iterable<string>, rule: ActiveRule, faults: FaultInjector): Promise<void> {
  for (const piece of pieces) {
    if (!(await write(res, piece))) return;
    faults.countSent(rule.id, Buffer.byteLength(piece));
  }
  res.end();
}

/** Answers with the hostile fault `rule`; `body` is what the endpoint would have sent (for trickle). */
export async function sendHostile(
  rule: ActiveRule,
  endpoint: 'token' | 'reporting',
  res: ServerResponse,
  faults: FaultInjector,
  tracker: RequestTracker,
  body: () => string,
): Promise<void> {
  switch (rule.kind) {
    case 'deep-nesting':
      res.writeHead(200, { 'content-type': 'text/xml; charset=UTF-8' });
      return stream(res, deepNesting(rule.depth ?? DEFAULT_DEEP_NESTING), rule, faults);
    case 'huge-body': {
      const status = rule.status ?? (endpoint === 'token' ? 200 : 500);
      const json = endpoint === 'token' && status === 200;
      res.writeHead(status, { 'content-type': json ? 'application/json' : 'text/plain; charset=utf-8' });
      return stream(res, filler(rule.bytes ?? DEFAULT_HUGE_BODY_BYTES, json), rule, faults);
    }
    case 'trickle': {
      res.writeHead(200, { 'content-type': endpoint === 'token' ? 'application/json' : 'text/xml; charset=UTF-8' });
      const bytes = Buffer.from(body());
      for (let i = 0; i < bytes.length; i++) {
        if (!(await write(res, bytes.subarray(i, i + 1)))) return;
        faults.countSent(rule.id, 1);
        await tracker.sleep(rule.delayMs ?? DEFAULT_TRICKLE_MS);
      }
      res.end();
      return;
    }
    default:
      throw new Error(`${rule.kind} is not a hostile fault`);
  }
}

export function isHostile(rule: ActiveRule | undefined): rule is ActiveRule {
  return rule !== undefined && (rule.kind === 'deep-nesting' || rule.kind === 'huge-body' || rule.kind === 'trickle');
}
