/** The machine a run measured: cores, CPU model, memory, Node and Java versions, load. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  java: string;
  os: string;
  /** 1, 5 and 15 minute load averages when the run started. */
  loadAverage: number[];
}

function javaVersion(): string {
  const home = process.env.JAVA_HOME;
  const java = home ? `${home}/bin/java` : 'java';
  // `java -version` prints to stderr.
  const out = spawnSync(java, ['-version'], { encoding: 'utf8', timeout: 10_000 });
  return `${out.stderr ?? ''}${out.stdout ?? ''}`.split('\n')[0]?.trim() || 'not found';
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) return line.split(':').slice(1).join(':').trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}

function osName(): string {
  try {
    const pretty = readFileSync('/etc/os-release', 'utf8').split('\n').find((l) => l.startsWith('PRETTY_NAME='));
    if (pretty) return pretty.slice('PRETTY_NAME='.length).replace(/"/g, '');
  } catch {
    // not Linux
  }
  return process.platform;
}

export function describeMachine(): Machine {
  return {
    cores: cpus().length,
    cpuModel: cpuModel(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    java: javaVersion(),
    os: osName(),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
