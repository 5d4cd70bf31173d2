import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@elastic/elasticsearch';
import { createLogger } from '@pra-pipeline/shared';
import { installIndexSetupWithRetry } from '../../src/index-setup.js';

const logger = createLogger({ service: 'sink', level: 'silent' });
const options = { sinkSetupIndex: true, indexTemplateName: 'logs-beyondtrust_pra.access_session', ilmPolicy: 'pra', indexTemplatePriority: 150 } as never;

/** A client whose every request fails while `down()` says so, and answers `{}` otherwise. */
function fakeClient(down: () => boolean): { client: Client; calls: () => number } {
  let calls = 0;
  const request = async () => {
    calls++;
    if (down()) throw new Error('connect ECONNREFUSED 127.0.0.1:9200');
    return {};
  };
  return { client: { transport: { request } } as unknown as Client, calls: () => calls };
}

describe('installIndexSetupWithRetry', () => {
  it('installs nothing with SINK_SETUP_INDEX off', async () => {
    const { client, calls } = fakeClient(() => true);
    const result = await installIndexSetupWithRetry(client, { ...(options as object), sinkSetupIndex: false } as never, logger, { stopping: () => false });
    assert.deepEqual(result, { template: 'logs-beyondtrust_pra.access_session', ilmPolicy: undefined });
    assert.equal(calls(), 0);
  });

  it('tries again after a failure, reports each failure, and returns the setup once Elasticsearch answers', async () => {
    let failures = 0;
    const { client } = fakeClient(() => failures < 1);
    const result = await installIndexSetupWithRetry(client, options, logger, { stopping: () => false, onFailure: () => failures++ });
    assert.equal(failures, 1);
    assert.equal(result?.template, 'logs-beyondtrust_pra.access_session');
  });

  it('stops trying once stopping, rejecting with the last failure', async () => {
    let failures = 0;
    const { client } = fakeClient(() => true);
    await assert.rejects(
      installIndexSetupWithRetry(client, options, logger, { stopping: () => failures >= 2, onFailure: () => failures++ }),
      /ECONNREFUSED/,
    );
    assert.equal(failures, 2);
  });

  it('makes no attempt when already stopping', async () => {
    const { client, calls } = fakeClient(() => true);
    assert.equal(await installIndexSetupWithRetry(client, options, logger, { stopping: () => true }), undefined);
    assert.equal(calls(), 0);
  });
});
