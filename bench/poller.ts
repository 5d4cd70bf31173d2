/**
 * Poller: MB/s of a report split and published, and peak RSS, for reports of
 * 10 MB, 100 MB and 1 GB (quick: 10 MB). The poller runs as its own process
 * (`pra-pipeline poller`) against a simulator process serving one report of
 * that size, and publishes to the harness broker; its RSS is read from
 * /proc/<pid>/status. Beside it: the simulator's own rate, the same report
 * fetched and discarded by this process (the ceiling: the poller cannot read
 * faster than the appliance writes).
 */
import { performance } from 'node:perf_hooks';
import { createKafka, createLogger } from '@pra-pipeline/shared';
import { uniqueName } from '../test/harness/env.js';
import { deleteTopics } from './cleanup.js';
import { needStack, type BenchContext, type Benchmark } from './context.js';
import { freePort, sampleMemory, serviceRuntime, startService, sumMetric, type Service } from './processes.js';
import { figure, measured, resultOf, type BenchResult, type Figure } from './results.js';
import { waitFor } from './stats.js';

const logger = createLogger({ service: 'bench', level: 'error' });
const MB = 1e6;
/** The poller must stay under this RSS for the 1 GB report. */
export const POLLER_RSS_LIMIT_MB = 256;

/**
 * A one-hour history of 20 sessions a minute (1,200 sessions, none running);
 * a report holds about 270 bytes per event, so the events per session set its size.
 */
export const REPORT_SIZES: Record<string, { label: string; eventsPerSession: number }> = {
  '10MB': { label: '10 MB', eventsPerSession: 17 },
  '100MB': { label: '100 MB', eventsPerSession: 290 },
  '1GB': { label: '1 GB', eventsPerSession: 3650 },
};

interface SizeResult {
  size: string;
  bytes: number;
  sessions: number;
  pollerMBs: number;
  wallMBs: number;
  peakRssMB: number;
  medianRssMB: number;
  /** RSS when the poller made its first request, before the report arrived. */
  idleRssMB: number;
  ceilingMBs: number | undefined;
}

function simulatorArgs(port: number, start: string, eventsPerSession: number): string[] {
  return [
    '--port', String(port), '--seed', '11', '--clock', 'manual', '--start', start,
    '--history', '1h', '--sessions-per-minute', '20', '--events-per-session', String(eventsPerSession),
    '--session-minutes', '15', '--running-share', '0',
    '--site-name', 'bench', '--client-id', 'bench', '--client-secret', 'bench-secret',
  ];
}

