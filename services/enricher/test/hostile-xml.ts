/**
 * Hostile session XML for the fuzz tests: valid sessions (the shared test
 * vector and sessions from the simulator's generator) mutated by one class of
 * attack or damage each, and session-shaped documents generated from scratch.
 *
 * Entity values are written with a character reference (`XX&#69;XPANDEDXX`), so
 * EXPANSION_MARKER itself never occurs in any input: finding it in an output
 * proves that an entity was expanded. The file behind `fileUrl` holds a marker
 * that no input contains either.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { RECORD_HEADERS } from '@pra-pipeline/shared';
import { DEFAULT_PROFILE, SiteGenerator, REPORTING_NAMESPACE, renderSession } from '@pra-pipeline/pra-simulator';
import { testdata } from './testdata.js';

export const EXPANSION_MARKER = 'XXEXPANDEDXX';
const ENTITY_VALUE = 'XX&#69;XPANDEDXX';

/** Where external references point: a file holding a marker, and a local listener that counts connections. */
export interface ExternalTargets {
  fileUrl: string;
  httpUrl: string;
}

export const HOSTILE_KINDS = [
  'truncated',
  'deep-nesting',
  'huge-attribute',
  'invalid-utf8',
  'control-characters',
  'entity-bomb',
  'external-entity',
  'cdata',
  'comments',
  'namespaces',
  'generated',
  'byte-mutation',
] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];

export interface HostileCase {
  kind: HostileKind;
  /** What was done, for the failure message. */
  note: string;
  bytes: Buffer;
  preserveOriginal: boolean;
}

/** The valid sessions every mutation starts from. */
export function seedSessions(): string[] {
  const report = readFileSync(testdata('pra/report-single-session.xml'), 'utf8');
  const single = report.slice(report.indexOf('<session>'), report.lastIndexOf('</session>') + '</session>'.length);
  const generator = new SiteGenerator({ seed: 11, site: 'fuzz', profile: DEFAULT_PROFILE, historyStart: 1712235600 });
  const plans = [...generator.sessionsStartingBetween(1712235600, 1712235600 + 900)].slice(0, 3);
  const simulated = plans.map((plan, i) =>
    [...renderSession(plan, plan.end + 60, { namespace: i === 0, timestampFormat: i === 1 ? 'iso' : 'unix', publicHost: 'pra.example.com', runningEndTime: 'omit' })].join(''),
  );
  // The first as the appliance sends it through the poller: the root's namespace repeated on the session.
  simulated[0] = simulated[0]!.replace('<session ', `<session xmlns="${REPORTING_NAMESPACE}" `);
  return [single, report, ...simulated];
}

/** The headers a poller would send with a session. */
export function rawHeaders(site: string, preserveOriginal: boolean, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [RECORD_HEADERS.site]: site,
    [RECORD_HEADERS.siteHost]: `${site}.example.com`,
    [RECORD_HEADERS.namespace]: 'fuzz',
    [RECORD_HEADERS.fetchedAt]: '2024-04-04T15:00:00.000Z',
    [RECORD_HEADERS.preserveOriginalEvent]: String(preserveOriginal),
    ...extra,
  };
}

/** Offsets just after a `>`: places where text may stand. */
function textPositions(xml: string): number[] {
  const out: number[] = [];
  for (let i = xml.indexOf('>'); i !== -1; i = xml.indexOf('>', i + 1)) out.push(i + 1);
  return out;
}

/** Offsets of the end of a start tag's name: places where an attribute may be added. */
function attributePositions(xml: string): number[] {
  const out: number[] = [];
  for (const m of xml.matchAll(/<[A-Za-z_][\w.:-]*/g)) out.push((m.index ?? 0) + m[0].length);
  return out;
}

function insertAt(text: string, at: number, piece: string): string {
  return text.slice(0, at) + piece + text.slice(at);
}

const seeds = seedSessions();
const seedArb = fc.constantFrom(...seeds);
/** A position among `positions(seed)`, chosen by an index in [0, 1). */
const pick = (positions: number[], r: number): number => positions[Math.min(positions.length - 1, Math.floor(r * positions.length))] ?? 0;
const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

const asCase = (kind: HostileKind) => (x: { note: string; bytes: Buffer | string; preserveOriginal: boolean }): HostileCase => ({
  kind,
  note: x.note,
  bytes: Buffer.isBuffer(x.bytes) ? x.bytes : Buffer.from(x.bytes, 'utf8'),
  preserveOriginal: x.preserveOriginal,
});

