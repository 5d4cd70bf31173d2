/**
 * Writes MaxMind DB files (format 2.0): an IPv6 binary search tree, a data
 * section and the metadata. IPv4 networks live in the ::/96 subtree, where
 * readers look IPv4 addresses up. Pure: `buildMmdb` returns the file's bytes.
 *
 * Values are plain JS values: strings (utf8_string), numbers (uint32 when an
 * integer from 0 to 2^32 - 1, int32 when a negative 32-bit integer, double
 * otherwise), booleans, bigints (uint64, or uint128 when larger), Uint8Array
 * (bytes), arrays and objects (maps). `mmdbUint16`, `mmdbInt32`, `mmdbUint64`,
 * `mmdbUint128`, `mmdbFloat` and `mmdbDouble` pick a type explicitly. Identical
 * values are written once: records share an offset, and a value met again
 * inside a record becomes a pointer when that is shorter.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type MmdbTypeName = 'uint16' | 'int32' | 'uint64' | 'uint128' | 'float' | 'double';

/** A number with an explicit MaxMind DB type. */
export class MmdbTyped {
  constructor(
    readonly mmdbType: MmdbTypeName,
    readonly value: number | bigint,
  ) {}
}

export type MmdbValue = string | number | boolean | bigint | Uint8Array | MmdbTyped | readonly MmdbValue[] | { readonly [key: string]: MmdbValue };

export interface MmdbNetwork {
  /** CIDR, IPv4 ("81.2.69.160/27") or IPv6 ("2001:480::/43"). */
  network: string;
  data: MmdbValue;
}

export interface MmdbOptions {
  /** Metadata `database_type`, e.g. "GeoLite2-City". */
  databaseType: string;
  /** Metadata `description`: language -> text. */
  description?: Record<string, string>;
  /** Metadata `languages`; default ['en']. */
  languages?: string[];
  /** Metadata `build_epoch`; default now. */
  buildEpoch?: Date;
  /** Bits per search-tree record; default the smallest that fits. */
  recordSize?: 24 | 28 | 32;
}

export const mmdbUint16 = (value: number): MmdbTyped => typed('uint16', value, 0, 0xffff);
export const mmdbInt32 = (value: number): MmdbTyped => typed('int32', value, -0x80000000, 0x7fffffff);
export const mmdbUint64 = (value: bigint): MmdbTyped => typed('uint64', value, 0n, (1n << 64n) - 1n);
export const mmdbUint128 = (value: bigint): MmdbTyped => typed('uint128', value, 0n, (1n << 128n) - 1n);
export const mmdbFloat = (value: number): MmdbTyped => new MmdbTyped('float', value);
export const mmdbDouble = (value: number): MmdbTyped => new MmdbTyped('double', value);

function typed<T extends number | bigint>(mmdbType: MmdbTypeName, value: T, min: T, max: T): MmdbTyped {
  if (typeof value === 'number' && !Number.isInteger(value)) throw new Error(`A MaxMind DB ${mmdbType} must be an integer, not ${value}`);
  if (value < min || value > max) throw new Error(`${value} is out of range for a MaxMind DB ${mmdbType}`);
  return new MmdbTyped(mmdbType, value);
}

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'); // "\xAB\xCD\xEFMaxMind.com"
const DATA_SECTION_SEPARATOR = 16;

// Data section type numbers (spec: "Output Data Section").
const POINTER = 1, UTF8 = 2, DOUBLE = 3, BYTES = 4, UINT16 = 5, UINT32 = 6, MAP = 7;
const INT32 = 8, UINT64 = 9, UINT128 = 10, ARRAY = 11, BOOLEAN = 14, FLOAT = 15;

