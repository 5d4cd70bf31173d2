/**
 * The one-pass reader (xml-reader.ts) against the validating path it stands in
 * for (the validator, then fast-xml-parser): on every input, parseXml must give
 * what the validating path gives, the same objects with their keys in the same
 * order or the same error with the same line and column; and whenever the
 * reader answers at all, the validating path must accept the input and build
 * exactly that. Inputs: the shared test data, the fuzz seeds, every hostile
 * class of the fuzz test, and generated documents full of the corners where
 * the two parsers' rules could part (references, CDATA, comments, prefixes,
 * namespace declarations, reserved names, white space, depth, mutations).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PipelineError } from '@pra-pipeline/shared';
import { decodeXmlEntities, findDeclaration, isArrayElement, parseXml, validateAndParse } from '../../src/xml.js';
import { readXml } from '../../src/xml-reader.js';
import { HOSTILE_KINDS, hostileArbitraries, seedSessions } from '../hostile-xml.js';

type Outcome = { ok: string } | { code: string; message: string; context: unknown };

function outcome(fn: () => unknown): Outcome {
  try {
    return { ok: JSON.stringify(fn()) };
  } catch (err) {
    assert.ok(err instanceof PipelineError, `not a PipelineError: ${String(err)}`);
    return { code: err.code, message: err.message, context: err.context };
  }
}

const normalized = (text: string) => text.replace(/\r\n?/g, '\n');
const direct = (text: string, maxDepth: number) => readXml(normalized(text), maxDepth, isArrayElement, decodeXmlEntities);

const stats = { cases: 0, read: 0 };

/** The property itself, for one text. */
function agree(text: string, maxDepth = 32): void {
  stats.cases++;
  const read = direct(text, maxDepth);
  if (findDeclaration(text) !== -1) {
    assert.throws(() => parseXml(text, { maxDepth }), /declarations/);
    return;
  }
  const reference = outcome(() => validateAndParse(text, maxDepth));
  if (read !== undefined) {
    stats.read++;
    assert.deepEqual({ ok: JSON.stringify(read) }, reference, `the reader and the validating path differ on ${JSON.stringify(text)}`);
  }
  assert.deepEqual(outcome(() => parseXml(text, { maxDepth })), reference, `parseXml changed its answer on ${JSON.stringify(text)}`);
}

