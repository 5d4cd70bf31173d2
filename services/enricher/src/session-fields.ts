/** ecs-mapping.md B.7: the record's `session` to `beyondtrust_pra.access_session.session`. */
import { describe, toIsoTimestamp, toKeyword, toLong } from './convert.js';
import { prunedCopy } from './prune.js';

type Obj = Record<string, unknown>;
const PREFIX = 'beyondtrust_pra.access_session.session';
const KEYWORDS = [
  'duration', 'lseq', 'lsid', 'session_type', 'session_chat_view_url', 'session_chat_download_url',
  'session_recording_view_url', 'session_recording_download_url',
] as const;
const LONGS = ['file_move_count', 'file_transfer_count'] as const;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An element as {text, ...attributes}: `#text` renamed, only the named attributes kept. */
export function textElement(value: unknown, attributes: readonly string[]): Obj | undefined {
  if (typeof value === 'string' || typeof value === 'number') return { text: String(value) };
  if (!isObject(value)) return undefined;
  const out: Obj = { text: toKeyword(value['#text']) };
  for (const name of attributes) out[name] = toKeyword(value[name]);
  return out;
}

/** Each element with `#text` renamed `text`, the rest kept (pruned copies). */
export function renameTextAll(value: unknown): Obj[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const items = Array.isArray(value) ? value : [value];
  const out: Obj[] = [];
  for (const item of items) {
    if (typeof item === 'string' || typeof item === 'number') {
      out.push({ text: String(item) });
    } else if (isObject(item)) {
      const copy: Obj = {};
      for (const [key, v] of Object.entries(item)) copy[key === '#text' ? 'text' : key] = prunedCopy(v);
      out.push(copy);
    }
  }
  return out;
}

function time(value: unknown, name: string, errors: string[]): Obj | undefined {
  if (typeof value === 'string') return { text: value };
  if (!isObject(value)) return undefined;
  const out: Obj = { text: toKeyword(value['#text']) };
  const raw = value.timestamp;
  if (raw !== undefined && raw !== null && raw !== '') {
    const iso = toIsoTimestamp(raw);
    if (iso === undefined) errors.push(`${PREFIX}.${name}.timestamp: cannot parse ${describe(raw)} as a date`);
    else out.timestamp = iso;
  }
  return out;
}

export function sessionFields(session: unknown, errors: string[]): Obj | undefined {
  if (!isObject(session)) return undefined;
  const out: Obj = {};
  const recordings = session.command_shell_recordings;
  if (isObject(recordings)) {
    out.command_shell_recordings = { command_shell_recording: prunedCopy(recordings.command_shell_recording) };
  }
  const attributes = session.custom_attributes;
  if (isObject(attributes)) out.custom_attributes = { custom_attribute: renameTextAll(attributes.custom_attribute) };
  for (const key of KEYWORDS) {
    const raw = session[key];
    if (raw === undefined || raw === null) continue;
    const text = toKeyword(raw);
    if (text === undefined) errors.push(`${PREFIX}.${key}: cannot convert ${describe(raw)} to keyword`);
    else out[key] = text;
  }
  for (const key of LONGS) {
    const raw = session[key];
    if (raw === undefined || raw === null) continue; // empty is an error (ecs-mapping.md stage A)
    const n = toLong(raw);
    if (n === undefined) errors.push(`${PREFIX}.${key}: cannot convert ${describe(raw)} to long`);
    else out[key] = n;
  }
  out.jump_group = textElement(session.jump_group, ['id', 'type']);
  out.jumpoint = textElement(session.jumpoint, ['id']);
  out.primary_customer = textElement(session.primary_customer, ['gsnumber']);
  out.primary_rep = textElement(session.primary_rep, ['gsnumber', 'id']);
  out.start_time = time(session.start_time, 'start_time', errors);
  out.end_time = time(session.end_time, 'end_time', errors);
  return out;
}
