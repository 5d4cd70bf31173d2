/**
 * The appliance's two endpoints for one site: POST /oauth2/token and
 * GET|POST /api/reporting, with faults applied where rules say so.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultRule } from './faults.js';
import { isHostile, sendHostile } from './hostile.js';
import { BodyTooLarge, isForm, parseBasic, parseBearer, readBody, sendJson, sendText } from './http-util.js';
import { message } from './messages.js';
import { parseQuery } from './query.js';
import type { RequestTracker } from './request-tracker.js';
import { peek, selectSessions } from './select.js';
import type { SimState, SiteRuntime } from './state.js';
import { streamBody, type Cut } from './stream.js';
import { errorDocument, renderSessionList, renderSessionSummaryList, type RenderOptions } from './xml-writer.js';

const XML = 'text/xml; charset=UTF-8';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function renderOptions(state: SimState, site: SiteRuntime): RenderOptions {
  const { namespace, timestampFormat, runningEndTime } = state.settings;
  return { namespace, timestampFormat, runningEndTime, publicHost: site.publicHost };
}

function cutOf(fault: FaultRule | undefined): Cut | undefined {
  if (!fault || (fault.kind !== 'reset' && fault.kind !== 'truncate' && fault.kind !== 'malformed')) return undefined;
  return { mode: fault.kind, afterBytes: fault.afterBytes ?? 1024 };
}

/**
 * Applies faults that replace or delay the answer. Returns true when the
 * request has been dealt with (or is deliberately left hanging).
 */
async function preempt(fault: FaultRule | undefined, res: ServerResponse, tracker: RequestTracker): Promise<boolean> {
  if (!fault) return false;
  switch (fault.kind) {
    case 'slow':
      await tracker.sleep(fault.delayMs ?? 2000);
      return res.destroyed;
    case 'timeout':
      // Never answer; the client's timeout (or the simulator stopping) ends it.
      return true;
    case 'status': {
      const status = fault.status ?? 503;
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      sendText(res, status, 'text/plain; charset=utf-8', `Simulated HTTP ${status}\n`, headers);
      return true;
    }
    default:
      return false;
  }
}

export async function handleToken(state: SimState, site: SiteRuntime, req: IncomingMessage, res: ServerResponse, tracker: RequestTracker): Promise<void> {
  if (req.method !== 'POST') {
    sendJson(res, 405, { error: 'invalid_request', error_description: 'Use POST.' }, { allow: 'POST' });
    return;
  }
  let body: string;
  try {
    body = await readBody(req, 64 * 1024);
  } catch (err) {
    sendJson(res, err instanceof BodyTooLarge ? 413 : 400, { error: 'invalid_request' });
    return;
  }
  const fault = state.faults.pick({ endpoint: 'token', site: site.name });
  if (await preempt(fault, res, tracker)) return;
  const credentials = parseBasic(req.headers.authorization);
  if (!credentials || credentials.id !== site.clientId || !sameSecret(credentials.secret, site.clientSecret)) {
    sendJson(res, 401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="oauth2"' });
    return;
  }
  const form = new URLSearchParams(isForm(req) ? body : '');
  const grant = form.get('grant_type');
  if (grant !== 'client_credentials') {
    sendJson(res, 400, { error: grant === null ? 'invalid_request' : 'unsupported_grant_type' });
    return;
  }
  if (fault?.kind === 'error-element') {
    sendJson(res, 500, { error: 'server_error', error_description: fault.message ?? 'Simulated failure.' });
    return;
  }
  const ttl = state.settings.tokenTtlSeconds;
  const lifetime = fault?.kind === 'token-expiry' ? (fault.lifetimeSeconds ?? 0) : ttl;
  const issue = () => JSON.stringify({ access_token: state.tokens.issue(site.name, site.clientId, lifetime * 1000), token_type: 'Bearer', expires_in: ttl });
  if (isHostile(fault)) return sendHostile(fault, 'token', res, state.faults, tracker, issue);
  const text = issue();
  const cut = cutOf(fault);
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  await streamBody(res, [text], cut);
}

export async function handleReporting(state: SimState, site: SiteRuntime, req: IncomingMessage, res: ServerResponse, tracker: RequestTracker): Promise<void> {
  const language = state.settings.language;
  const options = renderOptions(state, site);
  if (req.method !== 'GET' && req.method !== 'POST') {
    sendText(res, 405, XML, errorDocument(message('invalidParameters', language, 'use GET or POST.'), options), { allow: 'GET, POST' });
    return;
  }
  let params = new URL(req.url ?? '/', 'http://simulator').searchParams;
  if (req.method === 'POST') {
    let body: string;
    try {
      body = await readBody(req);
    } catch (err) {
      sendText(res, err instanceof BodyTooLarge ? 413 : 400, XML, errorDocument(message('invalidParameters', language, 'unreadable body.'), options));
      return;
    }
    if (!isForm(req)) {
      sendText(res, 200, XML, errorDocument(message('invalidParameters', language, 'POST bodies must be application/x-www-form-urlencoded.'), options));
      return;
    }
    params = new URLSearchParams(body);
  }
  const fault = state.faults.pick({ endpoint: 'reporting', site: site.name, report: params.get('generate_report') ?? '' });
  if (await preempt(fault, res, tracker)) return;

  const token = parseBearer(req.headers.authorization);
  if (!token || !state.tokens.check(site.name, token)) {
    sendText(res, 401, XML, errorDocument(message('unauthorized', language), options), { 'www-authenticate': 'Bearer error="invalid_token"' });
    return;
  }
  if (isHostile(fault) && fault.kind !== 'trickle') return sendHostile(fault, 'reporting', res, state.faults, tracker, () => '');
  const cut = cutOf(fault);
  const reply = async (pieces: Iterable<string>) => {
    if (fault?.kind === 'trickle') return sendHostile(fault, 'reporting', res, state.faults, tracker, () => [...pieces].join(''));
    res.writeHead(200, { 'content-type': XML });
    await streamBody(res, pieces, cut);
  };
  if (fault?.kind === 'error-element') {
    await reply([errorDocument(fault.message ?? message('internalFailure', language), options)]);
    return;
  }
  const parsed = parseQuery(params);
  if (!parsed.ok) {
    await reply([errorDocument(message(parsed.error, language, parsed.detail), options)]);
    return;
  }
  const nowSec = state.nowSec();
  const selected = peek(selectSessions(site.generator, parsed.query, nowSec));
  if (parsed.query.report === 'AccessSessionListing') {
    // The listing documents an empty list when nothing matches.
    await reply(renderSessionSummaryList(selected.empty ? [] : selected.all, nowSec, options));
    return;
  }
  if (selected.empty) {
    await reply([errorDocument(message('noData', language), options)]);
    return;
  }
  await reply(renderSessionList(selected.all, nowSec, options));
}