const truncated = fc
  .record({ seed: seedArb, r: fraction, preserveOriginal: fc.boolean(), accent: fc.boolean() })
  .map(({ seed, r, preserveOriginal, accent }) => {
    const bytes = Buffer.from(accent ? seed.replace(/<(session_type|username)>/, '<$1>é€😀') : seed);
    const end = Math.floor(r * bytes.length);
    return { note: `cut at ${end} of ${bytes.length}`, bytes: bytes.subarray(0, end), preserveOriginal };
  })
  .map(asCase('truncated'));

const deepNesting = fc
  .record({ seed: seedArb, r: fraction, depth: fc.integer({ min: 1, max: 5000 }), closed: fc.boolean(), name: fc.constantFrom('d', 'event', 'session', 'x:y'), preserveOriginal: fc.boolean() })
  .map(({ seed, r, depth, closed, name, preserveOriginal }) => {
    const decl = name.includes(':') ? ' xmlns:x="urn:x"' : '';
    const piece = `<${name}${decl}>`.repeat(depth) + 'leaf' + (closed ? `</${name}>`.repeat(depth) : '');
    return { note: `${depth} x <${name}> ${closed ? 'closed' : 'unclosed'}`, bytes: insertAt(seed, pick(textPositions(seed), r), piece), preserveOriginal };
  })
  .map(asCase('deep-nesting'));

const hugeAttribute = fc
  .record({
    seed: seedArb,
    r: fraction,
    unit: fc.constantFrom('a', '&amp;', '&#x41;', 'é', '😀', '&lt;event/&gt;', ' '),
    // Up to about 1.5 MB: large enough to show linear behaviour, small enough for a Kafka message.
    count: fc.integer({ min: 1, max: 300_000 }),
    name: fc.constantFrom('junk', 'timestamp', 'lsid', 'gsnumber', 'xmlns:p'),
    preserveOriginal: fc.boolean(),
  })
  .map(({ seed, r, unit, count: wanted, name, preserveOriginal }) => {
    const count = Math.min(wanted, Math.floor(1_500_000 / unit.length));
    // An attribute the tag already has is a well-formedness error; either way the input must be handled.
    const piece = ` ${name}="${unit.repeat(count)}"`;
    return { note: `${name}="${unit}" x ${count}`, bytes: insertAt(seed, pick(attributePositions(seed), r), piece), preserveOriginal };
  })
  .map(asCase('huge-attribute'));

const BAD_UTF8: readonly number[][] = [
  [0xff], [0xfe], [0x80], [0xbf], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xc3],
];
const invalidUtf8 = fc
  .record({
    seed: seedArb,
    edits: fc.array(fc.record({ r: fraction, seq: fc.oneof(fc.constantFrom(...BAD_UTF8), fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 6 })), replace: fc.boolean() }), { minLength: 1, maxLength: 4 }),
    preserveOriginal: fc.boolean(),
  })
  .map(({ seed, edits, preserveOriginal }) => {
    let bytes = Buffer.from(seed);
    for (const { r, seq, replace } of edits) {
      const at = Math.floor(r * bytes.length);
      bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(seq), bytes.subarray(replace ? at + seq.length : at)]);
    }
    return { note: edits.map((e) => e.seq.map((b) => b.toString(16)).join(' ')).join(' | '), bytes, preserveOriginal };
  })
  .map(asCase('invalid-utf8'));

const CONTROL = [...Array.from({ length: 32 }, (_, i) => i), 0x7f, 0x85, 0xfffe, 0xffff, 0xd800, 0xdfff];
const controlCharacters = fc
  .record({
    seed: seedArb,
    edits: fc.array(fc.record({ r: fraction, code: fc.constantFrom(...CONTROL), form: fc.constantFrom('raw', 'decimal', 'hex'), inAttribute: fc.boolean() }), { minLength: 1, maxLength: 6 }),
    preserveOriginal: fc.boolean(),
  })
  .map(({ seed, edits, preserveOriginal }) => {
    let xml = seed;
    for (const { r, code, form, inAttribute } of edits) {
      const char = form === 'raw' ? String.fromCharCode(code) : form === 'decimal' ? `&#${code};` : `&#x${code.toString(16)};`;
      xml = inAttribute ? insertAt(xml, pick(attributePositions(xml), r), ` c${code}="a${char}b"`) : insertAt(xml, pick(textPositions(xml), r), char);
    }
    return { note: edits.map((e) => `${e.form} U+${e.code.toString(16)}${e.inAttribute ? ' in attribute' : ''}`).join(', '), bytes: xml, preserveOriginal };
  })
  .map(asCase('control-characters'));

