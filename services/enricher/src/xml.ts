/**
 * Safe XML parsing for PRA reports. fast-xml-parser 5 expands entities that a
 * DOCTYPE declares (wherever the DOCTYPE stands) and does not decode numeric
 * character references by default, so: declarations are refused before parsing,
 * and a decoder that knows only the five XML entities and numeric references
 * replaces the parser's own, so a declared entity is never expanded even if a
 * declaration got through. The parser is lenient about mismatched tags, so the
 * validator runs first; it also gives the line and column of a problem.
 *
 * Validating and then parsing reads the text twice and builds a tree that is
 * then compressed into objects: most reports are read instead in one pass by
 * xml-reader.ts, which builds the same objects and hands every input outside
 * its narrow subset, malformed ones included, to the validating path.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { decodeXmlEntities, PipelineError } from '@pra-pipeline/shared';
import { readXml, type XmlObject, type XmlValue } from './xml-reader.js';

export { decodeXmlEntities };

export interface XmlLimits {
  /** Largest input accepted, in bytes (UTF-8). */
  maxBytes: number;
  /** Deepest element nesting accepted. */
  maxDepth: number;
}

export const DEFAULT_XML_LIMITS: Readonly<XmlLimits> = Object.freeze({
  maxBytes: 16 * 1024 * 1024,
  maxDepth: 32,
});

export type { XmlObject, XmlValue };

/** Elements that are always arrays (the reference's XSD says they may repeat). */
const ALWAYS_ARRAY = new Set([
  'session', 'custom_attribute', 'command_shell_recording', 'customer', 'representative',
  'event', 'file', 'category', 'row',
]);
/** Arrays only under the named parent (a Map: an element may be called `isPrototypeOf`). */
const ARRAY_UNDER: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['field', new Set(['description', 'row'])],
  ['value', new Set(['data'])],
]);

const entityDecoder = {
  setExternalEntities(): void {},
  /** Entities declared in a DOCTYPE are never used. */
  addInputEntities(): void {},
  reset(): void {},
  setXmlVersion(): void {},
  decode: decodeXmlEntities,
};

/** Whether an element is always an array: by its name, or by its name under the named parent. */
export function isArrayElement(tagName: string, parent: string | undefined): boolean {
  if (ALWAYS_ARRAY.has(tagName)) return true;
  const parents = ARRAY_UNDER.get(tagName);
  return parents !== undefined && parent !== undefined && parents.has(parent);
}

function isArray(tagName: string, matcher: unknown, _isLeaf: boolean, isAttribute: boolean): boolean {
  if (isAttribute) return false;
  if (!ALWAYS_ARRAY.has(tagName) && !ARRAY_UNDER.has(tagName)) return false;
  const path = (matcher as { toArray(): string[] }).toArray();
  return isArrayElement(tagName, path[path.length - 2]);
}

/**
 * Every text node trimmed, CDATA sections included, as the reference's XML
 * decoder trims all character data: `<body><![CDATA[a < b ]]></body>` is
 * "a < b". It runs after entity decoding, so `&#32;a` is "a" there too.
 * Attribute values are not text nodes and stay as given (`event_type`).
 */
function trimText(_tagName: string, value: string): string {
  return value.trim();
}

const parsers = new Map<number, XMLParser>();

/** The configured parser (no validation, no declaration check): exported for tests of the decoder layer. */
export function parserFor(maxDepth: number): XMLParser {
  let parser = parsers.get(maxDepth);
  if (parser === undefined) {
    parser = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      removeNSPrefix: true,
      parseTagValue: false,
      parseAttributeValue: false,
      // Text is trimmed by trimText (after entity decoding, CDATA included); attributes not at all.
      trimValues: false,
      tagValueProcessor: trimText,
      ignoreDeclaration: true,
      ignorePiTags: true,
      processEntities: true,
      entityDecoder,
      jPath: false,
      maxNestedTags: maxDepth,
      isArray: isArray as never,
    });
    parsers.set(maxDepth, parser);
  }
  return parser;
}

/** Line and column (1-based) of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * The offset of the first markup declaration (`<!DOCTYPE`, `<!ENTITY`, ...)
 * outside comments and CDATA sections, or -1.
 */
