/**
 * One prom-client registry per process, with default process metrics. Names
 * follow Prometheus conventions, checked here so a bad name fails at start:
 * `pra_` prefix, counters end in `_total`, histograms are in seconds or bytes,
 * and no label may carry ids, URLs or free text.
 */
import client from 'prom-client';

export type { Counter, Gauge, Histogram, Registry } from 'prom-client';

const FORBIDDEN_LABELS = /^(id|.*_id|lsid|url|uri|path|message|reason_text|key|token)$/;

function checkName(name: string, kind: 'counter' | 'gauge' | 'histogram'): void {
  if (!/^pra_[a-z0-9_]+$/.test(name)) throw new Error(`Metric ${name} must be snake_case with the pra_ prefix`);
  if (kind === 'counter' && !name.endsWith('_total')) throw new Error(`Counter ${name} must end in _total`);
  if (kind !== 'counter' && name.endsWith('_total')) throw new Error(`Only counters end in _total: ${name}`);
  if (kind === 'histogram' && !/_(seconds|bytes|ratio|events|documents)$/.test(name)) {
    throw new Error(`Histogram ${name} must be in base units (_seconds, _bytes)`);
  }
}

function checkLabels(name: string, labels: readonly string[] = []): void {
  for (const label of labels) {
    if (FORBIDDEN_LABELS.test(label)) throw new Error(`Metric ${name}: label ${label} would carry unbounded values`);
  }
}

type Kind = 'counter' | 'gauge' | 'histogram';

export class Metrics {
  readonly registry: client.Registry;
  /** What each name was registered as, so a second registration can be held to the same shape. */
  readonly #shapes = new Map<string, string>();

  constructor(options: { defaultMetrics?: boolean; labels?: Record<string, string> } = {}) {
    this.registry = new client.Registry();
    if (options.labels) this.registry.setDefaultLabels(options.labels);
    if (options.defaultMetrics ?? true) client.collectDefaultMetrics({ register: this.registry });
  }

  counter<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): client.Counter<L> {
    checkName(name, 'counter');
    checkLabels(name, labelNames);
    return this.#getOr(name, 'counter', labelNames, undefined, () => new client.Counter({ name, help, labelNames, registers: [this.registry] }));
  }

  gauge<L extends string = string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    collect?: (this: client.Gauge<L>) => void | Promise<void>,
  ): client.Gauge<L> {
    checkName(name, 'gauge');
    checkLabels(name, labelNames);
    return this.#getOr(
      name,
      'gauge',
      labelNames,
      undefined,
      () => new client.Gauge({ name, help, labelNames, registers: [this.registry], ...(collect ? { collect } : {}) }),
    );
  }

  histogram<L extends string = string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    buckets?: number[],
  ): client.Histogram<L> {
    checkName(name, 'histogram');
    checkLabels(name, labelNames);
    return this.#getOr(
      name,
      'histogram',
      labelNames,
      buckets,
      () => new client.Histogram({ name, help, labelNames, registers: [this.registry], ...(buckets ? { buckets } : {}) }),
    );
  }

  /** The text exposition format, for /metrics. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The all-in-one process wires several stages to one registry, so the same
   * definition may be registered twice and is then shared. A second
   * registration under the name with another kind, labels or buckets is a bug
   * (two meanings for one series) and throws.
   */
  #getOr<M extends client.Metric>(name: string, kind: Kind, labelNames: readonly string[], buckets: readonly number[] | undefined, create: () => M): M {
    const shape = JSON.stringify([kind, [...labelNames].sort(), buckets ?? null]);
    const known = this.#shapes.get(name);
    if (known !== undefined) {
      if (known !== shape) throw new Error(`Metric ${name} is already registered as ${known}, not as ${shape}`);
      return this.registry.getSingleMetric(name) as M;
    }
    const metric = create();
    this.#shapes.set(name, shape);
    return metric;
  }
}

/** Buckets for durations from 1 ms to about 2 minutes. */
export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Buckets for payload sizes from 1 KiB to 64 MiB. */
export const BYTE_BUCKETS = [1024, 8192, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
