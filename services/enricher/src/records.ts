/** NDJSON of stage-A records (`pra-pipeline map --records`). */
import { PipelineError } from '@pra-pipeline/shared';
import type { StageARecord } from './stage-a.js';

const LONG_RUN = /\d{16}/;

/**
 * The JSON text with every integer literal beyond 2^53 in magnitude turned
 * into a string of its digits, which JSON.parse keeps exactly (a number it
 * would round). Stage B reads such a string as the exact long (convert.ts).
 * Only integer literals: a number with a fraction or an exponent is left alone.
 */
export function quoteLargeIntegers(text: string): string {
  if (!LONG_RUN.test(text)) return text;
  let out = '';
  let copied = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) { // a string: skip to its closing quote
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      let end = i + 1;
      while (end < text.length && /[0-9.eE+-]/.test(text[end] as string)) end++;
      const literal = text.slice(i, end);
      if (/^-?[1-9]\d{15,}$/.test(literal) && !Number.isSafeInteger(Number(literal))) {
        out += `${text.slice(copied, i)}"${literal}"`;
        copied = end;
      }
      i = end - 1;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** One stage-A record from JSON text; PIPE_RECORD_INVALID when it is not a JSON object. */
export function parseRecord(text: string, where = 'Record'): StageARecord {
  let value: unknown;
  try {
    value = JSON.parse(quoteLargeIntegers(text));
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
