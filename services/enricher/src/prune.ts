/**
 * ecs-mapping.md B.12: drop, recursively, every null, undefined, empty
 * string, empty object and empty array. In place: only for objects the
 * document builder created.
 */
export function pruneInPlace(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false;
  if (Array.isArray(value)) {
    let w = 0;
    for (let r = 0; r < value.length; r++) {
      const item: unknown = value[r];
      if (pruneInPlace(item)) value[w++] = item;
    }
    value.length = w;
    return w > 0;
  }
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    let kept = 0;
    for (const key in obj) {
      if (pruneInPlace(obj[key])) kept++;
      else delete obj[key];
    }
    return kept > 0;
  }
  return true;
}

/** A pruned deep copy of record data (records are shared and never changed). */
export function prunedCopy(value: unknown): unknown {
  if (value === null || value === undefined || value === '') return undefined;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      const copy = prunedCopy(item);
      if (copy !== undefined) out.push(copy);
    }
    return out.length > 0 ? out : undefined;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    let kept = 0;
    for (const [key, item] of Object.entries(value)) {
      const copy = prunedCopy(item);
      if (copy !== undefined) {
        out[key] = copy;
        kept++;
      }
    }
    return kept > 0 ? out : undefined;
  }
  return value;
}
