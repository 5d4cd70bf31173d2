/**
 * Renders reports as the appliance does, piece by piece so that a report of any
 * size can be streamed. Element order follows the reference integration's XSD
 * (see README), with the real appliance's extra representative fields.
 */
import { eventAt, typeAt } from './events.js';
import { timeline } from './generator.js';
import type { Party, SessionPlan, SimEvent } from './model.js';

export const REPORTING_NAMESPACE = 'http://www.beyondtrust.com/sra/namespaces/API/reporting';

export interface RenderOptions {
  /** Put elements in the appliance's namespace (default) or in none, like the reference's mock. */
  namespace: boolean;
  /** Event timestamps as Unix seconds (the appliance) or ISO 8601 (the reference's mock). */
  timestampFormat: 'unix' | 'iso';
  /** Host name used in chat, recording and shell URLs. */
  publicHost: string;
  /** How a running session shows its missing end: no element, or an empty one. */
  runningEndTime: 'omit' | 'empty';
}

// eslint-disable-next-line no-control-regex -- the characters XML 1.0 cannot hold are exactly what this finds
const INVALID_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function hasInvalidXmlChars(text: string): boolean {
  INVALID_XML_CHAR.lastIndex = 0;
  const found = INVALID_XML_CHAR.test(text);
  INVALID_XML_CHAR.lastIndex = 0;
  return found;
}

