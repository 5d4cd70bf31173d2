/**
 * `npm run soak -- --minutes N`: the pipeline as three processes (poller,
 * enricher, sink) against the real servers for N minutes at a steady rate from
 * the simulator (default 1,000 events/s over two sites), sampling every
 * service's resident memory, V8 heap, event-loop delay, open file descriptors
 * and lag. At the end the simulator's clock freezes, the pipeline catches up,
 * and Elasticsearch and the enriched topic (read committed) are compared with
 * the ground truth. It prints the slopes per hour (least squares over the
 * samples after the warm-up) and writes the samples and figures as JSON and a
 * plot as SVG. Samples are also appended to <out>.samples.jsonl as they are taken.
 *
 *   npm run soak -- --minutes 30 [--rate 1000] [--sample-seconds 15] [--warmup-minutes 5]
 *                   [--out bench/results/soak.json] [--svg docs/soak.svg] [--keep (topics and data stream)]
 *   npm run soak -- --plot bench/results/soak.json --svg docs/soak.svg     redraw the plot only
 *
 * Servers: those named by KAFKA_BROKERS, SCHEMA_REGISTRY_URL and ES_NODE (a
 * stack of your own from `npm run stack -- --env-file FILE`), else a stack it
 * starts and stops itself (the cluster options of `npm run stack` apply).
 * It exits non-zero when the ground truth is not met.
 */
import { appendFileSync, readFileSync, readdirSync, writeFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafka, createLogger } from '@pra-pipeline/shared';
import { FreezableClock, startSimulator } from '@pra-pipeline/pra-simulator';
import { compareIds, countIds, indexedIds, type Comparison } from '../test/e2e/support.js';
import { uniqueName } from '../test/harness/env.js';
import { freePort, httpGet } from '../test/harness/process.js';
import { clusterOptions, startStack, type Stack } from '../test/harness/stack.js';
import { cleanUp, countRecords, enrichedIds, SERVICES, ServiceProcess, servicesEnv, type Service } from '../test/chaos/runner.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2).filter((a) => a !== '--');
function option(name: string, fallback?: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
}
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Sample {
  /** Seconds since the services started. */
  t: number;
  service: Service;
  rssMb: number;
  heapMb: number;
  /** Event-loop delay p99 over the last interval (prom-client's histogram), ms. */
  eventLoopP99Ms: number;
  fds: number;
  /** Records behind: the enricher's group on the raw topic, the sink's on the enriched topic; for the poller, seconds of window lag. */
  lag: number;
}

const METRICS = ['rssMb', 'heapMb', 'eventLoopP99Ms', 'fds', 'lag'] as const;
type Metric = (typeof METRICS)[number];
const UNITS: Record<Metric, string> = { rssMb: 'MB', heapMb: 'MB', eventLoopP99Ms: 'ms', fds: 'fds', lag: 'records (poller: s)' };

/** Least-squares slope of y over t (seconds), per hour. */
export function slopePerHour(points: { t: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.t - mt) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.t - mt) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 3600;
}

function metricValue(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  const v = line ? Number(line.trim().split(/\s+/).pop()) : NaN;
  return Number.isFinite(v) ? v : undefined;
}

