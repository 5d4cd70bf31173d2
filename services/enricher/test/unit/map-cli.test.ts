import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { main } from '../../../../src/cli.js';
import { REPO_ROOT, testdata } from '../testdata.js';
import { withoutOurs } from '../conformance.js';

function cli(args: string[], input?: string) {
  const result = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/bin.ts', 'map', ...args], {
    cwd: REPO_ROOT, input, encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('pra-pipeline map', () => {
  it('maps the conformance records as the reference does (child process)', () => {
    const { code, stdout, stderr } = cli([
      '--records', testdata('elastic-conformance/pipeline-input.ndjson'),
      '--preserve-duplicate-custom-fields', '--preserve-original-event', '--geoip-dir', testdata('geoip'),
      '--site', 'pra.example.com', '--fetched-at', '2024-01-01T14:00:00Z',
    ]);
    assert.equal(code, 0, stderr);
    const { expected } = JSON.parse(readFileSync(testdata('elastic-conformance/pipeline-expected.json'), 'utf8')) as { expected: Record<string, unknown>[] };
    const lines = stdout.trimEnd().split('\n');
    assert.equal(lines.length, expected.length);
    lines.forEach((line, i) => {
      const reference = expected[i] as { tags: string[] };
      const { rest, ours } = withoutOurs(JSON.parse(line) as Record<string, unknown>, reference.tags);
      assert.deepEqual(rest, reference);
      assert.equal(ours.hostname, 'pra.example.com');
      assert.equal(ours.created, '2024-01-01T14:00:00.000Z');
    });
  });

  it('maps an XML report from stdin, with site options', () => {
    const xml = readFileSync(testdata('pra/report-single-session.xml'), 'utf8');
    const { code, stdout } = cli(['-', '--namespace', 'prod', '--tags', 'a,b', '--fetched-at', '2024-04-05T00:00:00Z'], xml);
    assert.equal(code, 0);
    const [doc, extra] = stdout.trimEnd().split('\n');
    assert.equal(extra, undefined);
    const parsed = JSON.parse(doc ?? '{}') as Record<string, Record<string, unknown>>;
    assert.equal(parsed['@timestamp'], '2024-04-04T13:30:00.000Z');
    assert.equal(parsed.data_stream?.namespace, 'prod');
    assert.deepEqual(parsed.tags, ['a', 'b']);
    assert.equal(parsed.event?.original, undefined);
    assert.equal(parsed.source?.ip, '175.16.199.0');
    assert.equal(parsed.source?.geo, undefined);
  });

  it('says where the input is invalid, exit 1', async () => {
    const ndjson = cli(['--records', '-'], '{"a":1}\n\n{"b":\n');
    assert.equal(ndjson.code, 1);
    assert.match(ndjson.stderr, /Line 3 is not valid JSON/);
    const xml = cli(['-'], '<session>\n<lseq>1</lseq>\n<oops></session>');
    assert.equal(xml.code, 1);
    assert.match(xml.stderr, /line 3, column \d+.*PIPE_XML_MALFORMED/);
    const empty = cli(['-'], '<session lsid="e"/>');
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /session 1 \(lsid "e"\).*PIPE_SESSION_EMPTY/);
    assert.equal(empty.stdout, '');
    const missing = cli([testdata('no-such-file.xml')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read/);
  });

  it('maps the other sessions of a report when one has no events, reports it and exits 1 (issue 13)', () => {
    const session = (lsid: string, events: number) => `<session lsid="${lsid}"><lseq>1</lseq><session_details>${
      Array.from({ length: events }, (_, i) => `<event timestamp="${1712235600 + i}" event_type="Session Start"/>`).join('')}</session_details></session>`;
    const fetched = ['--fetched-at', '2024-04-05T00:00:00Z'];
    const report = `<session_list>${session('a', 1)}${session('empty', 0)}${session('c', 2)}</session_list>`;
    const { code, stdout, stderr } = cli(['-', ...fetched], report);
    assert.equal(code, 1);
    assert.match(stderr, /^pra-pipeline map: stdin: session 2 \(lsid "empty"\): Session empty has no events \[PIPE_SESSION_EMPTY\]$/m);
    assert.equal(stderr.trim().split('\n').length, 1);
    // The same documents as for a report of the two valid sessions alone.
    const valid = cli(['-', ...fetched], `<session_list>${session('a', 1)}${session('c', 2)}</session_list>`);
    assert.equal(valid.code, 0, valid.stderr);
    assert.equal(stdout, valid.stdout);
    assert.equal(stdout.trimEnd().split('\n').length, 3);
  });

  it('maps only the events at positions N and later with --published-before N, documents unchanged', () => {
    const events = ['Session Start', 'File Upload', 'Session End'].map((t, i) => `<event timestamp="${1712235600 + i}" event_type="${t}"/>`).join('');
    const xml = `<session lsid="p"><lseq>1</lseq><session_details>${events}</session_details></session>`;
    const fetched = ['--fetched-at', '2024-04-05T00:00:00Z'];
    const all = cli(['-', ...fetched], xml);
    assert.equal(all.code, 0, all.stderr);
    const lines = all.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    const fromTwo = cli(['-', ...fetched, '--published-before', '2'], xml);
    assert.equal(fromTwo.code, 0, fromTwo.stderr);
    assert.deepEqual(fromTwo.stdout.trimEnd().split('\n'), lines.slice(2));
    assert.equal((JSON.parse(lines[2] ?? '{}') as { event: { action: string } }).event.action, 'session-end');
    const zero = cli(['-', ...fetched, '--published-before=0'], xml);
    assert.equal(zero.stdout, all.stdout);
    const beyond = cli(['-', ...fetched, '--published-before', '3'], xml);
    assert.deepEqual([beyond.code, beyond.stdout], [0, '']);
    // Records too: the same record twice is one session's positions 0 and 1.
    const record = readFileSync(testdata('elastic-conformance/pipeline-input.ndjson'), 'utf8').trim();
    const twice = `${record}\n${record}\n`;
    const both = cli(['--records', '-', ...fetched], twice).stdout.trimEnd().split('\n');
    assert.equal(both.length, 2);
    assert.notEqual(both[0], both[1]); // other position, other event.id
    const second = cli(['--records', '-', ...fetched, '--published-before', '1'], twice);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(second.stdout.trimEnd().split('\n'), [both[1]]);
  });

  it('refuses a --published-before that is not a non-negative integer, exit 2', async () => {
    const errors: string[] = [];
    const { error } = console;
    console.error = (...a: unknown[]) => errors.push(a.join(' '));
    try {
      for (const bad of ['-1', 'x', '1.5', '', '1e3']) {
        assert.equal(await main(['map', `--published-before=${bad}`, 'a']), 2, bad);
        assert.match(errors.at(-1) ?? '', new RegExp(`^--published-before: "${bad.replace('.', '\\.')}" is not a non-negative integer`), bad);
      }
    } finally {
      console.error = error;
    }
  });

  it('exits 2 on bad usage and prints help', async () => {
    const errors: string[] = [];
    const logs: string[] = [];
    const { error, log } = console;
    console.error = (...a: unknown[]) => errors.push(a.join(' '));
    console.log = (...a: unknown[]) => logs.push(a.join(' '));
    try {
      assert.equal(await main(['map', '--bogus', 'x']), 2);
      assert.equal(await main(['map']), 2);
      assert.equal(await main(['map', 'a', 'b']), 2);
      assert.equal(await main(['map', '--fetched-at', 'soon', 'a']), 2);
      assert.equal(await main(['map', '--help']), 0);
    } finally {
      console.error = error;
      console.log = log;
    }
    assert.match(errors[0] ?? '', /Unknown option '--bogus'/);
    assert.match(errors[1] ?? '', /exactly one FILE/);
    assert.match(errors[3] ?? '', /--fetched-at/);
    assert.match(logs[0] ?? '', /Usage: pra-pipeline map/);
    assert.match(logs[0] ?? '', /--published-before N +map only the events at positions N and later/);
    assert.match(logs[0] ?? '', /pra\.events\.published-before/);
  });
});
