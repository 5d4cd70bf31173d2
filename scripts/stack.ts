/**
 * `npm run stack`: starts the test servers (Kafka, Apicurio Registry,
 * Elasticsearch) for development and demos, prints their addresses on one line,
 * and stops them on Ctrl-C or SIGTERM.
 *
 *   npm run stack
 *   npm run stack -- --env-file FILE    also write the addresses as a sourceable file
 *   npm run stack -- --pid-file FILE    write this process's id (send it SIGTERM to stop)
 *   npm run stack -- --kafka-brokers 3 --es-nodes 2 [--toxiproxy]
 *                                       cluster mode, for the chaos runs (test/harness/stack.ts;
 *                                       also PRA_STACK_KAFKA_BROKERS, PRA_STACK_ES_NODES, PRA_STACK_TOXIPROXY=1)
 *
 * Stop it by signalling this node process itself: `npm run` does not pass
 * SIGTERM on to it (Ctrl-C in a terminal reaches the whole process group).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { clusterOptions, startStack } from '../test/harness/stack.js';

// The npm script ends with `--` so that node itself does not read --env-file (Node 20 does, anywhere in argv).
const args = process.argv.slice(2).filter((a) => a !== '--');
function option(name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (!value || value.startsWith('--')) {
    console.error('Usage: npm run stack [-- --env-file FILE] [--pid-file FILE] [--kafka-brokers N] [--es-nodes N] [--toxiproxy]');
    process.exit(2);
  }
  return value;
}
const envFile = option('--env-file');
const pidFile = option('--pid-file');
if (pidFile) writeFileSync(resolve(pidFile), `${process.pid}\n`);

const log = (line: string) => console.log(`[stack] ${line}`);
const stack = await startStack({ log, cluster: clusterOptions(args) });
const order = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'ES_NODE', 'KAFKA_SASL_BROKERS', 'HARNESS_CONTROL_URL'];
const names = [...order, ...Object.keys(stack.env).filter((k) => !order.includes(k))].filter((k) => stack.env[k] !== undefined);
log(Object.entries(stack.versions).map(([k, v]) => `${k} ${v}`).join(', '));
console.log(order.filter((k) => stack.env[k]).map((k) => `${k}=${stack.env[k]}`).join(' '));
if (envFile) {
  writeFileSync(resolve(envFile), names.map((k) => `export ${k}='${stack.env[k]}'`).join('\n') + '\n');
  log(`Wrote ${names.length} variables to ${envFile} (source it).`);
}
log('Press Ctrl-C to stop.');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping.`);
    void stack.stop().finally(() => {
      for (const file of [envFile, pidFile]) if (file) rmSync(resolve(file), { force: true });
      process.exit(0);
    });
  });
}
// Keep the event loop alive until a signal arrives.
setInterval(() => undefined, 1 << 30);