function procStats(pid: number): { rssMb: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rssMb: rssKb / 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** The plot: one panel per metric, one line per service, time in minutes. */
export function renderSvg(samples: Sample[], title: string): string {
  const colours: Record<Service, string> = { poller: '#1f77b4', enricher: '#d62728', sink: '#2ca02c' };
  // Width, panel height, margins (left, right, top) and the gap between panels, in pixels.
  const [w, panelH, left, right, top, gap] = [720, 150, 70, 20, 40, 40];
  const h = top + METRICS.length * (panelH + gap) + 10;
  const tMax = Math.max(1, ...samples.map((s) => s.t));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="11">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<text x="${w / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
  ];
  SERVICES.forEach((s, i) => {
    out.push(`<rect x="${left + i * 110}" y="27" width="10" height="10" fill="${colours[s]}"/><text x="${left + i * 110 + 14}" y="36">${s}</text>`);
  });
  METRICS.forEach((m, i) => {
    const y0 = top + i * (panelH + gap) + 20;
    const values = samples.map((s) => s[m]).filter(Number.isFinite);
    const yMax = Math.max(1e-9, ...values) * 1.05;
    const x = (t: number) => left + ((w - left - right) * t) / tMax;
    const y = (v: number) => y0 + panelH - (panelH * v) / yMax;
    out.push(`<text x="${left}" y="${y0 - 6}" font-weight="bold">${m} (${UNITS[m]})</text>`);
    out.push(`<rect x="${left}" y="${y0}" width="${w - left - right}" height="${panelH}" fill="none" stroke="#999"/>`);
    for (const frac of [0, 0.5, 1]) {
      out.push(`<text x="${left - 6}" y="${y(yMax * frac) + 4}" text-anchor="end">${formatTick(yMax * frac)}</text>`);
    }
    for (let k = 0; k <= 5; k++) {
      const t = (tMax * k) / 5;
      out.push(`<text x="${x(t)}" y="${y0 + panelH + 14}" text-anchor="middle">${(t / 60).toFixed(0)} min</text>`);
    }
    for (const s of SERVICES) {
      const pts = samples.filter((p) => p.service === s && Number.isFinite(p[m])).map((p) => `${x(p.t).toFixed(1)},${y(p[m]).toFixed(1)}`);
      if (pts.length > 0) out.push(`<polyline fill="none" stroke="${colours[s]}" stroke-width="1.5" points="${pts.join(' ')}"/>`);
    }
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

const formatTick = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(3));
const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface SoakResult {
  name: string;
  date: string;
  minutes: number;
  rateTarget: number;
  /** Events in the ground truth, and per second over the run. */
  events: number;
  eventsPerSecond: number;
  elasticsearch: Comparison;
  topic: Comparison;
  deadLetters: number;
  /** Seconds from the clock freezing to Elasticsearch equal to the ground truth; null if never. */
  catchUpSeconds: number | null;
  warmupMinutes: number;
  /** Per service and metric: slope per hour after the warm-up, mean, min and max after the warm-up. */
  figures: Record<string, Record<string, { slopePerHour: number; mean: number; min: number; max: number }>>;
  unplannedExits: { service: string; code: number | null; signal: string | null; atSeconds: number }[];
  samples: Sample[];
}

function figures(samples: Sample[], warmupSeconds: number): SoakResult['figures'] {
  const out: SoakResult['figures'] = {};
  for (const s of SERVICES) {
    out[s] = {};
    const rows = samples.filter((p) => p.service === s && p.t >= warmupSeconds);
    for (const m of METRICS) {
      // A scrape that timed out leaves NaN (null in the JSON): not a value.
      const ok = rows.filter((r) => Number.isFinite(r[m]));
      const ys = ok.map((r) => r[m]);
      out[s][m] = {
        slopePerHour: round(slopePerHour(ok.map((r) => ({ t: r.t, y: r[m] })))),
        mean: round(ys.reduce((a, b) => a + b, 0) / Math.max(1, ys.length)),
        min: round(Math.min(...ys)),
        max: round(Math.max(...ys)),
      };
    }
  }
  return out;
}

const round = (v: number) => Math.round(v * 1000) / 1000;

function table(f: SoakResult['figures']): string {
  const rows = [['service', ...METRICS.map((m) => `${m} /h (mean)`)]];
  for (const s of SERVICES) rows.push([s, ...METRICS.map((m) => `${f[s]![m]!.slopePerHour} (${f[s]![m]!.mean})`)]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}

async function main(): Promise<number> {
  const svgFile = resolve(option('--svg', join(root, 'docs', 'soak.svg'))!);
  const plotOnly = option('--plot');
  if (plotOnly) {
    const r = JSON.parse(readFileSync(resolve(plotOnly), 'utf8')) as SoakResult;
    writeFileSync(svgFile, renderSvg(r.samples, plotTitle(r)));
    console.log(`[soak] plot written to ${svgFile}`);
    return 0;
  }
  const minutes = Number(option('--minutes', '30'));
  const rate = Number(option('--rate', '1000'));
  const sampleMs = Number(option('--sample-seconds', '15')) * 1000;
  const warmupMinutes = Number(option('--warmup-minutes', String(Math.min(5, minutes / 5))));
  if (!(minutes > 0 && minutes <= 24 * 60) || !(rate > 0 && rate <= 20_000) || !(sampleMs >= 1000)) {
    console.error('Usage: npm run soak -- --minutes N [--rate EVENTS_PER_S] [--sample-seconds S] [--warmup-minutes M] [--out FILE] [--svg FILE]');
    return 2;
  }
  const outFile = resolve(option('--out', join(root, 'bench', 'results', `soak-${minutes}min.json`))!);
  const log = (line: string) => console.log(`[soak] ${new Date().toISOString().slice(11, 19)} ${line}`);

  let stack: Stack | undefined;
  if (!(process.env.KAFKA_BROKERS && process.env.SCHEMA_REGISTRY_URL && process.env.ES_NODE)) {
    stack = await startStack({ log, cluster: clusterOptions(args) });
    Object.assign(process.env, stack.env);
  }
  const brokers = process.env.KAFKA_BROKERS!.split(',');
  const esNode = process.env.ES_NODE!;
  const run = uniqueName('soak');
  const namespace = run.replace(/[^a-z0-9]/g, '');
  const logDir = mkdtempSync(join(tmpdir(), `pra-${run}-`));

  // Two sites, each half the rate: sessions of 25 to 75 events (mean 50) over 2 to 4 minutes.
  const eventsPerSession = 50;
  const clock = new FreezableClock();
  const simulator = await startSimulator({
    seed: 2026,
    clock,
    historySeconds: 60,
    profile: { sessionsPerMinute: (rate / 2) * 60 / eventsPerSession, eventsPerSession, runningShare: 0, sessionMinutes: 2 },
    sites: [
      { name: 'east', clientId: 'east-client', clientSecret: 'east-secret-value' },
      { name: 'west', clientId: 'west-client', clientSecret: 'west-secret-value' },
    ],
  });
  const env = await servicesEnv(run, namespace, simulator, undefined, []);
  const ports: Record<Service, number> = { poller: 0, enricher: 0, sink: 0 };
  const taken = new Set<number>();
  const unplannedExits: SoakResult['unplannedExits'] = [];
  const t0 = Date.now();
  const services = {} as Record<Service, ServiceProcess>;
  for (const s of SERVICES) {
    ports[s] = await freePort(taken);
    services[s] = new ServiceProcess(s, { ...env[s], HTTP_PORT: String(ports[s]), LOG_LEVEL: 'warn' }, logDir, (exit) => {
      unplannedExits.push({ service: s, code: exit.code, signal: exit.signal, atSeconds: Math.round((Date.now() - t0) / 1000) });
      log(`${s} exited on its own (code ${exit.code}, signal ${exit.signal}); restarted in 1 s`);
    });
  }
  const quiet = createLogger({ service: 'soak', level: 'silent' });
  const admin = createKafka({ kafkaBrokers: brokers, kafkaClientId: 'soak-admin' }, quiet).admin();
  const samples: Sample[] = [];
  // Each sample also goes to <out>.samples.jsonl as it is taken, so a run cut short keeps its figures.
  const samplesFile = outFile.replace(/\.json$/, '') + '.samples.jsonl';
  mkdirSync(dirname(samplesFile), { recursive: true });
  writeFileSync(samplesFile, '');
  const pushSample = (sample: Sample) => {
    samples.push(sample);
    appendFileSync(samplesFile, `${JSON.stringify(sample)}\n`);
  };
  let result: SoakResult | undefined;
  try {
    await admin.connect();
    services.sink.start();
    services.enricher.start();
    services.poller.start();
    log(`services started (logs in ${logDir}); running ${minutes} min at ${rate} events/s, a sample every ${sampleMs / 1000} s`);

    const groupLag = async (groupId: string, topic: string): Promise<number> => {
      const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
      const at = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      return ends.reduce((sum, p) => sum + Math.max(0, Number(p.high) - Math.max(0, at.get(p.partition) ?? 0)), 0);
    };
    const until = t0 + minutes * 60_000;
    for (let i = 0; i < 100_000 && Date.now() < until; i++) {
      await sleep(Math.max(0, t0 + (i + 1) * sampleMs - Date.now()));
      const t = Math.round((Date.now() - t0) / 1000);
      const lags: Record<Service, number> = {
        poller: 0,
        enricher: await groupLag(`${run}-enricher`, `${run}.raw`).catch(() => NaN),
        sink: await groupLag(`${run}-sink`, `${run}.ecs`).catch(() => NaN),
      };
      for (const s of SERVICES) {
        const pid = services[s].child?.pid;
        if (!pid || !services[s].running) continue;
        const metrics = (await httpGet(`http://127.0.0.1:${ports[s]}/metrics`, 5000))?.body ?? '';
        if (s === 'poller') {
          const windowLags = metrics.split('\n').filter((l) => l.startsWith('pra_poller_window_lag_seconds{')).map((l) => Number(l.trim().split(/\s+/).pop()));
          lags.poller = windowLags.length > 0 ? Math.max(...windowLags) : NaN;
        }
        try {
          const proc = procStats(pid);
          pushSample({
            t,
            service: s,
            rssMb: round(proc.rssMb),
            heapMb: round((metricValue(metrics, 'nodejs_heap_size_used_bytes') ?? NaN) / 2 ** 20),
            eventLoopP99Ms: round((metricValue(metrics, 'nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000),
            fds: proc.fds,
            lag: lags[s],
          });
        } catch {
          // the process ended between the check and the read; the next sample sees its successor
        }
      }
      if (i % Math.max(1, Math.round(60_000 / sampleMs)) === 0) {
        const last = samples.slice(-3).map((p) => `${p.service} rss ${p.rssMb.toFixed(0)} MB heap ${p.heapMb.toFixed(0)} MB eld ${p.eventLoopP99Ms.toFixed(0)} ms fds ${p.fds} lag ${p.lag}`);
        log(`${(t / 60).toFixed(1)} min: ${last.join(' | ')}`);
      }
    }

    clock.freeze();
    const frozenAt = Date.now();
    const expected = new Set(simulator.expectedEventIds());
    log(`clock frozen after ${((frozenAt - t0) / 60_000).toFixed(1)} min: ${expected.size} events in the ground truth; waiting for the pipeline`);
    let es: Comparison = { missing: -1, extra: -1, duplicated: -1 };
    let catchUp: number | null = null;
    for (let i = 0; i < 200 && Date.now() - frozenAt < 15 * 60_000; i++) {
      es = await indexedIds(esNode, namespace).then((ids) => compareIds(expected, ids)).catch(() => es);
      if (es.missing === 0 && es.extra === 0 && es.duplicated === 0) {
        catchUp = (Date.now() - frozenAt) / 1000;
        break;
      }
      await sleep(5000);
    }
    await sleep(5000);
    es = compareIds(expected, await indexedIds(esNode, namespace));
    const topic = compareIds(expected, countIds(await enrichedIds(brokers, `${run}.ecs`)));
    const deadLetters = await countRecords(brokers, `${run}.dlq`);
    const warmupSeconds = warmupMinutes * 60;
    result = {
      name: `soak-${minutes}min`,
      date: new Date(t0).toISOString(),
      minutes,
      rateTarget: rate,
      events: expected.size,
      eventsPerSecond: round(expected.size / ((frozenAt - t0) / 1000)),
      elasticsearch: es,
      topic,
      deadLetters,
      catchUpSeconds: catchUp,
      warmupMinutes,
      figures: figures(samples, warmupSeconds),
      unplannedExits,
      samples,
    };
  } finally {
    await Promise.allSettled(SERVICES.map((s) => services[s].close()));
    await admin.disconnect().catch(() => undefined);
    await simulator.stop();
    if (!args.includes('--keep')) await cleanUp(brokers, esNode, run, namespace);
    else log(`kept topics ${run}.* and data stream namespace ${namespace}`);
    await stack?.stop();
  }
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
  mkdirSync(dirname(svgFile), { recursive: true });
  writeFileSync(svgFile, renderSvg(result.samples, plotTitle(result)));
  console.log(`\nSoak, ${minutes} min, ${result.events} events (${result.eventsPerSecond}/s): Elasticsearch ${JSON.stringify(result.elasticsearch)}, ` +
    `enriched topic ${JSON.stringify(result.topic)}, ${result.deadLetters} dead letters, caught up ${result.catchUpSeconds ?? 'never'} s after the clock froze, ` +
    `${result.unplannedExits.length} unplanned exits.\nSlopes per hour after ${warmupMinutes} min of warm-up (mean):\n${table(result.figures)}\n` +
    `Written to ${outFile} and ${svgFile}`);
  const ok = [result.elasticsearch, result.topic].every((c) => c.missing === 0 && c.duplicated === 0 && c.extra === 0) && result.deadLetters === 0;
  return ok ? 0 : 1;
}

function plotTitle(r: SoakResult): string {
  return `Soak: ${r.minutes} min at ${r.eventsPerSecond} events/s (${r.events} events), sampled every ${r.samples.length > 1 ? r.samples.find((s) => s.t > r.samples[0]!.t)!.t - r.samples[0]!.t : 0} s`;
}

process.exitCode = await main();
