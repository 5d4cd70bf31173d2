/**
 * The operations endpoint every service exposes: /livez, /readyz (one line per
 * dependency) and /metrics. Building the app is separate from listening, so
 * tests use `app.inject()` and need no port.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export interface DependencyStatus {
  ok: boolean;
  /** Short, human-readable, never a secret. */
  detail?: string;
}

export type ReadinessCheck = () => DependencyStatus | Promise<DependencyStatus>;

export interface OpsAppOptions {
  metrics: Metrics;
  readiness: Record<string, ReadinessCheck>;
  logger?: Logger;
  /** Liveness: false once the process cannot recover by itself (e.g. a fenced producer). */
  live?: () => boolean;
}

const CHECK_TIMEOUT_MS = 2000;

async function runCheck(check: ReadinessCheck): Promise<DependencyStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DependencyStatus>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: 'check timed out' }), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([Promise.resolve().then(check), timeout]);
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export function buildOpsApp(options: OpsAppOptions): FastifyInstance {
  // No request logs: probes every few seconds would drown the service's own lines.
  const app = Fastify({ logger: false });

  app.get('/livez', async (_req, reply) => {
    const live = options.live ? options.live() : true;
    return reply.code(live ? 200 : 503).send({ status: live ? 'ok' : 'failed' });
  });

  app.get('/readyz', async (_req, reply) => {
    const entries = await Promise.all(
      Object.entries(options.readiness).map(async ([name, check]) => [name, await runCheck(check)] as const),
    );
    const dependencies = Object.fromEntries(entries);
    const ready = entries.every(([, status]) => status.ok);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', dependencies });
  });

  app.get('/metrics', async (_req, reply) => {
    const body = await options.metrics.text();
    return reply.header('content-type', options.metrics.contentType).send(body);
  });

  return app;
}

export async function listenOpsApp(app: FastifyInstance, host: string, port: number): Promise<string> {
  return app.listen({ host, port });
}
