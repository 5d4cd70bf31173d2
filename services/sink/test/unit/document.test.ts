import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PipelineError } from '@pra-pipeline/shared';
import { bulkBody, createOperation, dataStreamName, singleLine } from '../../src/bulk-body.js';
import { parseValue, toSinkDocument } from '../../src/document.js';

const doc = {
  '@timestamp': '2026-01-01T00:00:00.000Z',
  event: { id: 'abc', created: '2026-01-01T00:00:05.000Z' },
  data_stream: { type: 'logs', dataset: 'beyondtrust_pra.access_session', namespace: 'prod' },
  message: 'line one\nline two',
};

test('a document becomes a create operation into its namespace\'s data stream with _id = event.id', () => {
  const raw = Buffer.from(JSON.stringify(doc));
  const d = toSinkDocument(doc, raw);
  assert.equal(d.id, 'abc');
  assert.equal(d.index, 'logs-beyondtrust_pra.access_session-prod');
  assert.equal(d.createdMs, Date.parse('2026-01-01T00:00:05.000Z'));
  const lines = d.operation.toString('utf8').split('\n');
  assert.equal(lines.length, 3);
  assert.deepEqual(JSON.parse(lines[0] as string), { create: { _index: 'logs-beyondtrust_pra.access_session-prod', _id: 'abc' } });
  assert.deepEqual(JSON.parse(lines[1] as string), doc);
  assert.equal(lines[2], '');
});

test('pretty-printed JSON is put on one line; single-line JSON is reused as is', () => {
  const pretty = Buffer.from(JSON.stringify(doc, null, 2));
  assert.equal(singleLine(pretty, doc).indexOf(0x0a), -1);
  const compact = Buffer.from(JSON.stringify(doc));
  assert.equal(singleLine(compact, doc), compact);
});

test('dotted keys are accepted', () => {
  const d = toSinkDocument({ 'event.id': 'x1', 'data_stream.namespace': 'default' }, undefined);
  assert.equal(d.id, 'x1');
  assert.equal(d.index, 'logs-beyondtrust_pra.access_session-default');
  assert.equal(d.createdMs, undefined);
});

test('documents without an id or with a bad namespace are invalid records', () => {
  for (const bad of [
    { data_stream: { namespace: 'prod' } },
    { event: { id: 7 }, data_stream: { namespace: 'prod' } },
    { event: { id: 'a' } },
    { event: { id: 'a' }, data_stream: { namespace: 'Prod' } },
    { event: { id: 'a' }, data_stream: { namespace: 'a-b' } },
    [1, 2],
    'text',
  ]) {
    assert.throws(() => toSinkDocument(bad, undefined), (err: unknown) => err instanceof PipelineError && err.code === 'PIPE_RECORD_INVALID');
  }
});

test('data stream names follow Elasticsearch\'s namespace rules', () => {
  assert.equal(dataStreamName('team_a.eu'), 'logs-beyondtrust_pra.access_session-team_a.eu');
  for (const bad of ['', 'A', 'a b', 'a:b', 'a#b', 'a*', 'x'.repeat(101)]) assert.throws(() => dataStreamName(bad));
});

test('plain JSON needs no registry; wire format goes through the decoder', async () => {
  const json = Buffer.from(JSON.stringify(doc));
  assert.deepEqual((await parseValue(json, undefined)).document, doc);
  const wire = Buffer.concat([Buffer.from([0, 0, 0, 0, 9]), json]);
  let seen: Buffer | undefined;
  const parsed = await parseValue(wire, async (value) => {
    seen = value;
    return doc;
  });
  assert.equal(seen, wire);
  assert.deepEqual(parsed.document, doc);
  assert.deepEqual(parsed.raw, json);
});

