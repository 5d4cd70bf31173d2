import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { PipelineError } from '@pra-pipeline/shared';
import { sessionsToRecords, xmlToRecords } from '../../src/stage-a.js';
import { testdata } from '../testdata.js';

const NS = 'http://www.beyondtrust.com/sra/namespaces/API/reporting';

const SESSION = `<session lsid="abc">
  <session_type>support</session_type><lseq>7</lseq>
  <start_time timestamp="1712235600">2024-04-04T13:00:00+00:00</start_time>
  <file_transfer_count>2</file_transfer_count><file_delete_count>x</file_delete_count>
  <customer_list>
    <customer gsnumber="C1"><username>endpoint</username><public_ip>81.2.69.142:61606</public_ip></customer>
    <customer gsnumber="C2"><username>second</username></customer>
  </customer_list>
  <rep_list><representative gsnumber="R1" id="9"><username>rep</username><invited>1</invited><seconds_involved>12</seconds_involved></representative></rep_list>
  <session_details>
    <event timestamp="1712235601" event_type="Session Start"><performed_by gsnumber="R1" type="representative">Rep Name</performed_by><destination gsnumber="0" type="system"/></event>
    <event timestamp="1712235602" event_type="File Upload"><performed_by gsnumber="C2" type="customer"/><filesize>1024</filesize><files><file><filename>a</filename><filesize>5</filesize></file></files></event>
    <event timestamp="1712235603" event_type="Chat Message"><performed_by gsnumber="X" type="customer"/><destination gsnumber="R1" type="representative"/><data><value name="k" value="v"/></data></event>
  </session_details>
</session>`;

describe('stage A', () => {
  it('gives the record the reference sample describes, from the single-session report', () => {
    const records = xmlToRecords(readFileSync(testdata('pra/report-single-session.xml')));
    const sample = JSON.parse(readFileSync(testdata('elastic-conformance/seed-sample-event.json'), 'utf8')) as { event: { original: string } };
    const { filesize, ...expected } = JSON.parse(sample.event.original) as Record<string, unknown>;
    assert.equal(filesize, 1024); // the sample's top-level filesize is not in the report
    assert.equal(records.length, 1);
    assert.deepEqual(records[0], expected);
  });

  it('builds one record per event with session, merged participants and numbers', () => {
    const [session] = sessionsToRecords(SESSION);
    assert.ok(session);
    assert.equal(session.lsid, 'abc');
    assert.equal(session.lseq, '7');
    const [first, second, third] = session.records;
    assert.equal(session.records.length, 3);
    assert.deepEqual(first?.performed_by, {
      '#text': 'Rep Name', gsnumber: 'R1', type: 'representative', id: '9', username: 'rep', invited: 1, seconds_involved: 12,
    });
    // destination without a match: the first customer is merged in.
    assert.deepEqual(first?.destination, { gsnumber: 'C1', type: 'system', username: 'endpoint', public_ip: '81.2.69.142:61606' });
    assert.deepEqual(second?.performed_by, { gsnumber: 'C2', type: 'customer', username: 'second' });
    assert.equal(second?.filesize, 1024);
    assert.deepEqual(second?.files, { file: [{ filename: 'a', filesize: '5' }] });
    // performed_by without a match: its attributes alone.
    assert.deepEqual(third?.performed_by, { gsnumber: 'X', type: 'customer' });
    assert.equal((third?.destination as Record<string, unknown>).username, 'rep');
    assert.deepEqual(third?.data, { value: [{ name: 'k', value: 'v' }] });
    const s = first?.session as Record<string, unknown>;
    assert.equal(s.lsid, 'abc');
    assert.equal(s.file_transfer_count, 2);
    assert.equal(s.file_delete_count, 'x');
    assert.deepEqual(s.start_time, { '#text': '2024-04-04T13:00:00+00:00', timestamp: '1712235600' });
    for (const excluded of ['customer_list', 'rep_list', 'session_details']) assert.equal(excluded in s, false);
  });

  it('reads namespaced and prefixed XML the same as plain XML', () => {
    const plain = xmlToRecords(`<session_list>${SESSION}</session_list>`);
    const defaultNs = xmlToRecords(`<session_list xmlns="${NS}">${SESSION}</session_list>`);
    const prefixed = xmlToRecords(
      `<ns:session_list xmlns:ns="${NS}">${SESSION.replace(/<(\/?)([a-z_]+)/g, '<$1ns:$2')}</ns:session_list>`,
    );
    assert.deepEqual(defaultNs, plain);
    assert.deepEqual(prefixed, plain);
    assert.equal(plain.length, 3);
  });

  it('keeps encoded_body as given', () => {
    const xml = SESSION.replace('<data>', '<encoded_body>SGVsbG8gAQ==</encoded_body><data>');
    assert.equal(xmlToRecords(xml)[2]?.encoded_body, 'SGVsbG8gAQ==');
  });

  it('reads every session of a report, and an empty report as none', () => {
    const two = xmlToRecords(`<session_list>${SESSION}${SESSION.replace('lsid="abc"', 'lsid="def"')}</session_list>`);
    assert.deepEqual(two.map((r) => (r.session as { lsid: string }).lsid), ['abc', 'abc', 'abc', 'def', 'def', 'def']);
    assert.deepEqual(xmlToRecords('<session_list></session_list>'), []);
  });

  it('throws PIPE_SESSION_EMPTY for a session without events', () => {
    for (const xml of ['<session lsid="e"><lseq>1</lseq></session>', '<session lsid="e"><session_details/></session>']) {
      assert.throws(() => xmlToRecords(xml), (err: unknown) => err instanceof PipelineError && err.code === 'PIPE_SESSION_EMPTY' && /e has no events/.test(err.message));
    }
  });
});
