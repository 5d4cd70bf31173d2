/**
 * End to end: simulator -> poller -> Kafka -> enricher -> Kafka -> sink ->
 * Elasticsearch, each service its own process with default settings (GeoIP
 * on, schema registry on, fast polling). Two phases:
 *
 * 1. Backlog: the simulator starts with a history of sessions; the sustained
 *    rate is the slope of the data stream's searchable count between 10% and
 *    90% of that backlog.
 * 2. Live: sessions keep starting and growing on the simulator's wall clock;
 *    the data stream is searched every 500 ms (no forced refresh) and each new
 *    document's latency is the time it was first found minus its
 *    `event.created` (when the poller fetched it). The sink's
 *    pra_sink_event_delay_seconds histogram over the same phase is given too.
 *
 * RSS of every process is sampled from /proc every 500 ms.
 */
import { performance } from 'node:perf_hooks';
import { createKafka, createLogger } from '@pra-pipeline/shared';
import { DATA_STREAM_PREFIX } from '@pra-pipeline/sink';
import { testdataDir, uniqueName } from '../test/harness/env.js';
import { deleteSubject, deleteTopics, searchableCount } from './cleanup.js';
import { needStack, type BenchContext, type Benchmark } from './context.js';
import { freePort, sampleMemory, startService, sumMetric, type Service } from './processes.js';
import { figure, measured, resultOf, type BenchResult, type Figure, type Measured } from './results.js';
import { percentile, sleep, summarize, waitFor } from './stats.js';

/**
 * 30 sessions a minute of 5 minutes: about 150 running at once, each sent again on the raw
 * topic whenever it has new events, so the live phase shows what the stages do with a
 * session's earlier events.
 */
const SESSIONS_PER_MINUTE = 30;

const logger = createLogger({ service: 'bench', level: 'error' });

/** histogram_quantile over the increase of a Prometheus histogram's cumulative buckets. */
export function histogramQuantile(q: number, before: Map<string, number>, after: Map<string, number>, name: string): number {
  const buckets: { le: number; count: number }[] = [];
  for (const [key, value] of after) {
    const m = new RegExp(`^${name}_bucket\\{.*le="([^"]+)"`).exec(key);
    if (!m) continue;
    buckets.push({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), count: value - (before.get(key) ?? 0) });
  }
  buckets.sort((a, b) => a.le - b.le);
  const total = buckets[buckets.length - 1]?.count ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lower;
      return lower + ((b.le - lower) * (rank - below)) / Math.max(1, b.count - below);
    }
    lower = b.le;
    below = b.count;
  }
  return lower;
}

/**
 * The lowest ceiling measured earlier in this run that bounds the whole pipeline: Elasticsearch
 * taking documents from the client's bulk helper (sink benchmark), or the enricher's stage A+B on
 * every core (enricher benchmark). Undefined when neither ran.
 */
function slowestCeiling(ctx: BenchContext): Measured | undefined {
  const scale = (m: Measured, by: number, label: string): Measured => ({
    ...m, label, median: m.median * by, min: m.min * by, max: m.max * by, samples: m.samples.map((x) => x * by),
  });
  const candidates: Measured[] = [];
  const bulk = ctx.results.get('sink')?.figures.find((f) => f.id === 'sink.throughput')?.limit;
  if (bulk) candidates.push(scale(bulk, 1, 'Elasticsearch via client.helpers.bulk (sink benchmark, this run)'));
  const perCore = ctx.results.get('enricher')?.figures.find((f) => f.id === 'enricher.stage-ab-vs-xml')?.value;
  if (perCore) candidates.push(scale(perCore, ctx.machine.cores, `enricher stage A+B on one core x ${ctx.machine.cores} cores (enricher benchmark, this run)`));
  return candidates.sort((a, b) => a.median - b.median)[0];
}

interface Hit {
  _id: string;
  _source: { event?: { created?: string } };
}

