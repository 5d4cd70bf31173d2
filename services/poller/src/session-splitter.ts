/**
 * Splits a reporting API response into its top-level items while it arrives,
 * whatever the chunk boundaries: a small state machine over bytes that keeps
 * only the session being captured (bounded by `maxSessionBytes`) and the tag
 * being read. Element names are matched by local name, so any namespace
 * prefix works (real appliances use a namespace the docs do not show).
 *
 * Items are the root's children: `<session>` (captured byte for byte, with the
 * root's namespace declarations repeated on its start tag so it stands alone),
 * `<session_summary>` (the listing; only its lsid), and `<error>` (its text).
 * A root `<error>` is reported as an error item too. Anything that is not
 * well-formed (mismatched or unclosed tags, a truncated body) throws
 * PIPE_XML_MALFORMED. Elements nested deeper than `maxDepth` throw
 * PIPE_XML_LIMIT at once, so the open-element stack, like everything else
 * kept, is bounded whatever the body holds.
 */
import { createHash, type Hash } from 'node:crypto';
import { decodeXmlEntities, PipelineError } from '@pra-pipeline/shared';

export interface SessionItem {
  kind: 'session';
  lsid: string | undefined;
  /** The element's bytes, standalone (namespace declarations repeated); undefined when oversize. */
  bytes: Buffer | undefined;
  /** Size of the element as received. */
  size: number;
  /** Digest of the element as received, to tell whether it changed. */
  digest: string;
  /** `<event>` elements in its `<session_details>`. */
  events: number;
  /** `end_time/@timestamp`; undefined while the session runs (no end_time, or an empty one). */
  endTime: number | undefined;
  /** True when the session was larger than `maxSessionBytes`: only `head` is kept. */
  oversize: boolean;
  /** The first bytes of an oversize session, for the dead letter. */
  head?: Buffer;
}

export interface SummaryItem {
  kind: 'summary';
  lsid: string | undefined;
}

export interface ErrorItem {
  kind: 'error';
  /** Where the `<error>` was: the root, or a child of the root. */
  where: 'root' | 'child';
  text: string;
}

export type SplitItem = SessionItem | SummaryItem | ErrorItem;

export interface SplitterOptions {
  /** A session larger than this is reported as oversize, without its bytes. */
  maxSessionBytes: number;
  /** Longest single tag accepted (attributes included). */
  maxTagBytes?: number;
  /** Bytes of an oversize session kept for its dead letter. */
  headBytes?: number;
  /** Deepest element nesting accepted, the root being depth 1 (default DEFAULT_MAX_DEPTH). */
  maxDepth?: number;
}

/** PRA reports nest about six deep; this leaves room for any real one. */
export const DEFAULT_MAX_DEPTH = 64;

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;
const QUOT = 0x22;
const APOS = 0x27;

type State = 'text' | 'lt' | 'tag' | 'bang' | 'comment' | 'cdata' | 'pi' | 'decl';

const MAX_ERROR_TEXT = 4096;
const DIGEST_CHARS = 22;

export class SessionSplitter {
  readonly #maxSession: number;
  readonly #maxTag: number;
  readonly #headBytes: number;
  readonly #maxDepth: number;

  #state: State = 'text';
  /** The tag being read, from its '<'. */
  #tag: number[] = [];
  #quote = 0;
  /** Bytes after '<!' while deciding between comment, CDATA and declaration. */
  #bang = '';
  /** Recent bytes, to find the end of a comment, CDATA section or processing instruction. */
  #tail = '';
  #declDepth = 0;
  #cdata = '';

  readonly #stack: string[] = [];
  #rootSeen = false;
  #rootName = '';
  #namespaces: { name: string; text: string }[] = [];
  #ended = false;

  // The session being captured.
  #capturing = false;
  #parts: Buffer[] = [];
  #size = 0;
  #hash: Hash | undefined;
  #lsid: string | undefined;
  #events = 0;
  #endTime: number | undefined;
  #oversize = false;
  #head: Buffer | undefined;
  #startTagExtra: Buffer | undefined;