/** Fetches the report the poller will ask for and throws its bytes away: the simulator's rate. */
async function fetchAndDiscard(url: string, fromUnix: number): Promise<{ bytes: number; seconds: number }> {
  const tokenRes = await fetch(`${url}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('bench:bench-secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const { access_token: token } = (await tokenRes.json()) as { access_token: string };
  const t0 = performance.now();
  const res = await fetch(`${url}/api/reporting?generate_report=AccessSession&start_time=${fromUnix}&duration=0`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(600_000),
  });
  let bytes = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) bytes += chunk.byteLength;
  return { bytes, seconds: (performance.now() - t0) / 1000 };
}

async function pollerRun(ctx: BenchContext, size: string, measureCeiling: boolean): Promise<SizeResult> {
  const stack = needStack(ctx);
  const { eventsPerSession } = REPORT_SIZES[size]!;
  const run = uniqueName(`bench-poller-${size.toLowerCase()}`);
  const port = await freePort();
  const startMs = Date.now();
  const simulator = await startService({ name: `simulator-${size}`, command: 'simulator', args: simulatorArgs(port, new Date(startMs).toISOString(), eventsPerSession), logDir: ctx.logDir });
  const simUrl = `http://127.0.0.1:${port}`;
  let poller: Service | undefined;
  const kafka = createKafka({ kafkaBrokers: stack.kafkaBrokers, kafkaClientId: 'pra-bench' }, logger);
  try {
    await waitFor('the simulator', () => fetch(`${simUrl}/_sim/health`).then((r) => r.ok, () => false), (ok) => ok || simulator.exited(), 60_000);
    if (simulator.exited()) throw new Error(`The simulator exited; see ${simulator.logFile}`);
    const fromUnix = Math.floor(startMs / 1000) - 2 * 3600;
    const ceiling = measureCeiling ? await fetchAndDiscard(simUrl, fromUnix) : undefined;

    poller = await startService({
      name: `poller-${size}`,
      command: 'poller',
      logDir: ctx.logDir,
      env: {
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        PRA_SITES: JSON.stringify([{ name: 'bench', url: simUrl, client_id: 'bench', client_secret: 'bench-secret', namespace: 'bench', allow_insecure_http: true }]),
        POLLER_RAW_TOPIC: `${run}.raw`,
        POLLER_STATE_TOPIC: `${run}.state`,
        POLLER_TRANSACTIONAL_ID_PREFIX: run,
        KAFKA_DLQ_TOPIC: `${run}.dlq`,
        // One request for the whole hour, one cycle in the run.
        PRA_INITIAL_INTERVAL: '2h',
        PRA_MAX_WINDOW: '3h',
        PRA_SAFETY_LAG: '1s',
        PRA_INTERVAL: '1h',
        PRA_HTTP_TIMEOUT: '60s',
        POLLER_TRANSACTION_TIMEOUT: '10m',
      },
    });
    const memory = sampleMemory([poller], 250);
    let metrics = new Map<string, number>();
    let t0: number | undefined;
    let idleRss = 0;
    await waitFor(
      `the poller's first cycle over the ${REPORT_SIZES[size]!.label} report`,
      async () => {
        metrics = await poller!.metrics().catch(() => metrics);
        if (t0 === undefined && sumMetric(metrics, 'pra_poller_requests_total') > 0) {
          // Started and asking: what it holds before the report arrives.
          t0 = performance.now();
          idleRss = poller!.memory()?.rss ?? 0;
        }
        return sumMetric(metrics, 'pra_poller_cycles_total');
      },
      (cycles) => cycles >= 1 || poller!.exited(),
      900_000,
      250,
    );
    const wall = (performance.now() - (t0 ?? performance.now())) / 1000;
    memory.stop();
    if (poller.exited()) throw new Error(`The poller exited; see ${poller.logFile}`);
    const final = poller.memory();
    const report = (name: string) => [...metrics].filter(([k]) => k.startsWith(`${name}{`) && k.includes('endpoint="access_session"')).reduce((s, [, v]) => s + v, 0);
    const bytes = report('pra_poller_received_bytes_total');
    const seconds = report('pra_poller_request_duration_seconds_sum');
    const published = sumMetric(metrics, 'pra_poller_published_bytes_total');
    const sessions = sumMetric(metrics, 'pra_poller_sessions_published_total');
    const rss = memory.samples[poller.name]!;
    const sorted = [...rss].sort((a, b) => a - b);
    return {
      size,
      bytes,
      sessions,
      pollerMBs: published / MB / seconds,
      wallMBs: bytes / MB / wall,
      peakRssMB: Math.max(final?.peak ?? 0, memory.peaks[poller.name] ?? 0) / MB,
      medianRssMB: (sorted[Math.floor(sorted.length / 2)] ?? 0) / MB,
      idleRssMB: idleRss / MB,
      ceilingMBs: ceiling ? ceiling.bytes / MB / ceiling.seconds : undefined,
    };
  } finally {
    await poller?.stop();
    await simulator.stop();
    await deleteTopics(kafka, [`${run}.raw`, `${run}.state`, `${run}.dlq`]);
  }
}

export async function pollerBench(ctx: BenchContext): Promise<BenchResult> {
  const startedAt = new Date();
  const sizes = ctx.mode === 'quick' ? ['10MB'] : ['10MB', '100MB', '1GB'];
  const results: SizeResult[] = [];
  let lastCeiling: number | undefined;
  for (const size of sizes) {
    // The 1 GB report's ceiling would take as long again; the 100 MB report's rate stands for it.
    const r = await pollerRun(ctx, size, size !== '1GB');
    results.push(r);
    lastCeiling = r.ceilingMBs ?? lastCeiling;
    ctx.log(`poller ${size}: ${(r.bytes / MB).toFixed(0)} MB, ${r.pollerMBs.toFixed(1)} MB/s (simulator ${r.ceilingMBs?.toFixed(1) ?? '-'} MB/s), peak RSS ${r.peakRssMB.toFixed(0)} MB`);
  }
  const figures: Figure[] = [];
  for (const r of results) {
    const label = REPORT_SIZES[r.size]!.label;
    const ceiling = r.ceilingMBs ?? lastCeiling;
    figures.push(
      figure(
        `poller.${r.size}.throughput`,
        measured(`poller, ${label} report (${(r.bytes / MB).toFixed(0)} MB, ${r.sessions} sessions) split and published`, 'MB/s', [r.pollerMBs]),
        ceiling === undefined ? undefined : measured(`simulator serving the same report to a discarding reader${r.ceilingMBs === undefined ? ' (the 100 MB report\'s rate)' : ''}`, 'MB/s', [ceiling]),
        `from the first request to the end of the cycle (transaction committed): ${r.wallMBs.toFixed(1)} MB/s`,
      ),
    );
    const peak = figure(`poller.${r.size}.peak-rss`, measured(`poller peak RSS (VmHWM), ${label} report`, 'MB', [r.peakRssMB]), undefined, `RSS before the report ${r.idleRssMB.toFixed(0)} MB, median while polling ${r.medianRssMB.toFixed(0)} MB`);
    if (r.size === '1GB') peak.requirement = { max: POLLER_RSS_LIMIT_MB, unit: 'MB', met: r.peakRssMB < POLLER_RSS_LIMIT_MB };
    figures.push(peak);
  }
  return resultOf(ctx, startedAt, {
    benchmark: 'poller',
    title: 'Poller: report split and published, memory',
    parameters: {
      sizes,
      simulator: '--clock manual --history 1h --sessions-per-minute 20 --session-minutes 15 --running-share 0, events per session by size',
      poller: 'one site, one request for the hour (PRA_MAX_WINDOW 3h), POLLER_BATCH_MAX_BYTES 1 MiB, gzip, one Kafka transaction',
      reports: results.map((r) => ({ size: r.size, bytes: r.bytes, sessions: r.sessions })),
    },
    figures,
    notes: [
      'MB/s: published session bytes over the time of the report request (headers to the last byte), during which the poller splits and sends each batch before reading on (backpressure).',
      'Peak RSS is VmHWM of the poller process; RSS was also sampled every 250 ms. It must not grow with the report size; 1 GB must stay under 256 MB.',
      'One run per size (the 1 GB report takes minutes), so no spread is given.',
      serviceRuntime() === 'compiled'
        ? 'The poller ran compiled (`node dist/src/bin.js poller`, after `npm run build`), as in the container image.'
        : 'The poller ran from source through tsx (no `npm run build`); the compiled image needs less memory.',
    ],
  });
}

export const pollerBenchmark: Benchmark = { name: 'poller', servers: true, run: pollerBench };