/** Billion laughs (nested) or quadratic blow-up (one large entity used many times). */
const entityBomb = fc
  .record({
    seed: seedArb,
    r: fraction,
    style: fc.constantFrom('nested', 'quadratic', 'undeclared', 'parameter'),
    levels: fc.integer({ min: 1, max: 10 }),
    width: fc.integer({ min: 2, max: 10 }),
    uses: fc.integer({ min: 1, max: 2000 }),
    placement: fc.constantFrom('prolog', 'inside', 'after-root'),
    inAttribute: fc.boolean(),
    preserveOriginal: fc.boolean(),
  })
  .map(({ seed, r, style, levels, width, uses, placement, inAttribute, preserveOriginal }) => {
    let decl: string;
    let reference: string;
    if (style === 'nested') {
      const entities = [`<!ENTITY l0 "${ENTITY_VALUE}">`];
      for (let i = 1; i <= levels; i++) entities.push(`<!ENTITY l${i} "${`&l${i - 1};`.repeat(width)}">`);
      decl = `<!DOCTYPE session [\n${entities.join('\n')}\n]>`;
      reference = `&l${levels};`;
    } else if (style === 'quadratic') {
      decl = `<!DOCTYPE session [<!ENTITY q "${ENTITY_VALUE.repeat(width * 500)}">]>`;
      reference = '&q;'.repeat(uses);
    } else if (style === 'parameter') {
      decl = `<!DOCTYPE session [<!ENTITY % p "<!ENTITY e '${ENTITY_VALUE}'>"> %p; ]>`;
      reference = '&e;';
    } else {
      // References to entities nobody declared: they must stay literal text.
      decl = '';
      reference = `&l${levels};&q;&lol;&xxe;`.repeat(Math.min(uses, 200));
    }
    let xml = seed;
    xml = inAttribute ? insertAt(xml, pick(attributePositions(xml), r), ` bomb="${reference}"`) : insertAt(xml, pick(textPositions(xml), r), reference);
    if (placement === 'prolog') xml = `<?xml version="1.0"?>\n${decl}\n${xml}`;
    else if (placement === 'inside') xml = insertAt(xml, xml.indexOf('>') + 1, decl);
    else xml = `${xml}\n${decl}`;
    return { note: `${style} levels=${levels} width=${width} uses=${uses} ${placement}${inAttribute ? ' attribute' : ''}`, bytes: xml, preserveOriginal };
  })
  .map(asCase('entity-bomb'));

function externalEntity(targets: ExternalTargets) {
  return fc
    .record({
      seed: seedArb,
      r: fraction,
      target: fc.constantFrom(targets.fileUrl, targets.httpUrl, `${targets.httpUrl}/dtd`),
      style: fc.constantFrom('system', 'public', 'parameter', 'external-dtd', 'xinclude', 'schema-location', 'stylesheet', 'xml-base'),
      placement: fc.constantFrom('prolog', 'inside'),
      preserveOriginal: fc.boolean(),
    })
    .map(({ seed, r, target, style, placement, preserveOriginal }) => {
      let xml = seed;
      let prolog = '';
      switch (style) {
        case 'system':
          prolog = `<!DOCTYPE session [<!ENTITY xxe SYSTEM "${target}">]>`;
          xml = insertAt(xml, pick(textPositions(xml), r), '&xxe;');
          break;
        case 'public':
          prolog = `<!DOCTYPE session [<!ENTITY xxe PUBLIC "-//X//Y" "${target}">]>`;
          xml = insertAt(xml, pick(textPositions(xml), r), '&xxe;');
          break;
        case 'parameter':
          prolog = `<!DOCTYPE session [<!ENTITY % dtd SYSTEM "${target}"> %dtd; ]>`;
          break;
        case 'external-dtd':
          prolog = `<!DOCTYPE session SYSTEM "${target}">`;
          break;
        case 'xinclude':
          xml = insertAt(xml, pick(textPositions(xml), r), `<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="${target}" parse="text"/>`);
          break;
        case 'schema-location':
          xml = insertAt(xml, attributePositions(xml)[0] ?? 0, ` xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:x ${target}"`);
          break;
        case 'stylesheet':
          prolog = `<?xml-stylesheet type="text/xsl" href="${target}"?>`;
          break;
        case 'xml-base':
          xml = insertAt(xml, pick(attributePositions(xml), r), ` xml:base="${target}" href="${target}"`);
          break;
      }
      if (prolog) xml = placement === 'prolog' ? `<?xml version="1.0"?>\n${prolog}\n${xml}` : insertAt(xml, xml.indexOf('>') + 1, prolog);
      return { note: `${style} ${target} ${placement}`, bytes: xml, preserveOriginal };
    })
    .map(asCase('external-entity'));
}