export async function endToEndBench(ctx: BenchContext): Promise<BenchResult> {
  const stack = needStack(ctx);
  const startedAt = new Date();
  const quick = ctx.mode === 'quick';
  const historyMinutes = quick ? 8 : 60;
  const liveSeconds = quick ? 15 : 60;
  const run = uniqueName('bench-e2e');
  const namespace = run.replace(/[^a-z0-9]/g, '');
  const dataStream = `${DATA_STREAM_PREFIX}${namespace}`;
  const simPort = await freePort();
  const simUrl = `http://127.0.0.1:${simPort}`;
  const kafka = createKafka({ kafkaBrokers: stack.kafkaBrokers, kafkaClientId: 'pra-bench' }, logger);
  const common = { KAFKA_BROKERS: stack.kafkaBrokers.join(','), SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl, KAFKA_DLQ_TOPIC: `${run}.dlq` };
  const services: Service[] = [];
  try {
    const simulator = await startService({
      name: 'simulator',
      command: 'simulator',
      logDir: ctx.logDir,
      args: [
        '--port', String(simPort), '--seed', '23', '--history', `${historyMinutes}m`,
        '--sessions-per-minute', String(SESSIONS_PER_MINUTE), '--events-per-session', '24', '--session-minutes', '5', '--running-share', '0',
        '--site-name', 'bench', '--client-id', 'bench', '--client-secret', 'bench-secret',
      ],
    });
    services.push(simulator);
    await waitFor('the simulator', () => fetch(`${simUrl}/_sim/health`).then((r) => r.ok, () => false), (ok) => ok || simulator.exited(), 60_000);

    const sink = await startService({
      name: 'sink', command: 'sink', logDir: ctx.logDir,
      env: { ...common, ES_NODE: stack.esNode, SINK_TOPIC: `${run}.ecs`, SINK_GROUP_ID: `${run}-sink`, INDEX_REFRESH_INTERVAL: '1s' },
    });
    const enricher = await startService({
      name: 'enricher', command: 'enricher', logDir: ctx.logDir,
      env: { ...common, ENRICHER_INPUT_TOPIC: `${run}.raw`, ENRICHER_OUTPUT_TOPIC: `${run}.ecs`, ENRICHER_GROUP_ID: `${run}-enricher`, GEOIP_DIR: `${testdataDir()}/geoip` },
    });
    services.push(sink, enricher);
    // The consumers first, so the backlog meets running stages.
    await waitFor('the sink and the enricher to be ready', async () => {
      const ready = await Promise.all([sink, enricher].map((s) => fetch(`${s.opsUrl}/readyz`).then((r) => r.ok, () => false)));
      return ready.every(Boolean);
    }, (ok) => ok || sink.exited() || enricher.exited(), 120_000, 250);
    if (sink.exited() || enricher.exited()) throw new Error(`A stage exited; see ${ctx.logDir}`);

    const truth = await fetch(`${simUrl}/_sim/ground-truth`).then((r) => r.text());
    const backlog = truth.split('\n').filter((l) => l.trim() !== '').length;
    const poller = await startService({
      name: 'poller', command: 'poller', logDir: ctx.logDir,
      env: {
        ...common,
        PRA_SITES: JSON.stringify([{ name: 'bench', url: simUrl, client_id: 'bench', client_secret: 'bench-secret', namespace, allow_insecure_http: true }]),
        POLLER_RAW_TOPIC: `${run}.raw`, POLLER_STATE_TOPIC: `${run}.state`, POLLER_TRANSACTIONAL_ID_PREFIX: run,
        PRA_INITIAL_INTERVAL: `${historyMinutes + 5}m`, PRA_MAX_WINDOW: '5m', PRA_INTERVAL: '5s', PRA_SAFETY_LAG: '2s',
        PRA_HTTP_TIMEOUT: '4s', PRA_RATE_LIMIT: '200', PRA_CLOSED_OVERLAP: '10s',
      },
    });
    services.push(poller);
    const memory = sampleMemory(services.filter((s) => s.name !== 'simulator'), 500);
    ctx.log(`end-to-end: backlog of ${backlog} events, then ${liveSeconds} s live`);

    // Phase 1: the backlog.
    const t0 = performance.now();
    const counts: { t: number; count: number }[] = [];
    await waitFor(`${backlog} searchable events`, async () => {
      const count = await searchableCount(stack.esNode, dataStream).catch(() => 0);
      counts.push({ t: (performance.now() - t0) / 1000, count });
      return count;
    }, (c) => c >= backlog || services.some((s) => s.exited()), quick ? 180_000 : 900_000, 1000);
    if (services.some((s) => s.exited())) throw new Error(`A service exited; see ${ctx.logDir}`);
    const at = (share: number) => counts.find((c) => c.count >= share * backlog)!;
    const lo = at(0.1);
    const hi = at(0.9);
    const sustained = (hi.count - lo.count) / Math.max(0.001, hi.t - lo.t);
    const backlogSeconds = counts[counts.length - 1]!.t;
    const backlogRss = Object.fromEntries(Object.entries(memory.samples).map(([k, v]) => [k, summarize(v.length ? v : [0])]));
    ctx.log(`end-to-end: backlog in ${backlogSeconds.toFixed(0)} s, ${Math.round(sustained)} events/s between 10% and 90%`);

    // Phase 2: live.
    memory.reset();
    const delayBefore = await sink.metrics();
    // Each service's process_cpu_seconds_total under its own name, so the stages' CPU can be told apart.
    const cpuOf = async (s: Service) => sumMetric(await s.metrics(), 'process_cpu_seconds_total');
    const cpuBefore = { enricher: await cpuOf(enricher), sink: await cpuOf(sink) };
    const snapshot = async () => new Map([...(await poller.metrics()), ...(await enricher.metrics()), ...delayBefore]);
    const liveBefore = await snapshot();
    const liveStart = Date.now();
    const seen = new Set<string>();
    const latencies: number[] = [];
    while (Date.now() - liveStart < liveSeconds * 1000) {
      await sleep(500);
      const res = await fetch(`${stack.esNode}/${dataStream}/_search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ size: 10_000, _source: ['event.created'], query: { range: { 'event.created': { gte: new Date(liveStart).toISOString() } } } }),
        signal: AbortSignal.timeout(10_000),
      });
      const found = Date.now();
      if (!res.ok) continue;
      const hits = ((await res.json()) as { hits: { hits: Hit[] } }).hits.hits;
      for (const hit of hits) {
        if (seen.has(hit._id)) continue;
        seen.add(hit._id);
        const created = Date.parse(hit._source.event?.created ?? '');
        if (Number.isFinite(created)) latencies.push((found - created) / 1000);
      }
    }
    const delayAfter = await sink.metrics();
    const cpuAfter = { enricher: await cpuOf(enricher), sink: await cpuOf(sink) };
    const liveAfter = new Map([...(await poller.metrics()), ...(await enricher.metrics()), ...delayAfter]);
    const increase = (name: string) => sumMetric(liveAfter, name) - sumMetric(liveBefore, name);
    // What each stage did in the live phase, to tell where the latency goes.
    const livePhase = {
      pollerCycles: increase('pra_poller_cycles_total'),
      pollerRequests: increase('pra_poller_requests_total'),
      pollerSessionsPublished: increase('pra_poller_sessions_published_total'),
      pollerEventsPublished: increase('pra_poller_events_published_total'),
      enricherEvents: increase('pra_enricher_events_total'),
      enricherDocuments: increase('pra_enricher_documents_total'),
      enricherEventsSeenBefore: increase('pra_enricher_events_seen_before_total'),
      enricherCpuSeconds: cpuAfter.enricher - cpuBefore.enricher,
      sinkCpuSeconds: cpuAfter.sink - cpuBefore.sink,
      enricherBatchSeconds: increase('pra_enricher_batch_duration_seconds_sum'),
      enricherConsumerLagAtEnd: sumMetric(await enricher.metrics(), 'pra_consumer_lag_records'),
      sinkIndexed: increase('pra_sink_documents_indexed_total'),
      sinkDuplicates: increase('pra_sink_documents_duplicate_total'),
      sinkConsumerLagAtEnd: sumMetric(delayAfter, 'pra_consumer_lag_records'),
    };
    const liveRss = Object.fromEntries(Object.entries(memory.samples).map(([k, v]) => [k, summarize(v.length ? v : [0])]));
    const peaks = { ...memory.peaks };
    memory.stop();
    const histogram = (q: number) => histogramQuantile(q, delayBefore, delayAfter, 'pra_sink_event_delay_seconds');
    ctx.log(`end-to-end: ${latencies.length} new events live, p50 ${percentile(latencies, 50).toFixed(2)} s, p99 ${percentile(latencies, 99).toFixed(2)} s`);

    const limit = slowestCeiling(ctx);
    const newEvents = Math.max(1, latencies.length);
    const perThousand = (cpu: number) => (1000 * cpu) / newEvents;
    const figures: Figure[] = [
      figure('e2e.sustained', measured(`sustained rate, simulator to searchable in Elasticsearch (${backlog} events backlog)`, 'events/s', [sustained]), limit,
        `whole backlog searchable after ${backlogSeconds.toFixed(0)} s`),
      figure('e2e.latency.p50', measured('latency p50, event.created to searchable (data stream searched every 500 ms)', 's', [percentile(latencies, 50)]), undefined,
        `sink histogram pra_sink_event_delay_seconds (to indexed, before refresh): p50 ${histogram(0.5).toFixed(2)} s`),
      figure('e2e.latency.p99', measured('latency p99, event.created to searchable (data stream searched every 500 ms)', 's', [percentile(latencies, 99)]), undefined,
        `sink histogram: p99 ${histogram(0.99).toFixed(2)} s`),
    ];
    figures.push(
      figure('e2e.documents-per-event', measured('documents produced to the enriched topic per new event (live phase; 1.00 is each event once)', 'documents/event', [livePhase.enricherDocuments / newEvents]), undefined,
        `${livePhase.enricherDocuments} documents for ${latencies.length} new events; ${livePhase.enricherEventsSeenBefore} events of re-fetched sessions not mapped again`),
      figure('e2e.sink-409', measured('documents the sink found already indexed (409) in the live phase', 'documents', [livePhase.sinkDuplicates]), undefined, 'goal 0: nothing reaches the sink twice'),
      figure('e2e.cpu.enricher', measured('enricher CPU per 1,000 new events (live phase)', 's', [perThousand(livePhase.enricherCpuSeconds)]), undefined,
        `${livePhase.enricherCpuSeconds.toFixed(2)} s of CPU in ${liveSeconds} s`),
      figure('e2e.cpu.sink', measured('sink CPU per 1,000 new events (live phase)', 's', [perThousand(livePhase.sinkCpuSeconds)]), undefined,
        `${livePhase.sinkCpuSeconds.toFixed(2)} s of CPU in ${liveSeconds} s`),
    );
    for (const name of ['poller', 'enricher', 'sink']) {
      const live = liveRss[name]!;
      figures.push(figure(`e2e.memory.${name}`, measured(`${name} RSS at steady state (live phase, median of samples)`, 'MB', live.samples.map((b) => b / 1e6)), undefined,
        `during the backlog median ${(backlogRss[name]!.median / 1e6).toFixed(0)} MB; peak (VmHWM) ${((peaks[name] ?? 0) / 1e6).toFixed(0)} MB`));
    }
    return resultOf(ctx, startedAt, {
      benchmark: 'end-to-end',
      title: `End to end on this ${ctx.machine.cores}-core machine`,
      parameters: {
        backlogEvents: backlog,
        historyMinutes,
        liveSeconds,
        liveEvents: latencies.length,
        livePhase,
        simulator: `wall clock, ${SESSIONS_PER_MINUTE} sessions a minute, 24 events a session, 5-minute sessions, one site`,
        poller: 'PRA_INTERVAL 5s, PRA_SAFETY_LAG 2s, PRA_MAX_WINDOW 5m',
        services: 'each its own process (node --conditions=source --import tsx src/bin.ts <command>), defaults otherwise; GeoIP test databases; INDEX_REFRESH_INTERVAL 1s',
      },
      figures,
      notes: [
        'All processes (three services, the simulator, Kafka, Apicurio Registry, Elasticsearch and this driver) share the machine\'s cores.',
        'Latency is measured by searching the data stream (no forced refresh) every 500 ms, so it includes the 1 s refresh interval and up to 0.5 s of polling resolution; the poller\'s 2 s safety lag and 5 s interval come before event.created and are not in it.',
        'The sink\'s histogram stops at indexing (before the refresh), interpolates inside buckets of 0.5, 1, 2.5, 5, 10 and 30 s, and also counts documents fetched before the live phase and indexed during it (the end of the backlog), so its tail can be longer; it is given for comparison.',
        'A running session is sent again on the raw topic when it has new events or ends; each record says how many events earlier records carried, and the enricher maps only the others, in Kafka transactions: documents per new event and the sink\'s 409s show whether anything travels twice.',
      ],
    });
  } finally {
    for (const s of [...services].reverse()) await s.stop();
    await deleteTopics(kafka, [`${run}.raw`, `${run}.state`, `${run}.ecs`, `${run}.dlq`]);
    await deleteSubject(stack.schemaRegistryUrl, `${run}.ecs-value`);
  }
}

export const endToEndBenchmark: Benchmark = { name: 'end-to-end', servers: true, run: endToEndBench };
