/**
 * Fuzzing the session splitter: simulator reports cut into random chunks and
 * damaged (bytes flipped, deleted or inserted, structural tokens spliced in,
 * truncated). The splitter may only throw a PipelineError with an XML code,
 * every way of chunking gives the same items, and every session it emits is a
 * piece of the input (apart from the root's namespace declarations, which it
 * repeats on the session's start tag and which must come from the root).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PipelineError } from '@pra-pipeline/shared';
import { DEFAULT_PROFILE, SiteGenerator, renderSessionList } from '@pra-pipeline/pra-simulator';
import { SessionSplitter, type SplitItem } from '../../src/session-splitter.js';

const RUNS = 2000;
// FUZZ_SEED replays a run; in CI a fixed seed keeps the verdict reproducible, elsewhere every run explores new inputs.
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : process.env.CI ? 20261125 : undefined;

const generator = new SiteGenerator({ seed: 5, site: 'fuzz', profile: DEFAULT_PROFILE, historyStart: 1712235600 });
const plans = [...generator.sessionsStartingBetween(1712235600, 1712235600 + 600)].slice(0, 4);
const reports = [true, false].map((namespace) =>
  Buffer.from([...renderSessionList(plans, 1712235600 + 3600, { namespace, timestampFormat: 'unix', publicHost: 'pra.example.com', runningEndTime: 'empty' })].join('')),
);
reports.push(Buffer.from('<r:session_list xmlns:r="urn:r" xmlns="urn:d"><r:session lsid="a"><r:x/></r:session><error>e &amp; f</error></r:session_list>'));

const TOKENS = ['<session>', '</session>', '<session lsid="z">', '<![CDATA[', ']]>', '<!--', '-->', '<?pi ', '?>', '"', "'", '<', '>', '</', '/>', '<error>', '</error>', '<session_list>', '<!DOCTYPE x>', 'xmlns:p="u"', '&#x10FFFF;', '&#99999999;', '\u0000', '\uFEFF'];

const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), r: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), byte: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('delete' as const), r: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ op: fc.constant('insert' as const), r: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 12 })) }),
  fc.record({ op: fc.constant('truncate' as const), r: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) }),
);

type Mutation = { op: string; r: number; byte?: number; length?: number; text?: string };

function mutate(input: Buffer, mutations: readonly Mutation[]): Buffer {
  let bytes = input;
  for (const m of mutations) {
    const at = Math.floor(m.r * bytes.length);
    if (m.op === 'flip') {
      bytes = Buffer.from(bytes);
      bytes[at] = (bytes[at] ?? 0) ^ (m.byte as number);
    } else if (m.op === 'delete') bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + (m.length as number))]);
    else if (m.op === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(m.text as string), bytes.subarray(at)]);
    else bytes = bytes.subarray(0, at);
  }
  return bytes;
}

type Result = { items: SplitItem[] } | { code: string };

function split(bytes: Buffer, sizes: readonly number[], maxSessionBytes: number): Result {
  const splitter = new SessionSplitter({ maxSessionBytes, headBytes: 64, maxTagBytes: 4096 });
  const items: SplitItem[] = [];
  try {
    let pos = 0;
    for (let k = 0; pos < bytes.length; k++) {
      const size = sizes[k % sizes.length] as number;
      items.push(...splitter.push(bytes.subarray(pos, pos + size)));
      pos += size;
    }
    items.push(...splitter.end());
    return { items };
  } catch (err) {
    assert.ok(err instanceof PipelineError, `not a PipelineError: ${String(err)}`);
    assert.ok(err.code === 'PIPE_XML_MALFORMED' || err.code === 'PIPE_XML_LIMIT', err.code);
    assert.ok(err.message.length > 0);
    return { code: err.code };
  }
}

/** The root start tag's text, for the namespace declarations a session may repeat. */
function rootStartTag(input: Buffer): string {
  const text = input.toString('latin1');
  const m = /<[^?!][^>]*>/.exec(text);
  return m ? m[0] : '';
}

function checkItemsComeFromInput(input: Buffer, items: SplitItem[]): number {
  let sessions = 0;
  for (const item of items) {
    if (item.kind !== 'session') continue;
    sessions++;
    if (item.oversize) {
      assert.equal(item.bytes, undefined);
      assert.ok(item.head && input.includes(item.head), 'an oversize session\'s head is not in the input');
      continue;
    }
    const bytes = item.bytes as Buffer;
    const added = bytes.length - item.size;
    assert.ok(added >= 0);
    if (added === 0) {
      assert.ok(input.includes(bytes), `a session that is not in the input: ${bytes.subarray(0, 80).toString()}`);
      continue;
    }
    // The repeated declarations sit right after the element's name.
    const nameEnd = /^<[^\s/>]+/.exec(bytes.toString('latin1'))?.[0].length ?? 0;
    const extra = bytes.subarray(nameEnd, nameEnd + added).toString('latin1');
    const rest = Buffer.concat([bytes.subarray(0, nameEnd), bytes.subarray(nameEnd + added)]);
    assert.ok(input.includes(rest), `a session that is not in the input: ${rest.subarray(0, 80).toString()}`);
    const root = rootStartTag(input);
    for (const declaration of extra.trim().split(/\s+(?=xmlns)/)) {
      assert.match(declaration, /^xmlns(:[^=]+)?=("[^"]*"|'[^']*')$/, `added text that is not a declaration: ${extra}`);
      assert.ok(root.includes(declaration), `a declaration the root does not have: ${declaration}`);
    }
  }
  return sessions;
}

test(`splitter fuzz: ${RUNS} damaged reports in random chunks never crash it and yield only pieces of the input`, () => {
  let sessions = 0;
  let errors = 0;
  fc.assert(
    fc.property(
      fc.constantFrom(...reports.keys()),
      fc.array(mutation, { maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 8 }),
      fc.constantFrom(1 << 20, 2000, 300),
      (which, mutations, sizes, maxSessionBytes) => {
        const input = mutate(reports[which] as Buffer, mutations);
        const whole = split(input, [input.length + 1], maxSessionBytes);
        const chunked = split(input, sizes, maxSessionBytes);
        assert.deepEqual(chunked, whole, 'the chunking changed the result');
        if ('items' in whole) sessions += checkItemsComeFromInput(input, whole.items);
        else errors++;
      },
    ),
    { numRuns: RUNS, ...(seed === undefined ? {} : { seed }) },
  );
  // The undamaged reports are split, so the property above is not only ever about errors.
  assert.ok(sessions > 0, 'no session was ever emitted');
  assert.ok(errors > 0, 'no damaged report was ever refused');
});
