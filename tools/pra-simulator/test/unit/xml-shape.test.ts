import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { EVENT_TYPES, REPORTING_NAMESPACE, startSimulator, type Simulator } from '@pra-pipeline/pra-simulator';
import { START, START_SEC, report, sessionsOf, testdataDir, token, wellFormed } from './helpers.js';

// Child order of the reference integration's XSD; representatives also carry the
// real appliance's public/private display names.
const ORDER: Record<string, string[]> = {
  session: ['session_type', 'lseq', 'start_time', 'end_time', 'duration', 'jump_group', 'jumpoint', 'custom_attributes', 'session_chat_view_url', 'session_chat_download_url', 'session_recording_view_url', 'session_recording_download_url', 'command_shell_recordings', 'file_transfer_count', 'file_move_count', 'file_delete_count', 'primary_customer', 'primary_rep', 'customer_list', 'rep_list', 'session_details'],
  event: ['performed_by', 'destination', 'body', 'encoded_body', 'filename', 'filesize', 'files', 'system_information', 'data'],
  representative: ['username', 'display_name', 'public_display_name', 'private_display_name', 'public_ip', 'private_ip', 'hostname', 'os', 'session_owner', 'seconds_involved', 'invited'],
  customer: ['username', 'public_ip', 'private_ip', 'hostname', 'os'],
  command_shell_recording: ['download_url', 'view_url'],
  file: ['filename', 'filesize'],
  category: ['description', 'data'],
};
const REQUIRED: Record<string, string[]> = {
  session: ['session_type', 'lseq', 'start_time', 'duration', 'jump_group', 'custom_attributes', 'file_transfer_count', 'file_move_count', 'file_delete_count', 'primary_customer', 'primary_rep', 'customer_list', 'rep_list', 'session_details'],
  customer: ORDER.customer!,
};

type Node = Record<string, unknown>;
const ordered = new XMLParser({ preserveOrder: true, ignoreAttributes: false, removeNSPrefix: true });

function nameOf(node: Node): string {
  return Object.keys(node).find((k) => k !== ':@' && k !== '#text')!;
}

/** Walks the tree and returns shape violations (order, unknown and missing children). */
function shapeProblems(nodes: Node[], problems: string[] = []): string[] {
  for (const node of nodes) {
    const name = nameOf(node);
    if (!name) continue;
    const children = (node[name] as Node[]).filter((c) => nameOf(c));
    const order = ORDER[name];
    if (order) {
      const names = children.map(nameOf);
      let last = -1;
      for (const child of names) {
        const index = order.indexOf(child);
        if (index < 0) problems.push(`${name} has an unexpected ${child}`);
        else if (index <= last) problems.push(`${name}: ${child} out of order in ${names.join(',')}`);
        last = Math.max(last, index);
      }
      for (const required of REQUIRED[name] ?? []) {
        if (!names.includes(required)) problems.push(`${name} lacks ${required}`);
      }
    }
    shapeProblems(children, problems);
  }
  return problems;
}

describe('report XML', () => {
  let sim: Simulator;
  let text: string;
  before(async () => {
    sim = await startSimulator({ seed: 7, clock: { start: START } });
    text = (await report(sim.url, await token(sim.url), { generate_report: 'AccessSession', start_time: START_SEC - 86_400, duration: 0 })).text;
  });
  after(() => sim.stop());

  it('the shape checker accepts the test vector and rejects a reordered session', () => {
    const vector = readFileSync(join(testdataDir(), 'pra', 'report-single-session.xml'), 'utf8');
    assert.deepEqual(shapeProblems(ordered.parse(vector) as Node[]), []);
    const swapped = vector.replace(/<session_type>support2<\/session_type>\s*<lseq>12345<\/lseq>/, '<lseq>12345</lseq><session_type>support2</session_type>');
    assert.notEqual(swapped, vector);
    assert.ok(shapeProblems(ordered.parse(swapped) as Node[]).length > 0);
  });

  it('is well formed, in the appliance namespace, and shaped as the XSD describes', () => {
    assert.ok(wellFormed(text));
    assert.match(text, new RegExp(`^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n<session_list xmlns="${REPORTING_NAMESPACE}">`));
    assert.deepEqual(shapeProblems(ordered.parse(text) as Node[]), []);
  });

  it('has realistic content', () => {
    const sessions = sessionsOf(text);
    const reps = new Set(sessions.map((s) => (s.primary_rep as { '#text': string })['#text']));
    const endpoints = new Set(sessions.map((s) => (s.primary_customer as { '#text': string })['#text']));
    assert.ok(reps.size >= 5 && endpoints.size >= 10, 'several representatives and customers');
    assert.ok(sessions.some((s) => s.jumpoint === undefined) && sessions.some((s) => s.jumpoint !== undefined));
    const types = new Set(sessions.flatMap((s) => s.session_details.event.map((e) => e['@event_type'])));
    assert.deepEqual([...types].sort(), [...EVENT_TYPES].sort());
    for (const s of sessions) {
      const ended = s.end_time !== undefined;
      assert.equal(s.session_chat_view_url !== undefined, ended, 'chat URL only once ended');
      if (!ended) assert.equal(s.session_recording_view_url, undefined);
      assert.equal(s.session_details.event[0]!['@event_type'], 'Session Start');
      assert.equal(s.session_details.event.at(-1)!['@event_type'] === 'Session End', ended);
      for (const e of s.session_details.event) assert.match(e['@timestamp'], /^\d{10}$/);
    }
    assert.match(text, /<public_ip>\d+\.\d+\.\d+\.\d+:\d+<\/public_ip>/);
    assert.match(text, /<public_ip>\[[0-9a-f:]+\]:\d+<\/public_ip>/);
    assert.match(text, /<private_ip>Unknown<\/private_ip>/);
    assert.match(text, /<data><value name="[^"]+" value="[^"]*"\/>/);
    assert.match(text, /<files><file><filename>/);
    assert.match(text, /<system_information><category name="[^"]+"><description><field name=/);
  });

  it('carries bodies with characters XML cannot hold as encoded_body', () => {
    const events = sessionsOf(text).flatMap((s) => s.session_details.event).filter((e) => e.encoded_body !== undefined);
    assert.ok(events.length > 0);
    for (const e of events) {
      const decoded = Buffer.from(e.encoded_body!, 'base64').toString('utf8');
      // eslint-disable-next-line no-control-regex -- control characters are what encoded_body exists for
      const control = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g;
      assert.match(decoded, control);
      assert.equal(e.body, decoded.replace(control, ''));
    }
    const plain = sessionsOf(text).flatMap((s) => s.session_details.event).filter((e) => e.body !== undefined && e.encoded_body === undefined);
    assert.ok(plain.length > 0, 'ordinary bodies have no encoded_body');
  });

  it('can drop the namespace and write ISO event timestamps, like the reference mock', async () => {
    sim.settings.namespace = false;
    sim.settings.timestampFormat = 'iso';
    try {
      const t = await token(sim.url);
      const mock = (await report(sim.url, t, { generate_report: 'AccessSession', start_time: START_SEC - 3600, duration: 0 })).text;
      assert.ok(wellFormed(mock));
      assert.match(mock, /<session_list>\n/);
      assert.doesNotMatch(mock, /xmlns/);
      const events = sessionsOf(mock).flatMap((s) => s.session_details.event);
      assert.ok(events.length > 0);
      for (const e of events) assert.match(e['@timestamp'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    } finally {
      sim.settings.namespace = true;
      sim.settings.timestampFormat = 'unix';
    }
  });
});