export function escapeText(text: string): string {
  return text.replace(INVALID_XML_CHAR, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttr(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

function ns(options: RenderOptions): string {
  return options.namespace ? ` xmlns="${REPORTING_NAMESPACE}"` : '';
}

/** "2024-12-03T15:26:05+00:00", as in the appliance's start_time/end_time text. */
export function isoWithOffset(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace('.000Z', '+00:00');
}

function isoZ(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

export function hhmmss(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

function el(name: string, text: string | number, attrs = ''): string {
  return `<${name}${attrs}>${escapeText(String(text))}</${name}>`;
}

function party(name: string, p: Party | undefined): string {
  if (!p) return '';
  return `<${name} type="${p.type}" gsnumber="${escapeAttr(p.gsnumber)}">${escapeText(p.name)}</${name}>`;
}

/** The single-root error document: "no data" or a real failure. */
export function errorDocument(message: string, options: RenderOptions): string {
  return `${XML_DECLARATION}<error${ns(options)}>${escapeText(message)}</error>\n`;
}

export function renderEvent(event: SimEvent, options: RenderOptions): string {
  const ts = options.timestampFormat === 'iso' ? isoZ(event.timestamp) : String(event.timestamp);
  let out = `<event timestamp="${ts}" event_type="${escapeAttr(event.eventType)}">`;
  out += party('performed_by', event.performedBy);
  out += party('destination', event.destination);
  if (event.body !== undefined) {
    out += el('body', event.body);
    if (hasInvalidXmlChars(event.body)) out += el('encoded_body', Buffer.from(event.body, 'utf8').toString('base64'));
  }
  if (event.filename !== undefined) out += el('filename', event.filename);
  if (event.filesize !== undefined) out += el('filesize', event.filesize);
  if (event.files) {
    out += '<files>';
    for (const f of event.files) out += `<file>${el('filename', f.filename)}${el('filesize', f.filesize)}</file>`;
    out += '</files>';
  }
  if (event.systemInformation) {
    out += '<system_information>';
    for (const c of event.systemInformation) {
      out += `<category name="${escapeAttr(c.name)}"><description>`;
      for (const [key, label] of c.columns) out += el('field', label, ` name="${escapeAttr(key)}"`);
      out += '</description><data>';
      for (const row of c.rows) {
        out += '<row>';
        for (const [key, value] of row) out += el('field', value, ` name="${escapeAttr(key)}"`);
        out += '</row>';
      }
      out += '</data></category>';
    }
    out += '</system_information>';
  }
  if (event.data) {
    out += '<data>';
    for (const [name, value] of event.data) out += `<value name="${escapeAttr(name)}" value="${escapeAttr(value)}"/>`;
    out += '</data>';
  }
  return `${out}</event>\n`;
}

interface Visible {
  count: number;
  ended: boolean;
  lastTimestamp: number;
  joinTimes: Map<number, number>;
  transfers: number;
  moves: number;
  deletes: number;
  shells: number;
}

/** What of a session is visible at `nowSec`: a cheap first pass over types and times. */
export function visibleState(plan: SessionPlan, nowSec: number): Visible {
  const v: Visible = { count: 0, ended: false, lastTimestamp: plan.start, joinTimes: new Map(), transfers: 0, moves: 0, deletes: 0, shells: 0 };
  const joins = new Map(plan.reps.map((r, i) => [r.joinPosition, i]));
  let position = 0;
  for (const t of timeline(plan)) {
    if (t > nowSec) break;
    const type = typeAt(plan, position);
    if (type === 'File Upload' || type === 'File Download') v.transfers++;
    else if (type === 'File Moved') v.moves++;
    else if (type === 'File Deleted') v.deletes++;
    else if (type === 'Command Shell Session Started') v.shells++;
    const rep = joins.get(position);
    if (rep !== undefined) v.joinTimes.set(rep, t);
    v.lastTimestamp = t;
    position++;
  }
  v.count = position;
  v.ended = position === plan.eventCount;
  return v;
}

/** One `<session>` as it stands at `nowSec`, in pieces (one per event). */
export function* renderSession(plan: SessionPlan, nowSec: number, options: RenderOptions): Generator<string> {
  const v = visibleState(plan, nowSec);
  const host = options.publicHost;
  const q = `lsid=${plan.lsid}`;
  let head = `<session lsid="${plan.lsid}">`;
  head += el('session_type', 'support');
  head += el('lseq', plan.lseq);
  head += el('start_time', isoWithOffset(plan.start), ` timestamp="${plan.start}"`);
  if (v.ended) head += el('end_time', isoWithOffset(plan.end), ` timestamp="${plan.end}"`);
  else if (options.runningEndTime === 'empty') head += '<end_time timestamp=""></end_time>';
  head += el('duration', hhmmss((v.ended ? plan.end : nowSec) - plan.start));
  const g = plan.jumpGroup;
  head += el('jump_group', g.name, ` type="${g.type}" id="${g.id}"`);
  if (plan.jumpoint) head += el('jumpoint', plan.jumpoint.name, ` id="${plan.jumpoint.id}"`);
  head += '<custom_attributes>';
  for (const a of plan.customAttributes) {
    head += el('custom_attribute', a.value, ` display_name="${escapeAttr(a.displayName)}" code_name="${escapeAttr(a.codeName)}"`);
  }
  head += '</custom_attributes>';
  if (v.ended) {
    head += el('session_chat_view_url', `https://${host}/session_view/chat?${q}`);
    head += el('session_chat_download_url', `https://${host}/session_download/chat?${q}`);
    if (plan.recorded) {
      head += el('session_recording_view_url', `https://${host}/session_view/recording?${q}`);
      head += el('session_recording_download_url', `https://${host}/session_download/recording?${q}`);
    }
    if (v.shells > 0) {
      head += '<command_shell_recordings>';
      for (let i = 0; i < v.shells; i++) {
        head += `<command_shell_recording instance="${i}">`;
        head += el('download_url', `https://${host}/session_download/shell?${q}&instance=${i}`);
        head += el('view_url', `https://${host}/session_view/shell?${q}&instance=${i}`);
        head += '</command_shell_recording>';
      }
      head += '</command_shell_recordings>';
    }
  }
  head += el('file_transfer_count', v.transfers);
  head += el('file_move_count', v.moves);
  head += el('file_delete_count', v.deletes);
  head += el('primary_customer', plan.primaryCustomer, ` gsnumber="${plan.customers[0]!.gsnumber}"`);
  const owner = plan.reps[0]!;
  head += el('primary_rep', owner.displayName, ` gsnumber="${owner.gsnumber}" id="${owner.id}"`);
  head += '<customer_list>';
  for (const c of plan.customers) {
    head += `<customer gsnumber="${c.gsnumber}">${el('username', c.username)}${el('public_ip', c.publicIp)}${el('private_ip', c.privateIp)}${el('hostname', c.hostname)}${el('os', c.os)}</customer>`;
  }
  head += '</customer_list><rep_list>';
  const until = v.ended ? plan.end : nowSec;
  plan.reps.forEach((r, i) => {
    const joined = v.joinTimes.get(i);
    if (joined === undefined) return;
    head += `<representative gsnumber="${r.gsnumber}" id="${r.id}">`;
    head += el('username', r.username) + el('display_name', r.displayName);
    head += el('public_display_name', r.publicDisplayName) + el('private_display_name', r.privateDisplayName);
    head += el('public_ip', r.publicIp) + el('private_ip', r.privateIp) + el('hostname', r.hostname) + el('os', r.os);
    head += el('session_owner', r.owner ? 1 : 0) + el('seconds_involved', Math.max(0, until - joined));
    if (r.invited) head += el('invited', 1);
    head += '</representative>';
  });
  head += '</rep_list>\n<session_details>\n';
  yield head;
  let position = 0;
  for (const t of timeline(plan)) {
    if (position >= v.count) break;
    yield renderEvent(eventAt(plan, position, t), options);
    position++;
  }
  yield '</session_details>\n</session>\n';
}

export function* renderSessionList(plans: Iterable<SessionPlan>, nowSec: number, options: RenderOptions): Generator<string> {
  yield `${XML_DECLARATION}<session_list${ns(options)}>\n`;
  for (const plan of plans) yield* renderSession(plan, nowSec, options);
  yield '</session_list>\n';
}

export function* renderSessionSummaryList(plans: Iterable<SessionPlan>, nowSec: number, options: RenderOptions): Generator<string> {
  yield `${XML_DECLARATION}<session_summary_list${ns(options)}>\n`;
  for (const plan of plans) {
    const ended = plan.end <= nowSec;
    yield `<session_summary lsid="${plan.lsid}" has_recording="${ended && plan.recorded ? 1 : 0}"/>\n`;
  }
  yield '</session_summary_list>\n';
}
