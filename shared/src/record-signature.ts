/**
 * Record signatures: the enricher signs every record it writes to the enriched
 * topic with HMAC-SHA256 under a key it shares with the sink, and the sink
 * indexes only records whose signature checks out. Whoever may produce to the
 * topic but does not hold the key cannot make the sink index a document of their
 * own (such as one carrying the id of a future event, which would make the real
 * event a duplicate). The signature covers the key and the value, each with its
 * length, so no bytes can move from one to the other.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IHeaders } from 'kafkajs';

/** The header that carries a record's signature. */
export const SIGNATURE_HEADER = 'pra.signature';

/** The only scheme so far; the prefix leaves room for another without ambiguity. */
const SCHEME = 'v1=';

/** Keys shorter than this are refused: an HMAC key should be at least as long as its output. */
export const SIGNING_KEY_MIN_BYTES = 32;

type Bytes = Buffer | string | null | undefined;

function asBuffer(bytes: Bytes): Buffer | undefined {
  if (bytes === null || bytes === undefined) return undefined;
  return typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
}

function digest(secret: string | Buffer, key: Bytes, value: Bytes): Buffer {
  const hmac = createHmac('sha256', secret);
  for (const part of [asBuffer(key), asBuffer(value)]) {
    // -1 marks "absent", so a null key and an empty key sign differently.
    const length = Buffer.alloc(4);
    length.writeInt32BE(part === undefined ? -1 : part.length);
    hmac.update(length);
    if (part !== undefined) hmac.update(part);
  }
  return hmac.digest();
}

/** The signature header value for a record's key and value. */
export function signRecord(secret: string | Buffer, key: Bytes, value: Bytes): string {
  return SCHEME + digest(secret, key, value).toString('base64url');
}

/** The headers to add to a record: `{ 'pra.signature': ... }`. */
export function signatureHeaders(secret: string | Buffer, key: Bytes, value: Bytes): Record<string, string> {
  return { [SIGNATURE_HEADER]: signRecord(secret, key, value) };
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

function headerText(value: IHeaders[string]): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.length === 1 ? String(value[0]) : undefined;
  return value.toString();
}

/**
 * Checks a record's signature header against its key and value, in constant time.
 * A record with no signature, a repeated one, or one in an unknown scheme fails
 * with the reason.
 */
export function verifyRecord(
  secret: string | Buffer,
  record: { key?: Bytes; value: Bytes; headers?: IHeaders | undefined },
): SignatureCheck {
  const raw = record.headers?.[SIGNATURE_HEADER];
  if (raw === undefined) return { ok: false, reason: `The record has no ${SIGNATURE_HEADER} header.` };
  const text = headerText(raw);
  if (text === undefined) return { ok: false, reason: `The record has more than one ${SIGNATURE_HEADER} header.` };
  if (!text.startsWith(SCHEME)) return { ok: false, reason: `The ${SIGNATURE_HEADER} header is not a v1 signature.` };
  const given = Buffer.from(text.slice(SCHEME.length), 'base64url');
  const expected = digest(secret, record.key, record.value);
  // timingSafeEqual needs equal lengths; a wrong length is wrong whatever its bytes.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: `The ${SIGNATURE_HEADER} signature does not match the record.` };
  }
  return { ok: true };
}

/** Problems with a configured signing key, for a service's `check` function. */
export function checkSigningKey(key: string | undefined, variable = 'PIPELINE_SIGNING_KEY'): string[] {
  if (key === undefined) return [];
  if (Buffer.byteLength(key) < SIGNING_KEY_MIN_BYTES) return [`${variable}: must be at least ${SIGNING_KEY_MIN_BYTES} bytes (e.g. openssl rand -base64 48)`];
  return [];
}