const trickyText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom(']]>', ']]', '<!DOCTYPE x [<!ENTITY e "v">]>', '</session>', '<session>', '&lol;', '--', '-->', '<!--', '<![CDATA[', '\u0000', '😀', '&#0;'),
);
const cdata = fc
  .record({ seed: seedArb, edits: fc.array(fc.record({ r: fraction, parts: fc.array(trickyText, { maxLength: 4 }), closed: fc.boolean() }), { minLength: 1, maxLength: 4 }), preserveOriginal: fc.boolean() })
  .map(({ seed, edits, preserveOriginal }) => {
    let xml = seed;
    for (const { r, parts, closed } of edits) xml = insertAt(xml, pick(textPositions(xml), r), `<![CDATA[${parts.join('')}${closed ? ']]>' : ''}`);
    return { note: edits.map((e) => JSON.stringify(e.parts.join(''))).join(', '), bytes: xml, preserveOriginal };
  })
  .map(asCase('cdata'));

const comments = fc
  .record({ seed: seedArb, edits: fc.array(fc.record({ r: fraction, parts: fc.array(trickyText, { maxLength: 4 }), closed: fc.boolean(), prolog: fc.boolean() }), { minLength: 1, maxLength: 4 }), preserveOriginal: fc.boolean() })
  .map(({ seed, edits, preserveOriginal }) => {
    let xml = seed;
    for (const { r, parts, closed, prolog } of edits) {
      const comment = `<!--${parts.join('')}${closed ? '-->' : ''}`;
      xml = prolog ? comment + xml : insertAt(xml, pick(textPositions(xml), r), comment);
    }
    return { note: edits.map((e) => JSON.stringify(e.parts.join(''))).join(', '), bytes: xml, preserveOriginal };
  })
  .map(asCase('comments'));

