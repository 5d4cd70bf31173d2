/**
 * `event.ingested` written by the sink, for a cluster that cannot run the
 * final pipeline (no ingest processors): each source line of a bulk body gets
 * a top-level `"event.ingested"` key, the time the request is sent.
 * Elasticsearch expands the dotted key into `event.ingested`, beside the rest
 * of `event`. The enricher never sets the field, so it is never there twice.
 */

/** The bulk body (action line, source line, ...) with every source line stamped. */
export function stampIngested(body: Buffer, at: Date = new Date()): Buffer {
  const field = Buffer.from(`"event.ingested":${JSON.stringify(at.toISOString())}`, 'utf8');
  const comma = Buffer.from(',');
  const parts: Buffer[] = [];
  let start = 0;
  let line = 0;
  while (start < body.length) {
    let end = body.indexOf(0x0a, start);
    if (end < 0) end = body.length;
    const text = body.subarray(start, end);
    if (line % 2 === 1) {
      const open = text.indexOf(0x7b); // '{'
      if (open < 0) {
        parts.push(text);
      } else {
        let next = open + 1;
        while (next < text.length && (text[next] === 0x20 || text[next] === 0x09 || text[next] === 0x0d)) next++;
        const empty = text[next] === 0x7d; // '}'
        parts.push(text.subarray(0, open + 1), field, ...(empty ? [] : [comma]), text.subarray(open + 1));
      }
    } else {
      parts.push(text);
    }
    if (end < body.length) parts.push(body.subarray(end, end + 1));
    start = end + 1;
    line++;
  }
  return Buffer.concat(parts);
}
