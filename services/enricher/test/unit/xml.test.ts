import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PipelineError } from '@pra-pipeline/shared';
import { decodeXmlEntities, findDeclaration, parserFor, parseXml } from '../../src/xml.js';
import { xmlToRecords } from '../../src/stage-a.js';

function rejects(fn: () => unknown, code: string, pattern?: RegExp): PipelineError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof PipelineError, `expected a PipelineError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  if (pattern) assert.match(caught.message, pattern);
  return caught;
}

const session = (body: string) =>
  `<session lsid="s1"><session_details><event timestamp="1712235600" event_type="Chat Message"><body>${body}</body></event></session_details></session>`;

describe('xml', () => {
  it('decodes the five XML entities and numeric references only', () => {
    assert.equal(decodeXmlEntities('&lt;&gt;&amp;&quot;&apos; &#65;&#x42; &#x1F600; &nbsp; &x;'), `<>&"' AB \u{1F600} &nbsp; &x;`);
    assert.equal(decodeXmlEntities('&#0; &#xD800;'), '&#0; &#xD800;');
    const [record] = xmlToRecords(session('a &amp; b &#233;'));
    assert.equal(record?.body, 'a & b é');
  });

  it('refuses an entity bomb without expanding it', () => {
    const bomb = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
${session('&lol2;&lol;')}`;
    const err = rejects(() => xmlToRecords(bomb), 'PIPE_XML_MALFORMED', /DOCTYPE.*line 2, column 1/);
    assert.deepEqual(err.context, { line: 2, column: 1 });
  });

  it('refuses an external entity', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE s [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${session('&xxe;')}`;
    rejects(() => xmlToRecords(xxe), 'PIPE_XML_MALFORMED', /not accepted/);
  });

  it('refuses a declaration inside the document too, where the parser would still read it', () => {
    const inside = session('x').replace('<session_details>', '<!DOCTYPE s [<!ENTITY e "expanded">]><session_details>');
    rejects(() => xmlToRecords(inside), 'PIPE_XML_MALFORMED', /not accepted/);
  });

  it('never expands a declared entity even when the declaration check is bypassed', () => {
    const parsed = parserFor(32).parse(
      '<!DOCTYPE a [<!ENTITY e "expanded">]><a><b>&e;</b><c>&amp;&#65;</c></a>',
    ) as { a: { b: string; c: string } };
    assert.equal(parsed.a.b, '&e;');
    assert.equal(parsed.a.c, '&A');
    // fast-xml-parser itself refuses SYSTEM entities; nothing is fetched.
    assert.throws(() => parserFor(32).parse('<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'), /External entities/);
  });

  it('finds declarations outside comments and CDATA only', () => {
    assert.equal(findDeclaration('<a><![CDATA[<!DOCTYPE x>]]><!-- <!ENTITY y "z"> --></a>'), -1);
    assert.equal(findDeclaration('<a><!-- c --><!ENTITY y "z"></a>'), 13);
    const [record] = xmlToRecords(session('<![CDATA[<!DOCTYPE is text here]]>'));
    assert.equal(record?.body, '<!DOCTYPE is text here');
  });

  it('limits the input size', () => {
    const xml = session('x'.repeat(2000));
    rejects(() => parseXml(xml, { maxBytes: 1000 }), 'PIPE_XML_LIMIT', /1000 bytes/);
    rejects(() => parseXml(Buffer.from(xml), { maxBytes: 1000 }), 'PIPE_XML_LIMIT', /1000 bytes/);
    assert.ok(parseXml(xml, { maxBytes: 10_000 }));
    // Multi-byte characters count as bytes, not UTF-16 units.
    rejects(() => parseXml(session('é'.repeat(400)), { maxBytes: 900 }), 'PIPE_XML_LIMIT');
  });

  it('limits the nesting depth', () => {
    const deep = `<session>${'<x>'.repeat(50)}${'</x>'.repeat(50)}</session>`;
    rejects(() => parseXml(deep, { maxDepth: 32 }), 'PIPE_XML_LIMIT', /deeper than the limit of 32/);
    assert.ok(parseXml(deep, { maxDepth: 60 }));
  });

  it('reports malformed XML with line and column', () => {
    const err = rejects(() => xmlToRecords('<session>\n  <lseq>1</lsq>\n</session>'), 'PIPE_XML_MALFORMED', /line 2, column/);
    assert.equal(err.context.line, 2);
    rejects(() => xmlToRecords(Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e])), 'PIPE_XML_MALFORMED', /UTF-8/);
    rejects(() => xmlToRecords('not xml'), 'PIPE_XML_MALFORMED');
    rejects(() => xmlToRecords('<error>Invalid token</error>'), 'PIPE_XML_MALFORMED', /<error>/);
  });
});
