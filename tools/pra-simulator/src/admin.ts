/**
 * The simulator's own endpoints, under /_sim/ (no authentication; the
 * simulator binds 127.0.0.1):
 *
 *   GET    /_sim/health                 {"ok":true}
 *   GET    /_sim/sites                  sites, their URLs and poller site names
 *   GET    /_sim/clock                  {"now","unix","kind"}
 *   POST   /_sim/clock/advance          {"seconds":N} (or ?seconds=N)
 *   POST   /_sim/clock/set              {"time":"ISO 8601"} (forward only)
 *   GET    /_sim/ground-truth           NDJSON of visible events (?site=, ?format=json for an array)
 *   GET    /_sim/event-ids              NDJSON of the expected event ids (?site=)
 *   GET    /_sim/faults                 active rules (?all=1: every rule since the start, with sentBytes)
 *   POST   /_sim/faults                 add a rule, an array of rules, or {"rules":[...]}
 *   DELETE /_sim/faults                 remove every rule (or ?id=N for one)
 *   GET    /_sim/settings               language, namespace, timestampFormat, runningEndTime, tokenTtlSeconds
 *   POST   /_sim/settings               change any of them
 *   POST   /_sim/tokens/revoke          invalidate the tokens of {"site":name} or of every site
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { eventIdOf, groundTruthOf, toNdjson } from './ground-truth.js';
import { readBody, sendJson } from './http-util.js';
import { isLanguage } from './messages.js';
import type { GroundTruthEntry } from './model.js';
import type { SimState } from './state.js';
import { streamBody } from './stream.js';

export function* allGroundTruth(state: SimState, site?: string): Generator<GroundTruthEntry> {
  const nowSec = state.nowSec();
  for (const s of state.sites) {
    if (site === undefined || s.name === site || s.pollerSite === site) yield* groundTruthOf(s.generator, s.pollerSite, nowSec);
  }
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown> | unknown[]> {
  const text = await readBody(req);
  if (text.trim() === '') return {};
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null) throw new Error('The body must be a JSON object or array');
  return parsed as Record<string, unknown>;
}

function applySettings(state: SimState, body: Record<string, unknown>): void {
  const s = state.settings;
  if (body.language !== undefined) {
    if (!isLanguage(body.language)) throw new Error('language must be en, fr or de');
    s.language = body.language;
  }
  if (body.namespace !== undefined) {
    if (typeof body.namespace !== 'boolean') throw new Error('namespace must be true or false');
    s.namespace = body.namespace;
  }
  if (body.timestampFormat !== undefined) {
    if (body.timestampFormat !== 'unix' && body.timestampFormat !== 'iso') throw new Error('timestampFormat must be unix or iso');
    s.timestampFormat = body.timestampFormat;
  }
  if (body.runningEndTime !== undefined) {
    if (body.runningEndTime !== 'omit' && body.runningEndTime !== 'empty') throw new Error('runningEndTime must be omit or empty');
    s.runningEndTime = body.runningEndTime;
  }
  if (body.tokenTtlSeconds !== undefined) {
    const ttl = body.tokenTtlSeconds;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl <= 0) throw new Error('tokenTtlSeconds must be a positive integer');
    s.tokenTtlSeconds = ttl;
  }
}

function clockView(state: SimState) {
  const now = state.clock.now();
  return { now: new Date(now).toISOString(), unix: Math.floor(now / 1000), kind: state.clock.kind };
}

export async function handleAdmin(state: SimState, baseUrl: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://simulator');
  const route = `${req.method} ${url.pathname.replace(/\/+$/, '')}`;
  const site = url.searchParams.get('site') ?? undefined;
  try {
    switch (route) {
      case 'GET /_sim/health':
        return sendJson(res, 200, { ok: true });
      case 'GET /_sim/sites':
        return sendJson(res, 200, state.sites.map((s) => ({ name: s.name, pollerSite: s.pollerSite, url: `${baseUrl}/s/${s.name}`, hosts: s.hosts, clientId: s.clientId })));
      case 'GET /_sim/clock':
        return sendJson(res, 200, clockView(state));
      case 'POST /_sim/clock/advance': {
        const body = (await jsonBody(req)) as Record<string, unknown>;
        const seconds = Number(url.searchParams.get('seconds') ?? body.seconds);
        if (!Number.isFinite(seconds) || seconds < 0) throw new Error('seconds must be a non-negative number');
        state.clock.advance(seconds * 1000);
        return sendJson(res, 200, clockView(state));
      }
      case 'POST /_sim/clock/set': {
        const body = (await jsonBody(req)) as Record<string, unknown>;
        const ms = Date.parse(String(url.searchParams.get('time') ?? body.time));
        if (!Number.isFinite(ms)) throw new Error('time must be an ISO 8601 date');
        state.clock.set(ms);
        return sendJson(res, 200, clockView(state));
      }
      case 'GET /_sim/ground-truth': {
        if (url.searchParams.get('format') === 'json') return sendJson(res, 200, [...allGroundTruth(state, site)]);
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        await streamBody(res, toNdjson(allGroundTruth(state, site)));
        return;
      }
      case 'GET /_sim/event-ids': {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        const ids = function* () {
          for (const e of allGroundTruth(state, site)) yield `${JSON.stringify(eventIdOf(e))}\n`;
        };
        await streamBody(res, ids());
        return;
      }
      case 'GET /_sim/faults':
        return sendJson(res, 200, url.searchParams.get('all') === '1' ? state.faults.history() : state.faults.list());
      case 'POST /_sim/faults': {
        const body = await jsonBody(req);
        const rules = Array.isArray(body) ? body : Array.isArray(body.rules) ? body.rules : body;
        return sendJson(res, 201, state.faults.add(rules as never));
      }
      case 'DELETE /_sim/faults': {
        const id = url.searchParams.get('id');
        if (id === null) state.faults.clear();
        else if (!state.faults.remove(Number(id))) return sendJson(res, 404, { error: `No fault rule ${id}` });
        return sendJson(res, 200, state.faults.list());
      }
      case 'GET /_sim/settings':
        return sendJson(res, 200, state.settings);
      case 'POST /_sim/settings': {
        const body = await jsonBody(req);
        if (Array.isArray(body)) throw new Error('The body must be a JSON object');
        applySettings(state, body);
        return sendJson(res, 200, state.settings);
      }
      case 'POST /_sim/tokens/revoke': {
        const body = (await jsonBody(req)) as Record<string, unknown>;
        const which = typeof body.site === 'string' ? body.site : site;
        return sendJson(res, 200, { revoked: state.tokens.revoke(which) });
      }
      default:
        return sendJson(res, 404, { error: `No admin route ${route}` });
    }
  } catch (err) {
    sendJson(res, 400, { error: (err as Error).message });
  }
}
