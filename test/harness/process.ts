/**
 * Child processes the harness starts: output to a log file, a wait for
 * readiness that fails early when the process dies, and a stop that ends only
 * the process group the harness itself created (SIGTERM, then SIGKILL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface StartOptions {
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
}

/** Process groups started here and still running; ended if the harness exits abruptly. */
const running = new Set<number>();
process.once('exit', () => {
  for (const pgid of running) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export class ManagedProcess {
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private done = false;

  constructor(readonly options: StartOptions) {
    const log = createWriteStream(options.logFile, { flags: 'a' });
    // detached: the child leads its own process group, so stop() also ends the
    // JVMs that launcher scripts start (Elasticsearch's CLI starts the server JVM).
    this.child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.pipe(log, { end: false });
    this.child.stderr?.pipe(log, { end: false });
    const pid = this.child.pid;
    if (pid !== undefined) running.add(pid);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        log.write(`\n[harness] could not start ${options.command}: ${err.message}\n`);
        this.done = true;
        resolve(null);
      });
      this.child.once('exit', (code, signal) => {
        this.done = true;
        if (pid !== undefined) running.delete(pid);
        log.end(`\n[harness] ${options.name} exited (code ${code}, signal ${signal})\n`);
        resolve(code);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.done;
  }

  /** The last lines of the log, for error messages. */
  tail(lines = 25): string {
    try {
      return readFileSync(this.options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** Ends the process group: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    const pid = this.child.pid;
    if (this.done || pid === undefined) return;
    signalGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    // Launcher gone; make sure nothing of its group outlives it.
    signalGroup(pid, 'SIGKILL');
  }
}

/** SIGKILL of the whole process group at once: the crash of a machine, as far as the process can tell. */
export async function killGroup(proc: ManagedProcess): Promise<void> {
  if (!proc.alive || proc.pid === undefined) return;
  signalGroup(proc.pid, 'SIGKILL');
  await proc.exited;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group has no members left
  }
}

/** Runs a command to completion; rejects with its output when it fails. */
export function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${out.trimEnd().split('\n').slice(-30).join('\n')}`));
    });
  });
}

/**
 * Polls `check` until it returns a value, the process dies, or time runs out.
 * The error names the server and carries the end of its log.
 */
export async function waitUntil<T>(
  proc: ManagedProcess,
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.alive) throw new Error(`${proc.options.name} exited before ${what}. Log ${proc.options.logFile}:\n${proc.tail()}`);
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`${proc.options.name}: no ${what} after ${timeoutMs / 1000} s. Log ${proc.options.logFile}:\n${proc.tail()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A random free TCP port on 127.0.0.1 above 10000 (checked by binding it). */
export async function freePort(taken: Set<number> = new Set()): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 10_001 + Math.floor(Math.random() * 50_000);
    if (taken.has(port)) continue;
    if (await canBind(port)) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('No free port found above 10000 on 127.0.0.1.');
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** GET a URL on 127.0.0.1; the status and body, or undefined when nothing answers. */
export async function httpGet(url: string, timeoutMs = 3_000): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text() };
  } catch {
    return undefined;
  }
}
