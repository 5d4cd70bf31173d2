/**
 * Fault injection for integration tests: stops and starts the real servers the
 * harness runs, through its control API (HARNESS_CONTROL_URL). A start returns
 * once the server serves again on the same ports with the same data.
 *
 *   await stopServer('elasticsearch');  ...  await startServer('elasticsearch');
 *   await restartServer('kafka');
 */
export type ControlledServer = 'kafka' | 'elasticsearch' | 'registry' | `kafka-${number}` | `elasticsearch-${number}`;

function controlUrl(): string {
  const url = process.env.HARNESS_CONTROL_URL;
  if (!url) {
    throw new Error(
      'HARNESS_CONTROL_URL is not set: fault-injection tests need servers the harness started. ' +
        'Run them through `npm test`, or source the env file written by `npm run stack -- --env-file FILE`.',
    );
  }
  return url;
}

async function control(server: ControlledServer, action: 'stop' | 'start' | 'restart' | 'kill'): Promise<number> {
  const res = await fetch(`${controlUrl()}/${server}/${action}`, { method: 'POST', signal: AbortSignal.timeout(300_000) });
  const body = (await res.json()) as { ms?: number; error?: string };
  if (!res.ok) throw new Error(`Harness control ${action} ${server} failed: ${body.error ?? res.status}`);
  return body.ms ?? 0;
}

/** Ends the server's process; resolves when it is gone. Returns the milliseconds it took. */
export const stopServer = (server: ControlledServer) => control(server, 'stop');
/** Starts it again on the same ports and data; resolves when it is ready. */
export const startServer = (server: ControlledServer) => control(server, 'start');
/** Stop, then start. */
export const restartServer = (server: ControlledServer) => control(server, 'restart');
/** SIGKILL of the server's process group (cluster nodes, the registry); start it again with startServer. */
export const killServer = (server: ControlledServer) => control(server, 'kill');