const ELEMENT_NAMES = ['session', 'session_details', 'event', 'lseq', 'start_time', 'end_time', 'performed_by', 'destination', 'body', 'customer_list', 'customer', 'rep_list', 'representative', 'files', 'file', 'custom_attributes', 'custom_attribute', 'data', 'value', 'field', 'row', 'description'];
const namespaces = fc
  .record({
    seed: seedArb,
    edits: fc.array(
      fc.record({
        element: fc.constantFrom(...ELEMENT_NAMES),
        prefix: fc.constantFrom('p', 'xml', 'xmlns', 'a.b', 'x-y', 'undeclared'),
        uri: fc.constantFrom('urn:p', '', REPORTING_NAMESPACE, 'http://www.w3.org/XML/1998/namespace', 'http://www.w3.org/2000/xmlns/'),
        prefixedAttribute: fc.boolean(),
        declare: fc.boolean(),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    preserveOriginal: fc.boolean(),
  })
  .map(({ seed, edits, preserveOriginal }) => {
    let xml = seed;
    for (const { element, prefix, uri, prefixedAttribute, declare } of edits) {
      xml = xml.replace(new RegExp(`<(/?)${element}([\\s/>])`, 'g'), `<$1${prefix}:${element}$2`);
      if (declare) xml = insertAt(xml, attributePositions(xml)[0] ?? 0, ` xmlns:${prefix}="${uri}"`);
      // After the prefix is removed, p:timestamp and timestamp are one key twice.
      if (prefixedAttribute) xml = xml.replace(/<((?:\w+:)?event) /, `<$1 ${prefix}:timestamp="1" ${prefix}:event_type="x" `);
    }
    return { note: edits.map((e) => `${e.prefix}:${e.element}${e.declare ? `=${e.uri}` : ''}${e.prefixedAttribute ? ' +attrs' : ''}`).join(', '), bytes: xml, preserveOriginal };
  })
  .map(asCase('namespaces'));

/** Documents built from scratch out of the reference's element and attribute names. */
const ATTRIBUTE_NAMES = ['timestamp', 'event_type', 'lsid', 'gsnumber', 'type', 'id', 'instance', 'display_name', 'code_name', 'filename', 'filesize', 'name'];
const attrValue = fc.oneof(fc.constantFrom('1712235600', '2024-04-04T13:00:00Z', '-1', '1e400', 'NaN', '', '0', '203.0.113.7', 'representative', 'customer', 'File Upload', 'Session Start'), fc.string({ maxLength: 20 }));
const textValue = fc.oneof(fc.constantFrom('1', '', '175.16.199.0', '::1', 'x'.repeat(300), '-12', '9007199254740993'), fc.string({ maxLength: 30 }));
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
const { node } = fc.letrec<{ node: string }>((tie) => ({
  node: fc
    .record({
      name: fc.constantFrom(...ELEMENT_NAMES),
      attributes: fc.uniqueArray(fc.tuple(fc.constantFrom(...ATTRIBUTE_NAMES), attrValue), { maxLength: 4, selector: (a) => a[0] }),
      content: fc.oneof({ depthSize: 'small', withCrossShrink: true }, textValue.map(escape), fc.array(tie('node'), { maxLength: 5 }).map((children) => children.join(''))),
    })
    .map(({ name, attributes, content }) => `<${name}${attributes.map(([k, val]) => ` ${k}="${escape(val)}"`).join('')}>${content}</${name}>`),
}));
const generated = fc
  .record({ inner: fc.array(node, { maxLength: 8 }), events: fc.array(node, { maxLength: 6 }), root: fc.constantFrom('session', 'session_list', 'empty_list', 'event', 'error'), lsid: fc.option(attrValue), preserveOriginal: fc.boolean() })
  .map(({ inner, events, root, lsid, preserveOriginal }) => {
    // A report without sessions: valid XML that holds nothing to map.
    if (root === 'empty_list') return { note: 'generated empty <session_list>', bytes: inner.length % 2 ? '<session_list/>' : `<session_list>${inner.join('')}</session_list>`, preserveOriginal };
    const body = `${inner.join('')}<session_details>${events.map((e) => e.replace(/^<\w+/, '<event')).map((e) => e.replace(/<\/\w+>$/, '</event>')).join('')}</session_details>`;
    const attrs = lsid === null ? '' : ` lsid="${escape(lsid)}"`;
    const xml = root === 'session_list' ? `<session_list><session${attrs}>${body}</session></session_list>` : `<${root}${attrs}>${body}</${root}>`;
    return { note: `generated <${root}>`, bytes: xml, preserveOriginal };
  })
  .map(asCase('generated'));

/** Classic mutation: bytes flipped, deleted, duplicated. */
const byteMutation = fc
  .record({
    seed: seedArb,
    edits: fc.array(fc.record({ r: fraction, op: fc.constantFrom('flip', 'delete', 'duplicate', 'insert'), length: fc.integer({ min: 1, max: 64 }), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }),
    preserveOriginal: fc.boolean(),
  })
  .map(({ seed, edits, preserveOriginal }) => {
    let bytes = Buffer.from(seed);
    for (const { r, op, length, byte } of edits) {
      const at = Math.floor(r * bytes.length);
      if (op === 'flip') {
        bytes = Buffer.from(bytes);
        bytes[at] = (bytes[at] ?? 0) ^ (byte || 1);
      } else if (op === 'delete') bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + length)]);
      else if (op === 'duplicate') bytes = Buffer.concat([bytes.subarray(0, at + length), bytes.subarray(at)]);
      else bytes = Buffer.concat([bytes.subarray(0, at), Buffer.alloc(length, byte), bytes.subarray(at)]);
    }
    return { note: edits.map((e) => `${e.op}@${e.r.toFixed(3)}x${e.length}`).join(' '), bytes, preserveOriginal };
  })
  .map(asCase('byte-mutation'));

/** One arbitrary per hostile class. */
export function hostileArbitraries(targets: ExternalTargets): Record<HostileKind, fc.Arbitrary<HostileCase>> {
  return {
    truncated,
    'deep-nesting': deepNesting,
    'huge-attribute': hugeAttribute,
    'invalid-utf8': invalidUtf8,
    'control-characters': controlCharacters,
    'entity-bomb': entityBomb,
    'external-entity': externalEntity(targets),
    cdata,
    comments,
    namespaces,
    generated,
    'byte-mutation': byteMutation,
  };
}
