/**
 * The HTTP(S) server: routes appliance requests to a site (path prefix
 * /s/<site>/, else the Host header, else the first site) and admin requests
 * to /_sim/. node:http directly, for raw control over streaming and resets.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { handleAdmin } from './admin.js';
import { handleReporting, handleToken } from './appliance.js';
import type { RequestTracker } from './request-tracker.js';
import { sendJson } from './http-util.js';
import type { SimState, SiteRuntime } from './state.js';

export interface RunningServer {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

function route(state: SimState, req: IncomingMessage): { site: SiteRuntime | undefined; path: string } {
  const pathname = new URL(req.url ?? '/', 'http://simulator').pathname;
  const prefixed = /^\/s\/([^/]+)(\/.*)?$/.exec(pathname);
  if (prefixed) {
    return { site: state.sites.find((s) => s.name === decodeURIComponent(prefixed[1]!)), path: prefixed[2] ?? '/' };
  }
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
  return { site: state.sites.find((s) => s.hosts.includes(host)) ?? state.sites[0], path: pathname };
}

export async function listen(
  state: SimState,
  options: { port: number; host: string; tls?: { cert: string | Buffer; key: string | Buffer } },
): Promise<RunningServer> {
  const timers = new Set<{ timer: NodeJS.Timeout; done: () => void }>();
  const tracker: RequestTracker = {
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const entry = {
          timer: setTimeout(() => {
            timers.delete(entry);
            resolve();
          }, ms),
          done: resolve,
        };
        timers.add(entry);
      }),
  };
  let baseUrl = '';
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    // The appliance's docs ask clients to close the connection after each call;
    // closing it here too spares in-process clients races on reused sockets.
    res.shouldKeepAlive = false;
    const work = async () => {
      const pathname = new URL(req.url ?? '/', 'http://simulator').pathname;
      if (pathname.startsWith('/_sim/')) return handleAdmin(state, baseUrl, req, res);
      const { site, path } = route(state, req);
      if (!site) return sendJson(res, 404, { error: 'Unknown site' });
      if (path === '/oauth2/token') return handleToken(state, site, req, res, tracker);
      if (path === '/api/reporting') return handleReporting(state, site, req, res, tracker);
      return sendJson(res, 404, { error: 'Not found' });
    };
    work().catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: (err as Error).message });
      else res.destroy();
    });
  };
  const server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler)
    : createHttpServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  baseUrl = `${options.tls ? 'https' : 'http'}://${hostPart}:${address.port}`;
  return {
    server,
    url: baseUrl,
    port: address.port,
    close: async () => {
      for (const entry of timers) {
        clearTimeout(entry.timer);
        entry.done();
      }
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
