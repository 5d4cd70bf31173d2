/**
 * Value conversions of stage B, as the reference's convert and date
 * processors do them. Each returns undefined when the value cannot be
 * converted; the caller records the error (ecs-mapping.md B.13).
 */

const DECIMAL = /^[+-]?\d+$/;
/** What the convert processor hands to Long.decode rather than Long.parseLong. */
const HEX = /^(-?)0x([0-9a-fA-F]+)$/;
const UNIX_SECONDS = /^\d+(?:\.\d+)?$/;
/**
 * Elasticsearch's `ISO8601` date format: a date of at least a year, then
 * optionally `T` and a time of at least the hour, a fraction after `.` or `,`,
 * and a zone (`Z`, `+HH`, `+HHmm`, `+HH:mm`). A space is no separator.
 */
const ISO_8601 = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$/;

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/**
 * An Elasticsearch `long`: exact for every integer of the signed 64-bit range.
 * A number while it is a safe integer (|n| <= 2^53 - 1); beyond that, its
 * decimal digits as a string ("9007199254740993").
 *
 * Why a string and not a JSON number: a JavaScript number cannot hold
 * 2^53 + 1, and every JavaScript reader of the document (JSON.parse in the
 * sink, the schema registry client, the all-in-one mode, a user's consumer)
 * would round a JSON number that large without a word. Digits in a string
 * survive every JSON reader in every language, and Elasticsearch's `long`
 * field parses a numeric string exactly (shared's ecs-fields.ts declares `coerce: true`),
 * so queries and aggregations see the exact value. The JSON Schema leaves
 * long fields unconstrained, the only change of an `integer` field that the
 * registry's BACKWARD rule accepts (shared's ecs-schema.ts). Ordinary values stay
 * numbers, as in the reference's documents.
 */
export type LongValue = number | string;

function fromBigInt(n: bigint): LongValue | undefined {
  if (n < LONG_MIN || n > LONG_MAX) return undefined;
  const small = Number(n);
  return Number.isSafeInteger(small) ? small : n.toString();
}

/** A string as given; numbers and booleans as text; anything else cannot be a keyword. */
export function toKeyword(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * A long as the convert processor makes one: decimal digits with an optional
 * sign (Long.parseLong: no spaces, no fraction), or `0x`/`-0x` hexadecimal
 * (Long.decode); undefined outside the signed 64-bit range, for an empty
 * string and for anything else.
 */
export function toLong(value: unknown): LongValue | undefined {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value;
    return Number.isInteger(value) ? fromBigInt(BigInt(value)) : undefined;
  }
  if (typeof value === 'bigint') return fromBigInt(value);
  if (typeof value !== 'string') return undefined;
  if (DECIMAL.test(value)) return fromBigInt(BigInt(value));
  const hex = HEX.exec(value);
  if (hex === null) return undefined;
  const n = BigInt(`0x${hex[2] as string}`);
  return fromBigInt(hex[1] === '-' ? -n : n);
}

/**
 * `invited`: the reference's script sets true for 1 and false for 0 and
 * nothing otherwise, so any other value is undefined (and not an error).
 */
export function toInvited(value: unknown): boolean | undefined {
  if (value === 1) return true;
  if (value === 0) return false;
  return undefined;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function isoFromParts(m: RegExpExecArray): number {
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return Number.NaN;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return Number.NaN;
  const ms = frac === '' ? '000' : frac.padEnd(3, '0').slice(0, 3);
  let tz = zone === undefined ? 'Z' : zone;
  if (/^[+-]\d{2}$/.test(tz)) tz += ':00';
  else if (/^[+-]\d{4}$/.test(tz)) tz = `${tz.slice(0, 3)}:${tz.slice(3)}`;
  if (tz !== 'Z' && (Number(tz.slice(1, 3)) > 18 || Number(tz.slice(4, 6)) > 59)) return Number.NaN;
  return Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${tz}`);
}

/**
 * Milliseconds since the epoch from Unix seconds (what appliances send, a
 * fraction allowed) or an ISO 8601 date as Elasticsearch's `ISO8601` format
 * reads it (UTC when no zone). Anything else, a space-separated date or
 * surrounding spaces for example, is undefined (ecs-mapping.md B.9).
 */
export function parseTimestamp(value: unknown): number | undefined {
  let ms: number;
  if (typeof value === 'number') {
    ms = value * 1000;
  } else if (typeof value === 'string') {
    if (UNIX_SECONDS.test(value)) {
      ms = Number(value) * 1000;
    } else {
      const m = ISO_8601.exec(value);
      if (m === null) return undefined;
      ms = isoFromParts(m);
    }
  } else {
    return undefined;
  }
  ms = Math.round(ms);
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? ms : undefined;
}

/** ISO date with milliseconds ("2024-01-01T13:00:00.000Z"), or undefined. */
export function toIsoTimestamp(value: unknown): string | undefined {
  const ms = parseTimestamp(value);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/** Short text of a value for an error message. */
export function describe(value: unknown): string {
  const text = typeof value === 'bigint' ? value.toString() : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
