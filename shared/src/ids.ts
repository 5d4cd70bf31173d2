import { createHash } from 'node:crypto';

/**
 * A stable id from ordered parts. Each part is length-prefixed before hashing so
 * that ("ab","c") and ("a","bc") differ. 20 bytes of SHA-256, base64url: short
 * enough for an Elasticsearch `_id`, wide enough that collisions do not happen.
 */
export function stableId(...parts: readonly (string | number)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const text = typeof part === 'number' ? `n:${part}` : `s:${part}`;
    hash.update(`${Buffer.byteLength(text)}:`);
    hash.update(text);
  }
  return hash.digest().subarray(0, 20).toString('base64url');
}

/** A digest of content, to tell whether something changed. */
export function contentDigest(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('base64url');
}
