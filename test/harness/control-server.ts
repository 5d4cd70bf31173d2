/**
 * The harness's control API on 127.0.0.1, for fault injection from tests
 * (which run in child processes): POST /kafka/stop|start|restart and
 * POST /elasticsearch/stop|start|restart; in cluster mode also each node
 * (/kafka-1/..., /elasticsearch-2/...) and POST /<server>/kill (SIGKILL of its
 * process group, for servers that support it). A start waits until the server
 * serves again on the same ports with the same data. Requests run one at a time.
 */
import { createServer, type Server } from 'node:http';
import { freePort } from './process.js';
import type { TestServer } from './server.js';

export type ControlAction = 'stop' | 'start' | 'restart' | 'kill';

export async function startControlServer(
  servers: Record<string, TestServer>,
  log: (line: string) => void,
  taken: Set<number>,
): Promise<{ url: string; close(): Promise<void> }> {
  let queue: Promise<unknown> = Promise.resolve();
  const act = async (server: TestServer, action: ControlAction): Promise<void> => {
    log(`control: ${action} ${server.name}`);
    if (action === 'kill') {
      if (!server.kill) throw new Error(`${server.name} cannot be killed through the control API`);
      await server.kill();
      return;
    }
    if (action !== 'start') await server.stop();
    if (action !== 'stop') await server.start();
  };

  const http: Server = createServer((req, res) => {
    const [, name, action] = (req.url ?? '').split('?')[0]!.split('/');
    const server = name ? servers[name] : undefined;
    const reply = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || !server || !['stop', 'start', 'restart', 'kill'].includes(action ?? '')) {
      reply(404, { error: `Use POST /{${Object.keys(servers).join('|')}}/{stop|start|restart|kill}.` });
      return;
    }
    req.resume();
    const t0 = Date.now();
    const run = () => act(server, action as ControlAction);
    const done = queue.then(run, run);
    queue = done.catch(() => undefined);
    done.then(
      () => reply(200, { server: name, action, ms: Date.now() - t0 }),
      (err: Error) => reply(500, { server: name, action, error: err.message }),
    );
  });
  const port = await freePort(taken);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}