test('undecodable values are permanent; registry outages are retryable', async () => {
  const code = async (value: Buffer, decode?: (v: Buffer) => Promise<unknown>) => {
    try {
      await parseValue(value, decode);
      return 'ok';
    } catch (err) {
      return `${(err as PipelineError).code}:${(err as PipelineError).retryable}`;
    }
  };
  assert.equal(await code(Buffer.from('{nope')), 'PIPE_RECORD_INVALID:false');
  assert.equal(await code(Buffer.from('hello')), 'PIPE_RECORD_INVALID:false');
  assert.equal(await code(Buffer.alloc(0)), 'PIPE_RECORD_INVALID:false');
  const wire = Buffer.from([0, 0, 0, 0, 1, 0x7b, 0x7d]);
  assert.equal(await code(wire), 'PIPE_RECORD_INVALID:false');
  assert.equal(await code(wire, async () => { throw new Error('connect ECONNREFUSED'); }), 'PIPE_REGISTRY:true');
  assert.equal(await code(wire, async () => { throw new SyntaxError('Unexpected token'); }), 'PIPE_RECORD_INVALID:false');
});

test('the bulk body is the operations back to back', () => {
  const a = createOperation('i', '1', Buffer.from('{"a":1}'));
  const b = createOperation('i', '2', Buffer.from('{"b":2}'));
  assert.equal(bulkBody([{ operation: a }, { operation: b }]).toString(), `${a.toString()}${b.toString()}`);
  assert.equal(bulkBody([{ operation: a }, { operation: b }]).toString().split('\n').length, 5);
});

test('a schema not found is PIPE_SCHEMA_UNKNOWN (retried a bounded number of times by the stage); plain JSON is refused where the wire format is required', async () => {
  const wire = Buffer.concat([Buffer.from([0, 0, 0, 0, 9]), Buffer.from(JSON.stringify(doc))]);
  const notFound = Object.assign(new Error('Schema 9 not found'), { status: 404 });
  await assert.rejects(parseValue(wire, async () => Promise.reject(notFound)), (err: unknown) => err instanceof PipelineError && err.code === 'PIPE_SCHEMA_UNKNOWN' && err.retryable);
  const checked: number[] = [];
  await parseValue(wire, async () => doc, { checkSchema: async (id) => void checked.push(id) });
  assert.deepEqual(checked, [9]);
  await assert.rejects(
    parseValue(Buffer.from(JSON.stringify(doc)), undefined, { requireWireFormat: true }),
    (err: unknown) => err instanceof PipelineError && err.code === 'PIPE_RECORD_UNTRUSTED' && /plain JSON/.test(err.message),
  );
});

test('with SINK_SITE_NAMESPACES the data stream is the one of the key\'s site, and a document that disagrees is untrusted', () => {
  const siteNamespaces = new Map([['site-a', 'prod'], ['site-b', 'other']]);
  assert.equal(toSinkDocument(doc, undefined, { key: 'site-a/1', siteNamespaces }).index, 'logs-beyondtrust_pra.access_session-prod');
  const untrusted: [unknown, Parameters<typeof toSinkDocument>[2], RegExp][] = [
    [doc, { key: 'site-b/1', siteNamespaces }, /is not "other", the namespace configured for site "site-b"/],
    [doc, { key: 'site-c/1', siteNamespaces }, /Site "site-c" has no namespace/],
    [doc, { key: 'no-slash', siteNamespaces }, /not <site>\/<lsid>/],
    [doc, { key: null, siteNamespaces }, /not <site>\/<lsid>/],
    [doc, { key: 'site-a/1', siteHeader: 'site-b', siteNamespaces }, /pra.site header/],
    [{ ...doc, data_stream: { ...doc.data_stream, type: 'metrics' } }, { key: 'site-a/1', siteNamespaces }, /data_stream.type "metrics"/],
    [{ ...doc, data_stream: { ...doc.data_stream, dataset: 'other.dataset' } }, { key: 'site-a/1' }, /data_stream.dataset "other.dataset"/],
  ];
  for (const [document, tenancy, reason] of untrusted) {
    assert.throws(() => toSinkDocument(document, undefined, tenancy), (err: unknown) => err instanceof PipelineError && err.code === 'PIPE_RECORD_UNTRUSTED' && reason.test(err.message), String(reason));
  }
  // Unset, the document's namespace is taken when it is valid, and ".." is not.
  assert.equal(toSinkDocument(doc, undefined, { key: 'site-b/1' }).index, 'logs-beyondtrust_pra.access_session-prod');
  assert.throws(() => toSinkDocument({ ...doc, data_stream: { namespace: '..' } }, undefined), /not a name/);
});
