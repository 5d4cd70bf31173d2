/**
 * A one-pass reader for the XML that PRA reports are made of, building the
 * same objects as the validator followed by fast-xml-parser (xml.ts), in
 * about a third of their time. It reads a deliberately narrow subset: ASCII
 * names with at most one prefix, quoted attributes, text with well-formed
 * references, comments, CDATA sections inside elements, and an XML
 * declaration at the start. Anything else, malformed input included, makes it
 * give up (undefined), and the validating path then decides, so that path
 * alone says what is accepted and reports where a document is malformed.
 * Within the subset, each rule below is the validator's or the parser's,
 * as a differential test checks.
 */

/** A parsed element: a string (text only) or an object of attributes, children and `#text`. */
export type XmlValue = string | XmlObject | XmlValue[];
export interface XmlObject {
  [key: string]: XmlValue;
}

/** Whether the element `name` under `parent` (undefined at the root) is always an array. */
export type ArrayRule = (name: string, parent: string | undefined) => boolean;

/** Names the parser refuses or renames (prototype pollution guards): left to it. */
const RESERVED = new Set([
  '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf',
  '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__',
]);

/** The XML declaration's pseudo-attributes, none holding `?`, `<` or `>`. */
const DECLARATION = /^<\?xml(?:[ \t\n]+(?:version|encoding|standalone)[ \t\n]*=[ \t\n]*(?:"[^"<>?]*"|'[^'<>?]*'))*[ \t\n]*\?>/;

const hasOwn = Object.prototype.hasOwnProperty;

interface Frame {
  /** The name as written, prefix included: the end tag must repeat it. */
  raw: string;
  name: string;
  children: XmlObject;
  keys: number;
  attributes: XmlObject | undefined;
  /** The text pieces so far, each decoded and trimmed, joined. */
  text: string;
}

const enum Code {
  Tab = 9, Lf = 10, Space = 32, Bang = 33, Quote = 34, Hash = 35, Amp = 38, Apos = 39, Dash = 45, Dot = 46, Slash = 47,
  Zero = 48, Nine = 57, Colon = 58, Semi = 59, Lt = 60, Eq = 61, Gt = 62, Question = 63, A = 65, F = 70, Z = 90,
  Bracket = 91, Underscore = 95, a = 97, f = 102, x = 120, z = 122, Bom = 0xfeff,
}

function isSpace(c: number): boolean {
  return c === Code.Space || c === Code.Lf || c === Code.Tab;
}

function isNameStart(c: number): boolean {
  return (c >= Code.a && c <= Code.z) || (c >= Code.A && c <= Code.Z) || c === Code.Underscore;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= Code.Zero && c <= Code.Nine) || c === Code.Dash || c === Code.Dot;
}

function isWordChar(c: number): boolean {
  return isNameStart(c) || (c >= Code.Zero && c <= Code.Nine);
}

function isHex(c: number): boolean {
  return (c >= Code.Zero && c <= Code.Nine) || (c >= Code.a && c <= Code.f) || (c >= Code.A && c <= Code.F);
}

/** End of the name at `i` (`local` or `prefix:local`, ASCII), or -1. */
function nameEnd(text: string, i: number): number {
  if (!isNameStart(text.charCodeAt(i))) return -1;
  let j = i + 1;
  while (isNameChar(text.charCodeAt(j))) j++;
  if (text.charCodeAt(j) === Code.Colon) {
    if (!isNameStart(text.charCodeAt(j + 1))) return -1;
    j += 2;
    while (isNameChar(text.charCodeAt(j))) j++;
    if (text.charCodeAt(j) === Code.Colon) return -1;
  }
  return j;
}

/** Whether every `&` in text[from, to) starts a reference the validator accepts. */
function referencesValid(text: string, from: number, to: number): boolean {
  for (let at = text.indexOf('&', from); at !== -1 && at < to; at = text.indexOf('&', at + 1)) {
    let j = at + 1;
    if (text.charCodeAt(j) === Code.Hash) {
      j++;
      const hex = text.charCodeAt(j) === Code.x;
      if (hex) j++;
      while (j < to && (hex ? isHex(text.charCodeAt(j)) : text.charCodeAt(j) >= Code.Zero && text.charCodeAt(j) <= Code.Nine)) j++;
    } else {
      const start = j;
      while (j < to && j - start < 20 && isWordChar(text.charCodeAt(j))) j++;
      if (j === start) return false;
    }
    if (j >= to || text.charCodeAt(j) !== Code.Semi) return false;
  }
  return true;
}

function add(parent: Frame, name: string, value: XmlValue, isArray: ArrayRule): void {
  const siblings = parent.children;
  const existing = siblings[name];
  if (existing !== undefined && hasOwn.call(siblings, name)) {
    if (Array.isArray(existing)) existing.push(value);
    else siblings[name] = [existing, value];
    return;
  }
  siblings[name] = isArray(name, parent.raw === '' ? undefined : parent.name) ? [value] : value;
  parent.keys++;
}

function valueOf(frame: Frame): XmlValue {
  const { children, attributes, text } = frame;
  if (text.length > 0) children['#text'] = text;
  if (attributes !== undefined) {
    for (const key in attributes) children[key] = attributes[key] as XmlValue;
    return children;
  }
  if (frame.keys === 0) return text;
  return children;
}

/**
 * The document as the validating path would parse it, or undefined when the
 * text is outside this reader's subset. Line ends must already be `\n` (the
 * parser's normalisation). `decode` replaces references in text and attribute
 * values; `maxDepth` is the parser's nesting limit (beyond it, undefined).
 */