export function findDeclaration(text: string): number {
  let at = text.indexOf('<!');
  while (at !== -1) {
    if (text.startsWith('<!--', at)) {
      const end = text.indexOf('-->', at + 4);
      if (end === -1) return -1; // the validator reports the unclosed comment
      at = text.indexOf('<!', end + 3);
    } else if (text.startsWith('<![CDATA[', at)) {
      const end = text.indexOf(']]>', at + 9);
      if (end === -1) return -1;
      at = text.indexOf('<!', end + 3);
    } else {
      return at;
    }
  }
  return -1;
}

function malformed(message: string, where?: { line: number; column: number }): PipelineError {
  const suffix = where ? ` (line ${where.line}, column ${where.column})` : '';
  return new PipelineError('PIPE_XML_MALFORMED', `${message}${suffix}`, { context: where ? { ...where } : {} });
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function toText(input: string | Uint8Array, maxBytes: number): string {
  if (typeof input === 'string') {
    // A UTF-16 length over maxBytes / 3 may still fit; count exactly only then.
    if (input.length > maxBytes || (input.length * 3 > maxBytes && Buffer.byteLength(input) > maxBytes)) {
      throw new PipelineError('PIPE_XML_LIMIT', `XML input is larger than the limit of ${maxBytes} bytes`);
    }
    return input;
  }
  if (input.byteLength > maxBytes) {
    throw new PipelineError('PIPE_XML_LIMIT', `XML input of ${input.byteLength} bytes is larger than the limit of ${maxBytes} bytes`);
  }
  try {
    return decoder.decode(input);
  } catch (err) {
    throw new PipelineError('PIPE_XML_MALFORMED', 'XML input is not valid UTF-8', { cause: err });
  }
}

/**
 * Parses XML into plain objects following the reference's conventions
 * (attributes as keys, text under `#text`, repeating elements as arrays,
 * namespace prefixes removed). Throws PIPE_XML_LIMIT or PIPE_XML_MALFORMED.
 */
export function parseXml(input: string | Uint8Array, limits: Partial<XmlLimits> = {}): XmlObject {
  const maxBytes = limits.maxBytes ?? DEFAULT_XML_LIMITS.maxBytes;
  const maxDepth = limits.maxDepth ?? DEFAULT_XML_LIMITS.maxDepth;
  const text = toText(input, maxBytes);
  const declaration = findDeclaration(text);
  if (declaration !== -1) {
    throw malformed('XML markup declarations (DOCTYPE, ENTITY) are not accepted', lineColumn(text, declaration));
  }
  // The parser's own line-end normalisation, which the reader expects done.
  const read = readXml(text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text, maxDepth, isArrayElement, decodeXmlEntities);
  return read === undefined ? validateAndParse(text, maxDepth) : stripNamespaceDeclarations(read);
}

/**
 * The validator, then fast-xml-parser: what decides every input the one-pass
 * reader leaves alone, and what that reader must agree with (exported for the
 * differential test). Throws PIPE_XML_LIMIT or PIPE_XML_MALFORMED.
 */
export function validateAndParse(text: string, maxDepth: number = DEFAULT_XML_LIMITS.maxDepth): XmlObject {
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw malformed(`XML is not well-formed: ${valid.err.msg}`, { line: valid.err.line, column: valid.err.col });
  }
  try {
    return stripNamespaceDeclarations(parserFor(maxDepth).parse(text) as XmlObject);
  } catch (err) {
    const message = (err as Error).message;
    if (/nested tags/i.test(message)) {
      throw new PipelineError('PIPE_XML_LIMIT', `XML nests elements deeper than the limit of ${maxDepth}`, { cause: err });
    }
    throw new PipelineError('PIPE_XML_MALFORMED', `XML could not be parsed: ${message}`, { cause: err });
  }
}

/** `xmlns` and `xmlns:*` attributes are not data; removeNSPrefix keeps the bare `xmlns`. */
function stripNamespaceDeclarations(root: XmlObject): XmlObject {
  for (const value of Object.values(root)) {
    const elements = Array.isArray(value) ? value : [value];
    for (const element of elements) {
      if (typeof element === 'object' && element !== null && !Array.isArray(element)) {
        for (const key of Object.keys(element)) if (key === 'xmlns' || key.startsWith('xmlns:')) delete element[key];
      }
    }
  }
  return root;
}