/** A normal form of a value, equal for values that encode the same way; `seen` remembers those of objects. */
function keyOf(value: MmdbValue, seen: WeakMap<object, string>): string {
  if (typeof value === 'string') return `s${JSON.stringify(value)}`;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number') return `n${value}`;
  if (typeof value === 'bigint') return `b${value}`;
  let key = seen.get(value);
  if (key !== undefined) return key;
  if (value instanceof Uint8Array) key = `x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1')}`;
  else if (value instanceof MmdbTyped) key = `${value.mmdbType}:${Object.is(value.value, -0) ? '-0' : String(value.value)}`;
  else if (Array.isArray(value)) key = `[${value.map((v: MmdbValue) => keyOf(v, seen)).join(',')}]`;
  else key = `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${keyOf(v, seen)}`).join(',')}}`;
  seen.set(value, key);
  return key;
}

function uintBytes(value: bigint): Buffer {
  const bytes: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  return Buffer.from(bytes);
}

/** Control byte(s) of a field: type, then size as the spec packs it. */
function control(type: number, size: number): Buffer {
  let sizeBits: number;
  let sizeBytes: Buffer;
  if (size < 29) [sizeBits, sizeBytes] = [size, Buffer.alloc(0)];
  else if (size < 285) [sizeBits, sizeBytes] = [29, bigEndian(size - 29, 1)];
  else if (size < 65_821) [sizeBits, sizeBytes] = [30, bigEndian(size - 285, 2)];
  else if (size < 16_843_037) [sizeBits, sizeBytes] = [31, bigEndian(size - 65_821, 3)];
  else throw new Error(`A MaxMind DB field cannot hold ${size} bytes or entries`);
  // Extended types (8 and up): type 0 in the control byte, then a byte of type - 7.
  const head = type <= 7 ? [(type << 5) | sizeBits] : [sizeBits, type - 7];
  return Buffer.concat([Buffer.from(head), sizeBytes]);
}

function bigEndian(value: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  b.writeUIntBE(value, 0, length);
  return b;
}

/** A pointer: 001SSVVV, where SS says how many bytes follow and VVV are the value's high bits. */
function pointer(offset: number): Buffer {
  if (offset < 2048) return bigEndian((POINTER << 13) | offset, 2);
  if (offset < 526_336) return bigEndian(((POINTER << 5) | 0x08) * 2 ** 16 + (offset - 2048), 3);
  if (offset < 134_744_064) return bigEndian(((POINTER << 5) | 0x10) * 2 ** 24 + (offset - 526_336), 4);
  return Buffer.concat([Buffer.from([(POINTER << 5) | 0x18]), bigEndian(offset, 4)]);
}

/** A scalar's encoding (everything but maps and arrays). */
function scalar(value: Exclude<MmdbValue, readonly MmdbValue[] | { readonly [key: string]: MmdbValue }> | MmdbTyped): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(UTF8, bytes.length), bytes]);
  }
  if (typeof value === 'boolean') return control(BOOLEAN, value ? 1 : 0);
  if (value instanceof Uint8Array) return Buffer.concat([control(BYTES, value.length), value]);
  if (typeof value === 'bigint') return scalar(value < 1n << 64n ? mmdbUint64(value) : mmdbUint128(value));
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= 0xffffffff) {
      const bytes = uintBytes(BigInt(value));
      return Buffer.concat([control(UINT32, bytes.length), bytes]);
    }
    if (Number.isInteger(value) && value >= -0x80000000 && value < 0) return scalar(mmdbInt32(value));
    return scalar(mmdbDouble(value));
  }
  const v = value.value;
  switch (value.mmdbType) {
    case 'double': {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(Number(v));
      return Buffer.concat([control(DOUBLE, 8), b]);
    }
    case 'float': {
      const b = Buffer.alloc(4);
      b.writeFloatBE(Number(v));
      return Buffer.concat([control(FLOAT, 4), b]);
    }
    case 'int32': {
      // Shorter than 4 bytes is positive; a negative value takes all 4.
      const n = Number(v);
      const bytes = n < 0 ? Buffer.alloc(4) : uintBytes(BigInt(n));
      if (n < 0) bytes.writeInt32BE(n);
      return Buffer.concat([control(INT32, bytes.length), bytes]);
    }
    default: {
      const type = { uint16: UINT16, uint64: UINT64, uint128: UINT128 }[value.mmdbType];
      const bytes = uintBytes(BigInt(v));
      return Buffer.concat([control(type, bytes.length), bytes]);
    }
  }
}

/** The data section: values appended once, known ones reused. */
class DataSection {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  readonly #written = new Map<string, { offset: number; length: number }>();
  readonly #keys = new WeakMap<object, string>();

  /** `pointers`: false for the metadata, which must not hold any. */
  constructor(private readonly pointers = true) {}

  get size(): number {
    return this.#size;
  }

  bytes(): Buffer {
    return Buffer.concat(this.#chunks, this.#size);
  }

  /** Offset of the value's encoding (a top-level record: never a pointer). */
  record(value: MmdbValue): number {
    const known = this.#written.get(keyOf(value, this.#keys));
    return known?.offset ?? this.#write(value);
  }

  /** Writes a value inside another, as a pointer when one is shorter. */
  #field(value: MmdbValue): void {
    const known = this.pointers ? this.#written.get(keyOf(value, this.#keys)) : undefined;
    const ref = known === undefined ? undefined : pointer(known.offset);
    if (ref !== undefined && ref.length < known!.length) this.#append(ref);
    else this.#write(value);
  }

  #write(value: MmdbValue): number {
    const offset = this.#size;
    if (Array.isArray(value)) {
      this.#append(control(ARRAY, value.length));
      for (const item of value as readonly MmdbValue[]) this.#field(item);
    } else if (typeof value === 'object' && !(value instanceof Uint8Array) && !(value instanceof MmdbTyped)) {
      const entries = Object.entries(value as { readonly [key: string]: MmdbValue });
      this.#append(control(MAP, entries.length));
      for (const [k, v] of entries) {
        this.#field(k);
        this.#field(v);
      }
    } else {
      this.#append(scalar(value as Parameters<typeof scalar>[0]));
    }
    this.#written.set(keyOf(value, this.#keys), { offset, length: this.#size - offset });
    return offset;
  }

  #append(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }
}

/** 16 bytes of an IPv6 network (IPv4 in ::/96) and its prefix length. */
export function parseNetwork(cidr: string): { bytes: Uint8Array; prefix: number } {
  const slash = cidr.indexOf('/');
  const address = slash < 0 ? cidr : cidr.slice(0, slash);
  const v4 = isIPv4(address);
  if (!v4 && !isIPv6(address)) throw new Error(`Not an IP network: ${cidr}`);
  const bits = v4 ? 32 : 128;
  const prefixText = slash < 0 ? String(bits) : cidr.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > bits) throw new Error(`Bad prefix length in ${cidr}`);
  const bytes = new Uint8Array(16);
  if (v4) bytes.set(address.split('.').map(Number), 12);
  else bytes.set(ipv6Bytes(address));
  const full = prefix + (v4 ? 96 : 0);
  for (let i = full; i < 128; i++) {
    if (bitAt(bytes, i) === 1) throw new Error(`${cidr} has bits set after its prefix`);
  }
  return { bytes, prefix: full };
}

function ipv6Bytes(address: string): number[] {
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}

function bitAt(bytes: Uint8Array, i: number): number {
  return (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
}

/** A search-tree node: each side is a node, a data offset, or empty. */
type Child = Node | number | undefined;
type Node = [Child, Child];

/** The bytes of a MaxMind DB holding `networks`; the most specific network wins, and of equal ones the last. */
export function buildMmdb(networks: Iterable<MmdbNetwork>, options: MmdbOptions): Buffer {
  const data = new DataSection();
  const parsed = [...networks].map((n, order) => ({ ...parseNetwork(n.network), network: n.network, order, offset: data.record(n.data) }));
  const root: Node = [undefined, undefined];
  // Broad networks first, so that narrower ones split them.
  parsed.sort((a, b) => a.prefix - b.prefix || a.order - b.order);
  for (const { bytes, prefix, offset, network } of parsed) {
    if (prefix === 0) throw new Error(`${network}: a database must split the address space at least once`);
    let node = root;
    for (let depth = 0; depth < prefix - 1; depth++) {
      const side = bitAt(bytes, depth);
      const child = node[side];
      node = Array.isArray(child) ? child : (node[side] = [child, child]);
    }
    node[bitAt(bytes, prefix - 1)] = offset;
  }

  // Number the nodes breadth-first; the root is node 0.
  const nodes: Node[] = [root];
  const index = new Map<Node, number>([[root, 0]]);
  for (let i = 0; i < nodes.length; i++) {
    for (const child of nodes[i]!) {
      if (Array.isArray(child)) {
        index.set(child, nodes.length);
        nodes.push(child);
      }
    }
  }
  const nodeCount = nodes.length;
  const record = (child: Child): number =>
    child === undefined ? nodeCount : typeof child === 'number' ? nodeCount + DATA_SECTION_SEPARATOR + child : index.get(child)!;
  const largest = nodeCount + DATA_SECTION_SEPARATOR + data.size;
  const recordSize = options.recordSize ?? ([24, 28, 32] as const).find((bits) => largest < 2 ** bits);
  if (recordSize === undefined || largest >= 2 ** recordSize) throw new Error(`A ${recordSize ?? 32}-bit record cannot address ${largest}`);

  const nodeBytes = recordSize / 4;
  const tree = Buffer.alloc(nodeCount * nodeBytes);
  nodes.forEach((node, i) => {
    const at = i * nodeBytes;
    const [left, right] = [record(node[0]), record(node[1])];
    if (recordSize === 24) {
      tree.writeUIntBE(left, at, 3);
      tree.writeUIntBE(right, at + 3, 3);
    } else if (recordSize === 28) {
      tree.writeUIntBE(left & 0xffffff, at, 3);
      tree[at + 3] = ((left >>> 24) << 4) | (right >>> 24);
      tree.writeUIntBE(right & 0xffffff, at + 4, 3);
    } else {
      tree.writeUInt32BE(left, at);
      tree.writeUInt32BE(right, at + 4);
    }
  });

  const metadata = new DataSection(false);
  metadata.record({
    binary_format_major_version: mmdbUint16(2),
    binary_format_minor_version: mmdbUint16(0),
    build_epoch: mmdbUint64(BigInt(Math.floor((options.buildEpoch ?? new Date()).getTime() / 1000))),
    database_type: options.databaseType,
    description: options.description ?? {},
    ip_version: mmdbUint16(6),
    languages: options.languages ?? ['en'],
    node_count: nodeCount,
    record_size: mmdbUint16(recordSize),
  });
  return Buffer.concat([tree, Buffer.alloc(DATA_SECTION_SEPARATOR), data.bytes(), METADATA_MARKER, metadata.bytes()]);
}