  // An <error> being read.
  #errorWhere: 'root' | 'child' | undefined;
  #errorText = '';
  #errorDepth = 0;

  #position = 0;

  constructor(options: SplitterOptions) {
    this.#maxSession = options.maxSessionBytes;
    this.#maxTag = options.maxTagBytes ?? 1024 * 1024;
    this.#headBytes = options.headBytes ?? 64 * 1024;
    this.#maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  }

  /** Feeds the next chunk; returns the items it completed. */
  push(chunk: Uint8Array): SplitItem[] {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: SplitItem[] = [];
    // Where the bytes of the session being captured begin in this chunk (-1: not capturing).
    let captureFrom = this.#capturing ? 0 : -1;
    let i = 0;
    while (i < buf.length) {
      switch (this.#state) {
        case 'text': {
          const lt = buf.indexOf(LT, i);
          const end = lt === -1 ? buf.length : lt;
          if (!this.#rootSeen || this.#ended) this.#checkOutsideText(buf, i, end);
          if (this.#errorWhere) this.#appendErrorText(buf.toString('utf8', i, end));
          if (lt === -1) {
            i = buf.length;
            break;
          }
          this.#state = 'lt';
          this.#tag = [LT];
          i = lt + 1;
          break;
        }
        case 'lt': {
          const b = buf[i] as number;
          if (b === BANG) {
            this.#state = 'bang';
            this.#bang = '';
          } else if (b === QUESTION) {
            this.#state = 'pi';
            this.#tail = '';
          } else {
            this.#state = 'tag';
            this.#quote = 0;
            this.#tag.push(b);
          }
          i++;
          break;
        }
        case 'tag': {
          // Up to '>' outside quotes.
          for (; i < buf.length; i++) {
            const b = buf[i] as number;
            this.#tag.push(b);
            if (this.#quote !== 0) {
              if (b === this.#quote) this.#quote = 0;
            } else if (b === QUOT || b === APOS) {
              this.#quote = b;
            } else if (b === GT) {
              break;
            }
          }
          if (this.#tag.length > this.#maxTag) {
            throw new PipelineError('PIPE_XML_LIMIT', `A tag is longer than ${this.#maxTag} bytes.`, {
              context: { position: this.#position + i },
            });
          }
          if (i >= buf.length) break;
          i++;
          this.#state = 'text';
          const result = this.#onTag(Buffer.from(this.#tag), out);
          if (result === 'session-start') {
            captureFrom = i;
          } else if (result === 'session-end') {
            this.#take(buf.subarray(captureFrom, i));
            out.push(this.#finishSession());
            captureFrom = -1;
          }
          break;
        }
        case 'bang': {
          const b = buf[i] as number;
          this.#bang += String.fromCharCode(b);
          i++;
          if (this.#bang === '--') {
            this.#state = 'comment';
            this.#tail = '';
          } else if (this.#bang === '[CDATA[') {
            this.#state = 'cdata';
            this.#tail = '';
          } else if (!'--'.startsWith(this.#bang) && !'[CDATA['.startsWith(this.#bang)) {
            this.#state = b === GT ? 'text' : 'decl';
            this.#declDepth = b === 0x5b ? 1 : 0;
          }
          break;
        }
        case 'comment':
        case 'cdata':
        case 'pi': {
          const terminator = this.#state === 'comment' ? '-->' : this.#state === 'cdata' ? ']]>' : '?>';
          for (; i < buf.length; i++) {
            const b = buf[i] as number;
            if (b === GT && (this.#tail + '>').endsWith(terminator)) {
              if (this.#state === 'cdata' && this.#errorWhere) this.#appendErrorText(this.#cdata.slice(0, -2));
              this.#cdata = '';
              i++;
              this.#state = 'text';
              break;
            }
            this.#tail = (this.#tail + String.fromCharCode(b)).slice(-2);
            if (this.#state === 'cdata' && this.#errorWhere && this.#cdata.length < MAX_ERROR_TEXT) this.#cdata += String.fromCharCode(b);
          }
          break;
        }
        case 'decl': {
          for (; i < buf.length; i++) {
            const b = buf[i] as number;
            if (b === 0x5b) this.#declDepth++;
            else if (b === 0x5d) this.#declDepth--;
            else if (b === GT && this.#declDepth <= 0) {
              i++;
              this.#state = 'text';
              break;
            }
          }
          break;
        }
      }
    }
    if (captureFrom >= 0 && captureFrom < buf.length) this.#take(buf.subarray(captureFrom));
    this.#position += buf.length;
    return out;
  }

  /** Call at the end of the body: throws if the document is incomplete. */
  end(): SplitItem[] {
    if (!this.#rootSeen) {
      throw new PipelineError('PIPE_XML_MALFORMED', 'The response has no root element.', { context: { bytes: this.#position } });
    }
    if (!this.#ended || this.#state !== 'text') {
      throw new PipelineError('PIPE_XML_MALFORMED', `The response ends inside <${this.#stack.at(-1) ?? this.#rootName}> (truncated).`, {
        context: { bytes: this.#position, root: this.#rootName },
      });
    }
    return [];
  }

  get rootName(): string {
    return this.#rootName;
  }

  #checkOutsideText(buf: Buffer, from: number, to: number): void {
    for (let j = from; j < to; j++) {
      const b = buf[j] as number;
      // Whitespace and a byte order mark are all that may stand outside the root.
      if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf) {
        throw new PipelineError('PIPE_XML_MALFORMED', 'Text outside the root element.', { context: { position: this.#position + j } });
      }
    }
  }

  #appendErrorText(text: string): void {
    if (this.#errorText.length < MAX_ERROR_TEXT) this.#errorText += text.slice(0, MAX_ERROR_TEXT);
  }

  #take(part: Buffer): void {
    this.#size += part.length;
    this.#hash?.update(part);
    if (this.#oversize) return;
    if (this.#size > this.#maxSession) {
      this.#oversize = true;
      const all = Buffer.concat([...this.#parts, part]);
      this.#head = Buffer.from(all.subarray(0, this.#headBytes));
      this.#parts = [];
      return;
    }
    // Copy: the chunk belongs to the HTTP stream, which may reuse it.
    this.#parts.push(Buffer.from(part));
  }

  #onTag(tag: Buffer, out: SplitItem[]): 'session-start' | 'session-end' | 'other' {
    const isEnd = tag[1] === SLASH;
    const selfClosing = !isEnd && tag[tag.length - 2] === SLASH;
    const text = tag.toString('utf8');
    const nameMatch = /^<\/?([^\s/>]+)/.exec(text);
    if (!nameMatch) throw new PipelineError('PIPE_XML_MALFORMED', 'A tag without a name.', { context: { position: this.#position } });
    const qname = nameMatch[1] as string;
    const local = qname.slice(qname.indexOf(':') + 1);

    if (isEnd) {
      const open = this.#stack.pop();
      if (open !== qname) {
        throw new PipelineError('PIPE_XML_MALFORMED', `</${qname}> closes <${open ?? 'nothing'}>.`, { context: { position: this.#position } });
      }
      const depth = this.#stack.length;
      if (depth === 0) this.#ended = true;
      if (this.#errorWhere && depth === this.#errorDepth) {
        out.push({ kind: 'error', where: this.#errorWhere, text: decodeXmlEntities(this.#errorText).trim() });
        this.#errorWhere = undefined;
        this.#errorText = '';
        return 'other';
      }
      if (this.#capturing && depth === 1) return 'session-end';
      return 'other';
    }

    if (this.#ended) throw new PipelineError('PIPE_XML_MALFORMED', 'A second root element.', { context: { position: this.#position } });
    const depth = this.#stack.length;
    if (depth >= this.#maxDepth) {
      throw new PipelineError('PIPE_XML_LIMIT', `The response nests elements deeper than ${this.#maxDepth} (<${qname}> inside <${this.#stack.at(-1) ?? ''}>); POLLER_MAX_XML_DEPTH sets the limit.`, {
        context: { position: this.#position, maxDepth: this.#maxDepth },
      });
    }
    if (!selfClosing) this.#stack.push(qname);
    if (depth === 0) {
      this.#rootSeen = true;
      this.#rootName = local;
      // Latin-1 maps each byte to one character and back, so the declarations are copied byte for byte,
      // even where the root holds bytes that are not UTF-8.
      this.#namespaces = namespaceDeclarations(tag.toString('latin1'));
      if (selfClosing) this.#ended = true;
      if (local === 'error') {
        if (selfClosing) out.push({ kind: 'error', where: 'root', text: '' });
        else this.#startError('root', 0);
      }
      return 'other';
    }
    if (this.#capturing) {
      if (depth === 3 && local === 'event') this.#events++;
      else if (depth === 2 && local === 'end_time') this.#endTime = positiveInteger(attribute(text, 'timestamp'));
      return 'other';
    }
    if (depth === 1) {
      if (local === 'session') {
        this.#startSession(tag, text, qname);
        if (selfClosing) {
          out.push(this.#finishSession());
          return 'other';
        }
        return 'session-start';
      }
      if (local === 'session_summary') {
        out.push({ kind: 'summary', lsid: attribute(text, 'lsid') });
        return 'other';
      }
      if (local === 'error') {
        if (selfClosing) out.push({ kind: 'error', where: 'child', text: '' });
        else this.#startError('child', 1);
        return 'other';
      }
    }
    return 'other';
  }

  #startSession(tag: Buffer, text: string, qname: string): void {
    this.#capturing = true;
    this.#parts = [];
    this.#size = 0;
    this.#hash = createHash('sha256');
    this.#lsid = attribute(text, 'lsid');
    this.#events = 0;
    this.#endTime = undefined;
    this.#oversize = false;
    this.#head = undefined;
    const raw = tag.toString('latin1');
    const missing = this.#namespaces.filter((ns) => attribute(raw, ns.name) === undefined);
    this.#startTagExtra = missing.length > 0 ? Buffer.from(missing.map((ns) => ` ${ns.text}`).join(''), 'latin1') : undefined;
    // The start tag as received counts for size and digest; the declarations are added when the session is emitted.
    this.#take(tag);
    this.#nameBytes = 1 + Buffer.byteLength(qname);
  }

  #nameBytes = 0;

  #finishSession(): SessionItem {
    const digest = (this.#hash as Hash).digest('base64url').slice(0, DIGEST_CHARS);
    let bytes: Buffer | undefined;
    if (!this.#oversize) {
      const whole = Buffer.concat(this.#parts);
      bytes = this.#startTagExtra
        ? Buffer.concat([whole.subarray(0, this.#nameBytes), this.#startTagExtra, whole.subarray(this.#nameBytes)])
        : whole;
    }
    const item: SessionItem = {
      kind: 'session',
      lsid: this.#lsid,
      bytes,
      size: this.#size,
      digest,
      events: this.#events,
      endTime: this.#endTime,
      oversize: this.#oversize,
      ...(this.#head ? { head: this.#head } : {}),
    };
    this.#capturing = false;
    this.#parts = [];
    this.#hash = undefined;
    this.#head = undefined;
    return item;
  }

  #startError(where: 'root' | 'child', depth: number): void {
    this.#errorWhere = where;
    this.#errorText = '';
    this.#errorDepth = depth;
  }
}

function positiveInteger(text: string | undefined): number | undefined {
  if (text === undefined || !/^\s*\d+\s*$/.test(text)) return undefined;
  const n = Number(text);
  return n > 0 ? n : undefined;
}

function namespaceDeclarations(startTag: string): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const m of startTag.matchAll(/\s(xmlns(?::[^\s=/>]+)?)\s*=\s*("[^"]*"|'[^']*')/g)) {
    out.push({ name: m[1] as string, text: `${m[1]}=${m[2]}` });
  }
  return out;
}

/** An attribute's value in a start tag, entities decoded. */
export function attribute(startTag: string, name: string): string | undefined {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`\\s${escaped}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(startTag);
  if (!m) return undefined;
  return decodeXmlEntities(m[1] ?? m[2] ?? '');
}
