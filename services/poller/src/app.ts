/**
 * Builds the poller from its configuration: a PRA client and a site poller per
 * site, over one publisher. No side effects until `start()`. The all-in-one
 * mode builds it with its own publisher (see Publisher).
 */
import { createKafka, PipelineError, type DependencyStatus, type Logger, type Metrics, type ReadinessCheck, type Service } from '@pra-pipeline/shared';
import type { Dispatcher } from 'undici';
import type { PollerConfig } from './config.js';
import { KafkaPublisher } from './kafka-publisher.js';
import { PraClient } from './pra-client.js';
import type { Publisher } from './publisher.js';
import { SitePoller } from './site-poller.js';
import type { SiteConfig } from './sites.js';
import { createPollerMetrics, type PollerMetrics } from './telemetry.js';

export interface PollerAppDeps {
  config: PollerConfig;
  logger: Logger;
  metrics: Metrics;
  /** Default: the Kafka publisher built from the configuration. */
  publisher?: Publisher;
  /** ms since the epoch. */
  now?: () => number;
  /** Replaces the HTTP dispatcher of a site (tests). */
  dispatcherFor?: (site: SiteConfig) => Dispatcher | undefined;
}

type SiteState = 'starting' | 'running' | 'fenced' | 'stopped';

export class PollerApp implements Service {
  readonly config: PollerConfig;
  readonly publisher: Publisher;
  readonly metrics: PollerMetrics;
  readonly #deps: PollerAppDeps;
  readonly #clients = new Map<string, PraClient>();
  readonly #pollers = new Map<string, SitePoller>();
  readonly #state = new Map<string, SiteState>();
  readonly #abort = new AbortController();
  #loops: Promise<void>[] = [];

  constructor(deps: PollerAppDeps) {
    this.#deps = deps;
    this.config = deps.config;
    this.metrics = createPollerMetrics(deps.metrics);
    this.publisher = deps.publisher ?? PollerApp.kafkaPublisher(deps.config, deps.logger, this.metrics);
    for (const site of deps.config.sites) this.#state.set(site.name, 'starting');
  }

  static kafkaPublisher(config: PollerConfig, logger: Logger, metrics: PollerMetrics): KafkaPublisher {
    const env = config.env;
    return new KafkaPublisher({
      kafka: createKafka(env, logger),
      logger,
      rawTopic: env.pollerRawTopic,
      stateTopic: env.pollerStateTopic,
      dlqTopic: env.kafkaDlqTopic,
      transactionalIdPrefix: env.pollerTransactionalIdPrefix,
      transactionTimeoutMs: env.pollerTransactionTimeout,
      compression: env.pollerCompression,
      createTopics: env.kafkaCreateTopics,
      partitions: env.kafkaTopicPartitions,
      replicationFactor: env.kafkaReplicationFactor,
      rawTopicMaxMessageBytes: env.pollerRawTopicMaxMessageBytes,
      dlqMaxMessageBytes: env.kafkaDlqMaxMessageBytes,
      signingKey: env.pipelineSigningKey,
      onTransaction: (site, outcome) => metrics.transactions.inc({ site, outcome }),
    });
  }

  /** Takes over the sites, reads their cursors, and starts polling. */
  async start(): Promise<void> {
    const { config, logger } = this.#deps;
    const names = config.sites.map((s) => s.name);
    const cursors = await this.publisher.start(names);
    const env = config.env;
    for (const site of config.sites) {
      const client = new PraClient(site, { metrics: this.metrics, logger, ...(this.#deps.now ? { now: this.#deps.now } : {}) }, this.#deps.dispatcherFor?.(site));
      this.#clients.set(site.name, client);
      const cursor = cursors.get(site.name);
      logger.info(
        { site: site.name, host: site.host, cursor: cursor ? new Date(cursor.start * 1000).toISOString() : undefined, openSessions: cursor ? Object.keys(cursor.open).length : 0 },
        cursor ? 'Resuming site from its cursor.' : 'Starting site from its initial interval.',
      );
      this.#pollers.set(
        site.name,
        new SitePoller(
          {
            site,
            source: client,
            publisher: this.publisher,
            metrics: this.metrics,
            logger,
            options: {
              batchMaxBytes: env.pollerBatchMaxBytes,
              maxSessionBytes: env.pollerMaxSessionBytes,
              maxXmlDepth: env.pollerMaxXmlDepth,
              seenClosedMax: env.pollerSeenClosedMax,
              retry: { attempts: env.pollerRetryAttempts, baseMs: env.pollerRetryBase, maxMs: env.pollerRetryMax },
            },
            ...(this.#deps.now ? { now: this.#deps.now } : {}),
          },
          cursor,
        ),
      );
    }
    this.#loops = [...this.#pollers.values()].map((p) => this.#runSite(p));
  }

  async #runSite(poller: SitePoller): Promise<void> {
    const name = poller.site.name;
    const log = this.#deps.logger.child({ site: name });
    this.#state.set(name, 'running');
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        await poller.run(signal);
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof PipelineError && err.code === 'PIPE_KAFKA_FENCED') {
          this.#state.set(name, 'fenced');
          log.error({ err }, 'Another poller took over this site; this one stops polling it.');
          return;
        }
        log.error({ err }, 'The site poller failed; restarting it after the interval.');
        await new Promise((resolve) => setTimeout(resolve, poller.site.intervalMs).unref());
      }
    }
    this.#state.set(name, 'stopped');
  }

  siteState(site: string): SiteState | undefined {
    return this.#state.get(site);
  }

  sitePoller(site: string): SitePoller | undefined {
    return this.#pollers.get(site);
  }

  /** False once a site was taken over by another poller: only a restart helps. */
  live(): boolean {
    return ![...this.#state.values()].includes('fenced');
  }

  /**
   * Per site: its publisher can write, the last report arrived whole with accepted credentials, and
   * its cycles are not stuck on a request that keeps failing (the reason says which, since when).
   */
  get readiness(): Record<string, ReadinessCheck> {
    const checks: Record<string, ReadinessCheck> = {};
    for (const site of this.config.sites) {
      checks[`site:${site.name}`] = (): DependencyStatus => {
        const publisher = this.publisher.healthy(site.name);
        if (!publisher.ok) return { ok: false, detail: publisher.detail };
        const client = this.#clients.get(site.name);
        if (!client) return { ok: false, detail: 'starting' };
        const stuck = this.#pollers.get(site.name)?.stuck;
        const health = client.health.ok ? '' : `${client.health.detail}; `;
        if (stuck) return { ok: false, detail: `${health}stuck for ${stuck.cycles} cycle(s) since ${new Date(stuck.since).toISOString()}: ${stuck.reason}` };
        return { ok: client.health.ok, detail: client.health.detail };
      };
    }
    return checks;
  }

  /**
   * Stops polling and closes everything. A unit in flight is aborted (its
   * cursor stays at the last commit, so it is fetched again after a restart):
   * nothing of it is lost, so there is no drain to wait for.
   */
  async stop(): Promise<void> {
    this.#abort.abort(new PipelineError('PIPE_SHUTDOWN_TIMEOUT', 'Stopping.', { retryable: false }));
    await Promise.allSettled(this.#loops);
    await Promise.allSettled([...this.#clients.values()].map((c) => c.close()));
    await this.publisher.close();
  }
}
