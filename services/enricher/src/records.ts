/** NDJSON of stage-A records (`pra-pipeline map --records`). */
import { PipelineError } from '@pra-pipeline/shared';
import type { StageARecord } from './stage-a.js';

/** One stage-A record from JSON text; PIPE_RECORD_INVALID when it is not a JSON object. */
export function parseRecord(text: string, where = 'Record'): StageARecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PipelineError('PIPE_RECORD_INVALID', `${where} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PipelineError('PIPE_RECORD_INVALID', `${where} is not a JSON object`);
  }
  return value as StageARecord;
}

/** Every non-blank line as a record; errors name the line (1-based). */
export function parseRecordsNdjson(text: string): StageARecord[] {
  const records: StageARecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    try {
      records.push(parseRecord(line, `Line ${i + 1}`));
    } catch (err) {
      if (err instanceof PipelineError) err.context.line = i + 1;
      throw err;
    }
  }
  return records;
}
