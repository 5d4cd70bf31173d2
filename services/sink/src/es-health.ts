/**
 * Whether Elasticsearch answers, as the `_bulk` requests see it: the state
 * behind /readyz and the `pra_sink_elasticsearch_up` gauge. A failed request
 * marks it down (logged once, at the first failure of an outage); the next
 * request that gets an answer marks it up. The count of failures in a row sets
 * the backoff of the next retry, so that a long outage is probed ever more
 * slowly and a short one is left quickly.
 */
import type { Logger } from '@pra-pipeline/shared';

export interface HealthGauge {
  set(value: number): void;
}

export interface HealthStatus {
  ok: boolean;
  detail: string;
}

export class ElasticsearchHealth {
  readonly #gauge: HealthGauge;
  readonly #logger: Logger;
  readonly #now: () => number;
  #failures = 0;
  #failingSince: number | undefined;
  #lastFailure = '';

  constructor(options: { gauge: HealthGauge; logger: Logger; now?: () => number }) {
    this.#gauge = options.gauge;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    // Up until a request says otherwise: a sink that has sent nothing yet is not waiting.
    this.#gauge.set(1);
  }

  /** Requests failed in a row since the last answer; 0 while Elasticsearch answers. */
  get failures(): number {
    return this.#failures;
  }

  get up(): boolean {
    return this.#failingSince === undefined;
  }

  /** The last thing that went wrong, for logs and /readyz. */
  get lastFailure(): string {
    return this.#lastFailure;
  }

  /**
   * A request failed as a whole; returns the failures in a row, for the backoff.
   * `context` goes into the log line that opens an outage.
   */
  requestFailed(description: string, context: Record<string, unknown>): number {
    this.#failures++;
    this.#lastFailure = description.slice(0, 300);
    if (this.#failingSince === undefined) {
      this.#failingSince = this.#now();
      this.#gauge.set(0);
      this.#logger.warn(context, 'Elasticsearch request failed; holding the documents and consumption until it answers.');
    }
    return this.#failures;
  }

  /** Some documents of an answered request must go again; Elasticsearch itself is up. */
  itemsRetried(description: string): void {
    this.#lastFailure = description.slice(0, 300);
  }

  /** A request got an answer (whatever its items say). */
  requestAnswered(): void {
    this.#failures = 0;
    if (this.#failingSince === undefined) return;
    this.#logger.info({ downSeconds: Math.round((this.#now() - this.#failingSince) / 1000) }, 'Elasticsearch answers again.');
    this.#failingSince = undefined;
    this.#gauge.set(1);
  }

  /** For /readyz; `documentsHeld` is what waits in memory meanwhile. */
  status(documentsHeld: number): HealthStatus {
    if (this.#failingSince === undefined) return { ok: true, detail: 'bulk requests succeed' };
    const seconds = Math.round((this.#now() - this.#failingSince) / 1000);
    return { ok: false, detail: `waiting for Elasticsearch for ${seconds}s (${documentsHeld} documents held): ${this.#lastFailure}` };
  }
}
