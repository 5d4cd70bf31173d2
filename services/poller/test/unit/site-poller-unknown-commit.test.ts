/**
 * A commit whose outcome the poller does not learn (the broker went away
 * during EndTxn, a timeout) may have committed all the same. Before the next
 * unit the poller asks the publisher for the committed cursor, so the retry
 * does not publish the same session version again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, Metrics, PipelineError } from '@pra-pipeline/shared';
import { loadPollerConfig } from '../../src/config.js';
import type { Cursor } from '../../src/cursor.js';
import { MemoryPublisher, type Publisher, type PublishUnit } from '../../src/publisher.js';
import { SitePoller } from '../../src/site-poller.js';
import { createPollerMetrics } from '../../src/telemetry.js';

const NOW = Date.parse('2024-06-01T12:00:00Z');
const START = NOW / 1000 - 600;

const report = (lsid: string, events: number) =>
  Buffer.from(
    `<session_list><session lsid="${lsid}"><start_time timestamp="${START}">x</start_time><session_details>` +
      Array.from({ length: events }, (_, i) => `<event timestamp="${START + i}" event_type="File Upload"><performed_by type="representative">r</performed_by></event>`).join('') +
      '</session_details></session></session_list>',
  );

/** Commits through the memory publisher, then reports the commit as failed: the outcome the poller cannot know. */
class LostAnswerPublisher implements Publisher {
  readonly inner = new MemoryPublisher();
  lost = 0;
  recovered = 0;
  loseNext = true;

  start(sites: readonly string[]) {
    return this.inner.start(sites);
  }

  async begin(site: string): Promise<PublishUnit> {
    const unit = await this.inner.begin(site);
    return {
      send: (records) => unit.send(records),
      abort: () => unit.abort(),
      commit: async (cursor) => {
        await unit.commit(cursor);
        if (this.loseNext && this.inner.records.length > 0) {
          this.loseNext = false;
          this.lost++;
          throw new PipelineError('PIPE_KAFKA_DELIVERY', 'The connection closed during EndTxn.');
        }
      },
    };
  }

  async recover(site: string): Promise<Cursor | undefined> {
    this.recovered++;
    return this.inner.recover(site);
  }

  healthy() {
    return this.inner.healthy();
  }

  close() {
    return this.inner.close();
  }
}

test('after a commit of unknown outcome the committed cursor is read again, and the session is not published twice', async () => {
  const config = loadPollerConfig({
    env: {
      KAFKA_BROKERS: '127.0.0.1:9',
      PRA_URL: 'https://pra.example.com',
      PRA_CLIENT_ID: 'id',
      PRA_CLIENT_SECRET: 'secret',
      PRA_INITIAL_INTERVAL: '20m',
      PRA_MAX_WINDOW: '1h',
    },
  });
  const publisher = new LostAnswerPublisher();
  const served: string[] = [];
  const poller = new SitePoller(
    {
      site: config.sites[0]!,
      source: {
        async report(query, onChunk) {
          served.push(query.kind);
          const body = query.kind === 'start_time' ? report('s1', 3) : Buffer.from('<session_list></session_list>');
          await onChunk(body);
          return body.length;
        },
      },
      publisher,
      metrics: createPollerMetrics(new Metrics({ defaultMetrics: false })),
      logger: createLogger({ service: 'test', level: 'silent' }),
      options: { batchMaxBytes: 1 << 20, maxSessionBytes: 1 << 20, seenClosedMax: 1000, retry: { attempts: 4, baseMs: 1, maxMs: 2 } },
      now: () => NOW,
    },
    undefined,
  );
  await poller.cycle();
  assert.equal(publisher.lost, 1, 'the first commit lost its answer');
  assert.equal(publisher.recovered, 1, 'the committed cursor was read again before the retry');
  assert.equal(served.filter((k) => k === 'start_time').length, 2, 'the window was fetched again');
  assert.deepEqual(publisher.inner.records.map((r) => r.key), ['pra.example.com/s1'], 'one record for the one session version');
  assert.ok('s1' in poller.cursor.open, 'the session is tracked as running');
});
