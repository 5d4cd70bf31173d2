/** Reading kafkajs errors for what they mean to a transactional producer. */

/** True for the errors that mean another producer with the same transactional id took over. */
export function isFencedError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 8; depth++) {
    const x = e as { type?: string; code?: string | number; message?: string; cause?: unknown; originalError?: unknown };
    if (x.type === 'INVALID_PRODUCER_EPOCH' || x.type === 'PRODUCER_FENCED' || x.code === 47 || x.code === 90 || x.code === 'PIPE_KAFKA_FENCED') return true;
    // kafkajs 2.2 predates PRODUCER_FENCED (90), which Kafka 4 can return: it reports it as an unknown code.
    if (typeof x.message === 'string' && /\bUnknown error code 90\b/.test(x.message)) return true;
    e = x.originalError ?? x.cause;
  }
  return false;
}
