/**
 * Streams a body made of many small strings with backpressure: pieces are
 * gathered into chunks, each written only when the socket has taken the last.
 * A cut (for fault injection) stops after a number of bytes, then resets the
 * connection, ends the body early, or injects broken markup and carries on.
 */
import type { ServerResponse } from 'node:http';

const CHUNK_BYTES = 64 * 1024;
export const MALFORMED_MARKUP = '<event timestamp=1 <<&& </session_details>';

export interface Cut {
  afterBytes: number;
  mode: 'reset' | 'truncate' | 'malformed';
}

/** Writes one chunk, waiting for the socket to take it; false once the client is gone. */
export async function send(res: ServerResponse, chunk: string | Buffer): Promise<boolean> {
  if (res.destroyed) return false;
  if (!res.write(chunk)) {
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
  return !res.destroyed;
}

/** Resolves with the bytes written; never rejects (a gone client just stops the stream). */
export async function streamBody(res: ServerResponse, pieces: Iterable<string>, cut?: Cut): Promise<number> {
  let written = 0;
  let buffer = '';
  let cutDone = false;
  /** Writes the buffer; false once the stream must stop. */
  const flush = async (final: boolean): Promise<boolean> => {
    let chunk = buffer;
    buffer = '';
    if (cut && !cutDone) {
      const bytes = Buffer.from(chunk);
      // A body shorter than the cut point is cut in the middle of its last chunk.
      const at = final ? Math.min(cut.afterBytes, written + Math.floor(bytes.length / 2)) : cut.afterBytes;
      if (written + bytes.length >= at) {
        cutDone = true;
        const head = bytes.subarray(0, at - written).toString('utf8');
        if (cut.mode === 'malformed') {
          chunk = head + MALFORMED_MARKUP + bytes.subarray(Buffer.byteLength(head)).toString('utf8');
        } else {
          written += Buffer.byteLength(head);
          if (cut.mode === 'reset') {
            // Let the bytes reach the client before the connection goes.
            await new Promise<void>((resolve) => (head && !res.destroyed ? res.write(head, () => resolve()) : resolve()));
            res.socket?.destroy();
          } else {
            if (head) await send(res, head);
            res.end();
          }
          return false;
        }
      }
    }
    if (chunk === '') return !res.destroyed;
    written += Buffer.byteLength(chunk);
    return send(res, chunk);
  };
  try {
    for (const piece of pieces) {
      buffer += piece;
      if (buffer.length >= CHUNK_BYTES && !(await flush(false))) return written;
    }
    if (await flush(true)) res.end();
  } catch {
    res.destroy();
  }
  return written;
}
