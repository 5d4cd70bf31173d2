/** What the stack needs from each server it runs, and how it finds a JDK. */
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

export interface TestServer {
  readonly name: string;
  /** The version the running server reports about itself. */
  readonly version: string;
  /** Milliseconds from launch to ready, for the last start. */
  readonly startupMs: number;
  /** The address variables tests read (KAFKA_BROKERS=..., ...). */
  env(): Record<string, string>;
  /** Starts the server (again) on the same ports and data, and waits until it serves. */
  start(): Promise<void>;
  /** Ends the server's process group; its data stays for a later start(). */
  stop(): Promise<void>;
  /** SIGKILL of the server's process group (no clean shutdown); its data stays for a later start(). */
  kill?(): Promise<void>;
  /** Files worth keeping when a test fails. */
  logFiles(): string[];
}

/**
 * C1 only: start-up on 2 busy cores is about twice as fast (docs/testing.md).
 * PRA_FULL_JIT=1 keeps the optimising compiler, for benchmarks.
 */
export const JIT_FLAGS = process.env.PRA_FULL_JIT === '1' ? [] : ['-XX:TieredStopAtLevel=1'];

/** JVM flags for the short-lived Kafka and registry JVMs. */
export const FAST_START_JVM_FLAGS = ['-XX:+UseSerialGC', ...JIT_FLAGS, '-Xshare:auto', '-Djava.awt.headless=true'];

/** Where distributions install JDKs on Linux; searched when the default Java is too old. */
const JVM_DIR = '/usr/lib/jvm';

function majorVersion(home: string): number {
  try {
    const m = /JAVA_VERSION="(\d+)/.exec(readFileSync(join(home, 'release'), 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function defaultJavaHome(): string | undefined {
  if (process.env.JAVA_HOME) return process.env.JAVA_HOME;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'java');
    if (existsSync(candidate)) return dirname(dirname(realpathSync(candidate)));
  }
  return undefined;
}

/**
 * A JDK home of at least `minMajor`: `override` (an environment variable's value)
 * when set, else JAVA_HOME or the `java` on PATH when new enough, else the
 * lowest suitable JDK under /usr/lib/jvm.
 */
export function javaHome(minMajor: number, override?: string): string {
  if (override) return override;
  const fallback = defaultJavaHome();
  if (fallback && majorVersion(fallback) >= minMajor) return fallback;
  const found = (existsSync(JVM_DIR) ? readdirSync(JVM_DIR) : [])
    .map((name) => join(JVM_DIR, name))
    .map((home) => ({ home, major: majorVersion(home) }))
    .filter((j) => j.major >= minMajor)
    .sort((a, b) => a.major - b.major)[0];
  if (found) return found.home;
  throw new Error(`No Java ${minMajor} or newer found (JAVA_HOME, PATH, ${JVM_DIR}). Install one or set JAVA_HOME.`);
}

export const javaBinary = (home: string) => join(home, 'bin', 'java');
