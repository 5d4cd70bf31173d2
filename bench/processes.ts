/**
 * The pipeline's services as child processes: start, read their metrics,
 * sample their memory from /proc, stop them by pid. After `npm run build` they
 * run compiled (`node dist/src/bin.js <command>`), as in the container image;
 * otherwise from source through tsx, which costs memory of its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './stats.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

const BUILT_CLI = join(ROOT, 'dist', 'src', 'bin.js');

/** How the services run in this benchmark run: compiled when built, else from source. */
export function serviceRuntime(): 'compiled' | 'source' {
  return existsSync(BUILT_CLI) ? 'compiled' : 'source';
}

/** A free TCP port on 127.0.0.1 (closed again before it is used). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Memory {
  /** Resident set size now, in bytes. */
  rss: number;
  /** Peak resident set size since the process started (VmHWM), in bytes. */
  peak: number;
}

/** RSS and peak RSS of a process from /proc/<pid>/status; undefined once it is gone. */
export function memoryOf(pid: number): Memory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(/^(\S+):\s+(\d+) kB/m.exec(status.split('\n').find((l) => l.startsWith(`${name}:`)) ?? '')?.[2] ?? 0) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

export interface Service {
  name: string;
  pid: number;
  /** http://127.0.0.1:<port> of the operations endpoint (metrics, readiness). */
  opsUrl: string;
  logFile: string;
  /** Parsed /metrics: sample name with labels -> value. */
  metrics(): Promise<Map<string, number>>;
  /** Sum of every series of a metric (any labels). */
  metric(name: string): Promise<number>;
  memory(): Memory | undefined;
  exited(): boolean;
  stop(): Promise<void>;
}

export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

export function sumMetric(all: Map<string, number>, name: string): number {
  let sum = 0;
  for (const [key, value] of all) if (key === name || key.startsWith(`${name}{`)) sum += value;
  return sum;
}

/** Starts `pra-pipeline <command> [args]` with `env` on top of this process's environment. */
export async function startService(options: { name: string; command: string; args?: string[]; env?: Record<string, string>; logDir: string }): Promise<Service> {
  const port = await freePort();
  const logFile = join(options.logDir, `${options.name}.log`);
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(
    process.execPath,
    [...(serviceRuntime() === 'compiled' ? [BUILT_CLI] : ['--conditions=source', '--import', 'tsx', 'src/bin.ts']), options.command, ...(options.args ?? [])],
    {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', HTTP_HOST: '127.0.0.1', HTTP_PORT: String(port), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let exitCode: number | null | undefined;
  const exit = new Promise<void>((resolve) => child.once('exit', (code) => {
    exitCode = code;
    resolve();
  }));
  if (child.pid === undefined) throw new Error(`${options.name} did not start`);
  const pid = child.pid;
  const opsUrl = `http://127.0.0.1:${port}`;
  const metrics = async () => {
    const res = await fetch(`${opsUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
    return parseMetrics(await res.text());
  };
  return {
    name: options.name,
    pid,
    opsUrl,
    logFile,
    metrics,
    async metric(name) {
      try {
        return sumMetric(await metrics(), name);
      } catch {
        return 0; // not listening yet
      }
    },
    memory: () => memoryOf(pid),
    exited: () => exitCode !== undefined,
    async stop() {
      if (exitCode === undefined) {
        child.kill('SIGTERM');
        const killed = await Promise.race([exit.then(() => true), sleep(15_000).then(() => false)]);
        if (!killed) {
          child.kill('SIGKILL');
          await exit;
        }
      }
      log.end();
    },
  };
}

/** Samples the RSS of processes every `everyMs` until stopped; returns every sample per name. */
export function sampleMemory(services: readonly Pick<Service, 'name' | 'memory'>[], everyMs = 500) {
  const samples: Record<string, number[]> = Object.fromEntries(services.map((s) => [s.name, []]));
  const peaks: Record<string, number> = {};
  const timer = setInterval(() => {
    for (const s of services) {
      const m = s.memory();
      if (!m) continue;
      samples[s.name]!.push(m.rss);
      peaks[s.name] = Math.max(peaks[s.name] ?? 0, m.peak);
    }
  }, everyMs);
  return {
    samples,
    peaks,
    /** Drops the samples taken so far (start of a steady phase). */
    reset() {
      for (const name of Object.keys(samples)) samples[name] = [];
    },
    stop() {
      clearInterval(timer);
    },
  };
}