// Generated documents: small vocabularies, so that repeats, arrays and overwrites happen. The
// clean vocabulary stays within what both parsers accept, so that most of its documents are
// compared object for object; the full one adds every corner where they may part.
function generators(clean: boolean) {
  const pick = (valid: string[], odd: string[]) => fc.constantFrom(...(clean ? valid : [...valid, ...odd]));
  const space = pick([' ', '  ', '\t', '\n', '\r\n', '\r'], ['\u00a0']);
  const sep = fc.oneof({ weight: 6, arbitrary: fc.constant(' ') }, { weight: 1, arbitrary: space });
  const opt = <T>(a: fc.Arbitrary<T>, empty: T) => fc.oneof({ weight: 3, arbitrary: fc.constant(empty) }, { weight: 1, arbitrary: a });
  const elementName = pick(
    ['event', 'session', 'body', 'row', 'field', 'description', 'data', 'value', 'file', 'x', 'a.b', 'a-b', '_u', 'ns:event', 'p:x', 'xmlns:x', 'isPrototypeOf', 'x1'],
    ['a:b:c', 'constructor', 'toString', '__proto__', 'é', ':x', '1x', '#text'],
  );
  const attributeName = pick(
    ['gsnumber', 'type', 'x', 'p:x', 'q:x', 'xmlns', 'xmlns:p', 'event', 'body', 'row', 'isPrototypeOf'],
    ['constructor', 'valueOf', 'a:b:c', ':x', '1x'],
  );
  const reference = pick(
    ['&amp;', '&lt;', '&#65;', '&#x42;', '&#;', '&#x;', '&bogus;', `&${'a'.repeat(20)};`, '&#0;', '&#xD800;', '&nbsp;'],
    ['&#xZ;', '&', '&;', '& ', `&${'a'.repeat(21)};`],
  );
  const textChar = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('a', 'b', ' ', '>', '"', "'", '/', '=', ']', '-', '?', '\n', '\t', 'é', '\u00a0', '\r\n', '\r') },
    { weight: 2, arbitrary: reference },
  );
  const text = fc.array(textChar, { maxLength: 6 }).map((cs) => cs.join(''));
  const quoted = fc.tuple(fc.constantFrom('"', "'"), fc.array(clean ? textChar : fc.oneof(textChar, fc.constantFrom('<', '"', "'")), { maxLength: 4 }))
    .map(([q, cs]) => `${q}${cs.join('').replaceAll(q, '')}${q}`);
  const attribute = fc.oneof(
    { weight: 8, arbitrary: fc.tuple(sep, attributeName, opt(space, ''), opt(space, ''), quoted).map(([s, n, a, b, v]) => `${s}${n}${a}=${b}${v}`) },
    ...(clean ? [] : [
      { weight: 1, arbitrary: fc.tuple(sep, attributeName).map(([s, n]) => `${s}${n}`) },
      { weight: 1, arbitrary: fc.tuple(attributeName, quoted).map(([n, v]) => `${n}=${v}`) },
    ]),
  );
  const misc = pick(
    ['<!-- c -->', '<!---->', '<!-- a -- b -->', '<![CDATA[ x < y ]]>', '<![CDATA[]]>', '<![CDATA[  ]]>', '<![CDATA[&amp;]]>', '<!-- <x> -->'],
    ['<!--->', '<?pi data?>', '<?xml version="1.0"?>', '<!x>', '<![FOO[ y ]]>', '</>', '<>', '< x/>'],
  );
  const { node } = fc.letrec<{ node: string }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.tuple(elementName, fc.array(attribute, { maxLength: 3 }), pick(['/>', ' />', '\n/>'], ['/ >']))
        .map(([n, as, end]) => `<${n}${as.join('')}${end}`),
      fc.tuple(
        elementName,
        fc.array(attribute, { maxLength: 3 }),
        opt(space, ''),
        fc.array(fc.oneof({ weight: 3, arbitrary: tie('node') }, { weight: 3, arbitrary: text }, { weight: 1, arbitrary: misc }), { maxLength: 5 }),
        clean ? fc.constant('') : fc.oneof({ weight: 12, arbitrary: fc.constant('') }, { weight: 1, arbitrary: elementName }),
        opt(space, ''),
      ).map(([n, as, s, children, wrong, s2]) => `<${n}${as.join('')}${s}>${children.join('')}</${wrong || n}${s2}>`),
    ),
  }));
  const prolog = pick(
    ['', '', '<?xml version="1.0" encoding="UTF-8"?>\n', '\ufeff', '\ufeff<?xml version="1.0"?>', '<!-- c -->', '\n', "<?xml version='1.0' standalone='yes' ?>"],
    [' <?xml version="1.0"?>', '<?xml version="1.0?>"?>', '<?xml-stylesheet href="a"?>'],
  );
  const epilog = pick(['', '', '\n', '<!-- c -->', ' \n '], ['x', '<x/>', '<x></x>', '&amp;', '<![CDATA[x]]>', '<?pi?>']);
  return fc.tuple(prolog, node, epilog).map(([p, n, e]) => `${p}${n}${e}`);
}
const documents = fc.oneof(generators(true), generators(false));
const mutated = fc.tuple(documents, fc.nat(), fc.constantFrom('', '<', '>', '/', '"', '&', '!', '-', ' ', ':', '\r'), fc.boolean())
  .map(([doc, at, ch, replace]) => {
    const i = at % (doc.length + 1);
    return doc.slice(0, i) + ch + doc.slice(replace ? i + 1 : i);
  });

