/**
 * Value conversions of stage B, as the reference's convert and date
 * processors do them. Each returns undefined when the value cannot be
 * converted; the caller records the error (ecs-mapping.md B.13).
 */

const INTEGER = /^[+-]?\d+$/;
const UNIX_SECONDS = /^\d+(?:\.\d+)?$/;
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** A string as given; numbers and booleans as text; anything else cannot be a keyword. */
export function toKeyword(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** An integer number, from a number or a string of digits. */
export function toLong(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (!INTEGER.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** 1 -> true, 0 -> false, booleans, and "true"/"false" in any case. */
export function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === '1') return true;
  if (value === 0 || value === '0') return false;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
  }
  return undefined;
}

function isoFromParts(m: RegExpExecArray): number {
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const ms = frac === '' ? '000' : frac.padEnd(3, '0').slice(0, 3);
  let tz = zone === undefined || zone.toUpperCase() === 'Z' ? 'Z' : zone;
  if (/^[+-]\d{2}$/.test(tz)) tz += ':00';
  else if (/^[+-]\d{4}$/.test(tz)) tz = `${tz.slice(0, 3)}:${tz.slice(3)}`;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 24 || Number(mi) > 59 || Number(s) > 60) return Number.NaN;
  return Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${tz}`);
}

/**
 * Milliseconds since the epoch from Unix seconds (what appliances send) or an
 * ISO 8601 date (what the reference's test data has; UTC when no offset).
 */
export function parseTimestamp(value: unknown): number | undefined {
  let ms: number;
  if (typeof value === 'number') {
    ms = value * 1000;
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (UNIX_SECONDS.test(text)) {
      ms = Number(text) * 1000;
    } else {
      const m = ISO_8601.exec(text);
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
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