export function readXml(text: string, maxDepth: number, isArray: ArrayRule, decode: (s: string) => string): XmlObject | undefined {
  const length = text.length;
  let i = text.charCodeAt(0) === Code.Bom ? 1 : 0;
  if (text.startsWith('<?xml', i)) {
    const declaration = DECLARATION.exec(i === 0 ? text.slice(0, 512) : text.slice(1, 513));
    if (declaration === null) return undefined;
    i += declaration[0].length;
  }
  const root: Frame = { raw: '', name: '', children: {}, keys: 0, attributes: undefined, text: '' };
  const stack: Frame[] = [];
  let top: Frame | undefined;
  let rootDone = false;
  /** Raw text since the last flush: `pending` (across comments) plus text[textStart, i). */
  let pending = '';
  let textStart = i;

  const flush = (frame: Frame, end: number): void => {
    const raw = pending === '' ? text.slice(textStart, end) : pending + text.slice(textStart, end);
    pending = '';
    if (raw === '') return;
    const piece = decode(raw).trim();
    if (piece !== '') frame.text += piece;
  };

  while (i < length) {
    const lt = text.indexOf('<', i);
    if (top === undefined) {
      // Outside the root: whitespace only.
      const end = lt === -1 ? length : lt;
      for (let j = i; j < end; j++) if (!isSpace(text.charCodeAt(j))) return undefined;
      if (lt === -1) break;
    } else {
      if (lt === -1) return undefined;
      if (!referencesValid(text, i, lt)) return undefined;
    }
    i = lt;
    const c1 = text.charCodeAt(i + 1);
    if (c1 === Code.Slash) {
      if (top === undefined || !text.startsWith(top.raw, i + 2)) return undefined;
      let j = i + 2 + top.raw.length;
      while (isSpace(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) !== Code.Gt) return undefined;
      flush(top, i);
      const closed = top;
      stack.pop();
      top = stack[stack.length - 1];
      if (top === undefined) {
        add(root, closed.name, valueOf(closed), isArray);
        rootDone = true;
      } else {
        add(top, closed.name, valueOf(closed), isArray);
      }
      i = j + 1;
      textStart = i;
    } else if (c1 === Code.Bang) {
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i + 4);
        if (end === -1 || length <= i + 6) return undefined;
        if (top !== undefined) pending += text.slice(textStart, i);
        i = end + 3;
        textStart = i;
      } else if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i + 9);
        if (top === undefined || end === -1 || length <= i + 10) return undefined;
        flush(top, i);
        top.text += text.slice(i + 9, end).trim();
        i = end + 3;
        textStart = i;
      } else {
        return undefined;
      }
    } else {
      // A start tag; processing instructions other than the declaration are left to the parser.
      if (rootDone) return undefined;
      const end = nameEnd(text, i + 1);
      if (end === -1) return undefined;
      const raw = text.slice(i + 1, end);
      const colon = raw.indexOf(':');
      const name = colon === -1 ? raw : raw.slice(colon + 1);
      if (RESERVED.has(name)) return undefined;
      if (top !== undefined) flush(top, i);
      let attributes: XmlObject | undefined;
      // Names seen in this tag, for the validator's duplicate check: a list while short, then a set.
      let seen: string[] | Set<string> | undefined;
      let j = end;
      let selfClosing = false;
      for (;;) {
        const spaceStart = j;
        while (isSpace(text.charCodeAt(j))) j++;
        const c = text.charCodeAt(j);
        if (c === Code.Gt) break;
        if (c === Code.Slash) {
          if (text.charCodeAt(j + 1) !== Code.Gt) return undefined;
          selfClosing = true;
          j++;
          break;
        }
        if (j === spaceStart) return undefined; // attributes are separated by white space
        const attrEnd = nameEnd(text, j);
        if (attrEnd === -1) return undefined;
        const attrRaw = text.slice(j, attrEnd);
        if (seen === undefined) {
          seen = [attrRaw];
        } else if (Array.isArray(seen)) {
          if (seen.includes(attrRaw)) return undefined;
          seen.push(attrRaw);
          if (seen.length > 16) seen = new Set(seen);
        } else {
          if (seen.has(attrRaw)) return undefined;
          seen.add(attrRaw);
        }
        j = attrEnd;
        while (isSpace(text.charCodeAt(j))) j++;
        if (text.charCodeAt(j) !== Code.Eq) return undefined;
        j++;
        while (isSpace(text.charCodeAt(j))) j++;
        const quote = text.charCodeAt(j);
        if (quote !== Code.Quote && quote !== Code.Apos) return undefined;
        const close = text.indexOf(quote === Code.Quote ? '"' : "'", j + 1);
        if (close === -1) return undefined;
        const value = text.slice(j + 1, close);
        if (value.includes('<')) return undefined;
        j = close + 1;
        // Namespace declarations are not data; a prefix is dropped from other names.
        const attrColon = attrRaw.indexOf(':');
        const prefix = attrColon === -1 ? attrRaw : attrRaw.slice(0, attrColon);
        if (prefix === 'xmlns') continue;
        const attrName = attrColon === -1 ? attrRaw : attrRaw.slice(attrColon + 1);
        if (RESERVED.has(attrName)) return undefined;
        (attributes ??= {})[attrName] = decode(value);
      }
      const frame: Frame = { raw, name, children: {}, keys: 0, attributes, text: '' };
      if (selfClosing) {
        const value = valueOf(frame);
        if (top === undefined) {
          add(root, name, value, isArray);
          rootDone = true;
        } else {
          add(top, name, value, isArray);
        }
      } else {
        if (stack.length > maxDepth) return undefined;
        stack.push(frame);
        top = frame;
      }
      i = j + 1;
      textStart = i;
    }
  }
  if (!rootDone || top !== undefined) return undefined;
  return root.children;
}
