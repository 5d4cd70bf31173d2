/**
 * Runs stage A+B on the fuzz tests' inputs in a worker thread, so the test can
 * stop a case that never returns and cap the heap (resourceLimits). Each input
 * goes through `enrichRawRecord`, the enricher's own path for a raw record.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setFlagsFromString, getHeapStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PipelineError } from '@pra-pipeline/shared';
import { enrichRawRecord } from '../src/raw-record.js';
import { rawHeaders } from './hostile-xml.js';

export interface FuzzRequest {
  id: number;
  bytes: Uint8Array;
  preserveOriginal: boolean;
}

export interface FuzzReply {
  id: number;
  outcome: 'mapped' | 'dead-letter' | 'nothing' | 'unexpected';
  documents: number;
  code?: string;
  message?: string;
  /** The thrown value's class when it is not a PipelineError. */
  thrown?: string;
  elapsedMs: number;
  /** Markers found in the output (documents, or the error message). */
  markers: string[];
  heapUsed: number;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const markers = (workerData as { markers: string[] }).markers;
const port = parentPort!;

port.on('message', (message: FuzzRequest | { id: number; heap: true }) => {
  if ('heap' in message) {
    gc();
    port.postMessage({ id: message.id, heapUsed: getHeapStatistics().used_heap_size });
    return;
  }
  const { id, bytes, preserveOriginal } = message;
  const record = { key: Buffer.from(`fuzz/${id}`), value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), headers: rawHeaders('fuzz', preserveOriginal) };
  const started = performance.now();
  let reply: Omit<FuzzReply, 'elapsedMs' | 'heapUsed'>;
  try {
    const sessions = enrichRawRecord(record, undefined, {});
    const documents = sessions.reduce((n, s) => n + s.documents.length, 0);
    const text = JSON.stringify(sessions);
    reply = { id, outcome: documents > 0 ? 'mapped' : 'nothing', documents, markers: markers.filter((m) => text.includes(m)) };
  } catch (err) {
    const text = `${(err as Error)?.message ?? String(err)}`;
    reply = err instanceof PipelineError
      ? { id, outcome: 'dead-letter', documents: 0, code: err.code, message: err.message, markers: markers.filter((m) => text.includes(m)) }
      : { id, outcome: 'unexpected', documents: 0, thrown: (err as Error)?.name ?? typeof err, message: text, markers: [] };
  }
  port.postMessage({ ...reply, elapsedMs: performance.now() - started, heapUsed: getHeapStatistics().used_heap_size });
});