describe('the one-pass XML reader', () => {
  it('reads the shared test data and the fuzz seeds itself, agreeing with the validating path', () => {
    for (const seed of seedSessions()) {
      assert.notEqual(direct(seed, 32), undefined, `the reader gave up on a seed: ${seed.slice(0, 120)}`);
      agree(seed);
    }
  });

  it('gives up on a construct outside its subset, and the validating path still answers', () => {
    const session = '<session lsid="s"><session_details><event timestamp="1" event_type="x"><body>b</body></event></session_details></session>';
    for (const other of [
      session.replace('<body>', '<?pi x?><body>'),
      session.replace('lsid="s"', 'lsid="s" é="1"'),
      `${session}<!-- trailing`,
      `<!-- c --><?xml version="1.0"?>${session}`,
    ]) {
      assert.equal(direct(other, 32), undefined, other);
      agree(other);
    }
  });

  it('leaves the line and column of malformed input to the validator', () => {
    const cases: [string, number, number][] = [
      ['<session>\n  <lseq>1</lsq>\n</session>', 2, 10],
      ['<session>\n<a b="1>\n</a></session>', 2, 3],
      ['<session>\n\n  <a>x &amp y</a></session>', 3, 8],
      ['<session></session>\n<session></session>', 2, 9],
    ];
    for (const [xml, line, column] of cases) {
      assert.equal(direct(xml, 32), undefined);
      let caught: unknown;
      try {
        parseXml(xml);
      } catch (err) {
        caught = err;
      }
      assert.ok(caught instanceof PipelineError, xml);
      assert.equal(caught.code, 'PIPE_XML_MALFORMED');
      assert.deepEqual(caught.context, { line, column }, `${xml}: ${caught.message}`);
      assert.match(caught.message, new RegExp(`line ${line}, column ${column}`));
    }
  });

  it('keeps the depth limit: the validating path answers beyond it', () => {
    for (const depth of [1, 2, 3, 31, 32, 33, 34]) {
      const deep = `<session>${'<x>'.repeat(depth)}v${'</x>'.repeat(depth)}</session>`;
      for (const maxDepth of [2, 32]) agree(deep, maxDepth);
    }
    assert.throws(() => parseXml(`<session>${'<x>'.repeat(40)}${'</x>'.repeat(40)}</session>`), (err: unknown) => err instanceof PipelineError && err.code === 'PIPE_XML_LIMIT');
  });

  it('reads a tag of many attributes in linear time, and still refuses a repeated one', () => {
    const many = Array.from({ length: 50_000 }, (_, i) => ` a${i}="${i}"`).join('');
    const started = performance.now();
    const read = direct(`<session${many}/>`, 32) as { session: Record<string, string>[] };
    assert.equal(Object.keys(read.session[0]!).length, 50_000);
    assert.ok(performance.now() - started < 1000, `${(performance.now() - started).toFixed(0)} ms`);
    assert.equal(direct(`<session${many} a17="again"/>`, 32), undefined);
    agree(`<session${many.slice(0, 2000)} a17="again"/>`);
  });

  it('agrees with the validating path on generated documents', () => {
    fc.assert(fc.property(documents, fc.constantFrom(2, 32), (doc, maxDepth) => agree(doc, maxDepth)), { numRuns: 4000 });
  });

  it('agrees with the validating path on mutated documents', () => {
    fc.assert(fc.property(mutated, (doc) => agree(doc)), { numRuns: 4000 });
  });

  it('agrees with the validating path on every hostile class of the fuzz test', () => {
    const arbitraries = hostileArbitraries({ fileUrl: 'file:///nonexistent/secret.txt', httpUrl: 'http://127.0.0.1:9' });
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    for (const kind of HOSTILE_KINDS) {
      fc.assert(fc.property(arbitraries[kind], (c) => {
        let xml: string;
        try {
          xml = utf8.decode(c.bytes);
        } catch {
          return; // not text: toText refuses it before either parser runs
        }
        agree(xml);
      }), { numRuns: kind === 'huge-attribute' ? 10 : 150 });
    }
  });

  it('answered itself for a good share of the inputs above, so the comparison is not empty', () => {
    assert.ok(stats.cases > 8000, `${stats.cases} cases`);
    assert.ok(stats.read > stats.cases / 5, `the reader answered ${stats.read} of ${stats.cases}`);
  });
});
