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
    assert.match(empty.stderr, /PIPE_SESSION_EMPTY/);
    const missing = cli([testdata('no-such-file.xml')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read/);
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
  });
});
