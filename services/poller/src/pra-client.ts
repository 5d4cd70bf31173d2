/**
 * HTTP to one PRA site (undici): the OAuth2 token, and report requests whose
 * body is handed over chunk by chunk. Every request closes its connection
 * (the vendor asks for it), waits for the site's token bucket, and has a
 * timeout for the headers and between body chunks, and an overall deadline
 * from the request to the end of its body. An error body and a token body are
 * read only up to a small cap (the status and a prefix are kept for the log).
 * A 401 renews the token once and retries once.
 */
import { readFileSync } from 'node:fs';
import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';
import { inSpan, PipelineError, SpanKind, type Logger } from '@pra-pipeline/shared';
import type { SiteConfig } from './sites.js';
import { TokenBucket } from './token-bucket.js';
import { TokenCache, type IssuedToken } from './token-cache.js';
import { parseRetryAfter } from './retry-policy.js';
import type { Endpoint, PollerMetrics, RequestOutcome } from './telemetry.js';

export type ReportQuery =
  | { kind: 'start_time'; start: number; duration: number }
  | { kind: 'listing'; start: number; duration: number }
  | { kind: 'lsids'; lsids: readonly string[] };

export interface SiteHealth {
  ok: boolean;
  detail: string;
}

/** Most bytes of an error body read; the rest is never received. */
export const ERROR_BODY_CAP = 64 * 1024;
/** Most bytes of a token response read: a real one is well under 4 KiB. */
export const TOKEN_BODY_CAP = 64 * 1024;
/** Characters of an error body kept for the log. */
const BODY_PREFIX_CHARS = 512;

export interface CappedBody {
  /** At most `cap` bytes. */
  bytes: Buffer;
  /** Bytes received (at most one chunk beyond the cap). */
  received: number;
  /** True when the body was longer than the cap; the rest was not read. */
  truncated: boolean;
}

/**
 * Reads a body up to `cap` bytes, then stops: the stream is destroyed, so a
 * body of any size costs at most the cap and one chunk of memory.
 */
export async function readCapped(body: AsyncIterable<Buffer> & { destroy(err?: Error): unknown }, cap: number): Promise<CappedBody> {
  const parts: Buffer[] = [];
  let kept = 0;
  let received = 0;
  for await (const chunk of body) {
    received += chunk.length;
    const room = cap - kept;
    if (chunk.length > room) {
      if (room > 0) parts.push(Buffer.from(chunk.subarray(0, room)));
      kept = cap;
      body.destroy();
      return { bytes: Buffer.concat(parts), received, truncated: true };
    }
    parts.push(Buffer.from(chunk));
    kept += chunk.length;
  }
  return { bytes: Buffer.concat(parts), received, truncated: false };
}

/** The first characters of a body, printable, for the log. */
function bodyPrefix(body: CappedBody): string {
  // eslint-disable-next-line no-control-regex
  return body.bytes.subarray(0, BODY_PREFIX_CHARS * 4).toString('utf8').slice(0, BODY_PREFIX_CHARS).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '?');
}

/** An AbortSignal that fires at the request's deadline (and when `outer` aborts). */
class Deadline {
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  expired = false;

  constructor(ms: number, outer: AbortSignal | undefined) {
    this.#timer = setTimeout(() => {
      this.expired = true;
      this.#controller.abort(new Error(`deadline of ${ms} ms`));
    }, ms);
    this.#timer.unref();
    this.signal = outer ? AbortSignal.any([outer, this.#controller.signal]) : this.#controller.signal;
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

export interface PraClientDeps {
  metrics: PollerMetrics;
  logger: Logger;
  now?: () => number;
}

export function queryParams(query: ReportQuery): URLSearchParams {
  switch (query.kind) {
    case 'start_time':
      return new URLSearchParams({ generate_report: 'AccessSession', start_time: String(query.start), duration: String(query.duration) });
    case 'listing':
      return new URLSearchParams({ generate_report: 'AccessSessionListing', end_time: String(query.start), duration: String(query.duration) });
    case 'lsids':
      return new URLSearchParams({ generate_report: 'AccessSession', lsids: query.lsids.join(',') });
  }
}

function endpointOf(query: ReportQuery): Endpoint {
  return query.kind === 'listing' ? 'access_session_listing' : 'access_session';
}

export function buildDispatcher(site: SiteConfig, logger: Logger): Dispatcher {
  if (site.url.startsWith('http://')) {
    logger.warn({ site: site.name, url: site.url }, 'PRA_ALLOW_INSECURE_HTTP: the site is polled over plain http://, so its client credentials and tokens travel in clear.');
  }
  if (!site.tlsVerify) logger.warn({ site: site.name }, 'TLS verification of the site is off: its certificate is not checked.');
  const tls = {
    rejectUnauthorized: site.tlsVerify,
    ...(site.tlsCaFile ? { ca: readFileSync(site.tlsCaFile, 'utf8') } : {}),
    ...(site.tlsCertFile ? { cert: readFileSync(site.tlsCertFile, 'utf8') } : {}),
    ...(site.tlsKeyFile ? { key: readFileSync(site.tlsKeyFile, 'utf8') } : {}),
  };
  if (site.proxyUrl) return new ProxyAgent({ uri: site.proxyUrl, requestTls: tls });
  return new Agent({ connect: tls });
}

/** A failure of the exchange itself (no usable response). */
function networkError(err: unknown, endpoint: Endpoint, site: string, deadline?: { ms: number; expired: boolean }): { error: PipelineError; outcome: RequestOutcome } {
  if (err instanceof PipelineError) return { error: err, outcome: err.code === 'PIPE_UPSTREAM_TOO_LARGE' ? 'too_large' : 'network' };
  if (deadline?.expired) {
    return {
      error: new PipelineError('PIPE_UPSTREAM_TIMEOUT', `Request to ${endpoint} did not finish within its deadline of ${deadline.ms} ms (PRA_REQUEST_DEADLINE).`, {
        cause: err,
        context: { site, deadlineMs: deadline.ms },
      }),
      outcome: 'timeout',
    };
  }
  const code = (err as { code?: string }).code ?? '';
  const name = (err as Error).name ?? '';
  if (name === 'AbortError' || code === 'ABORT_ERR' || code === 'UND_ERR_ABORTED') {
    return { error: new PipelineError('PIPE_UPSTREAM_HTTP', `Request to ${endpoint} aborted.`, { cause: err, retryable: false, context: { site, aborted: true } }), outcome: 'aborted' };
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return { error: new PipelineError('PIPE_UPSTREAM_TIMEOUT', `Request to ${endpoint} timed out (${code}).`, { cause: err, context: { site } }), outcome: 'timeout' };
  }
  return {
    error: new PipelineError('PIPE_UPSTREAM_HTTP', `Request to ${endpoint} failed: ${code || (err as Error).message}.`, { cause: err, context: { site, network: true } }),
    outcome: 'network',
  };
}

/** Wraps what `onChunk` threw, to tell it from a failure of the exchange. */
class ConsumerFailure extends Error {
  constructor(cause: unknown) {
    super('chunk consumer failed', { cause });
  }
}

/** A request that failed before its response, and whether its deadline had passed. */
class SendFailure extends Error {
  readonly deadlineExpired: boolean;
  constructor(cause: unknown, deadlineExpired: boolean) {
    super('request failed', { cause });
    this.deadlineExpired = deadlineExpired;
  }
}

export class PraClient {
  readonly site: SiteConfig;
  readonly health: SiteHealth = { ok: false, detail: 'not polled yet' };
  readonly #deps: PraClientDeps;
  readonly #dispatcher: Dispatcher;
  readonly #bucket: TokenBucket;
  readonly #tokens: TokenCache;
  readonly #now: () => number;

  constructor(site: SiteConfig, deps: PraClientDeps, dispatcher?: Dispatcher) {
    this.site = site;
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#dispatcher = dispatcher ?? buildDispatcher(site, deps.logger);
    this.#bucket = new TokenBucket({ rate: site.rateLimit });
    this.#tokens = new TokenCache({
      fetchToken: () => this.#fetchToken(),
      onRenew: (reason) => deps.metrics.tokenRenewals.inc({ site: site.name, reason }),
    });
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  /** Asks the site for a token once (for `pra-pipeline check`); throws why it failed. */
  async checkCredentials(): Promise<void> {
    await this.#fetchToken();
  }

  #count(endpoint: Endpoint, outcome: RequestOutcome, started: number, bytes: number): void {
    const labels = { site: this.site.name, endpoint };
    this.#deps.metrics.requests.inc({ ...labels, outcome });
    this.#deps.metrics.requestDuration.observe(labels, (this.#now() - started) / 1000);
    if (bytes > 0) {
      this.#deps.metrics.receivedBytes.inc(labels, bytes);
      this.#deps.metrics.responseSize.observe(labels, bytes);
    }
  }

  #setHealth(ok: boolean, detail: string): void {
    this.health.ok = ok;
    this.health.detail = detail;
    this.#deps.metrics.siteUp.set({ site: this.site.name }, ok ? 1 : 0);
  }

  /** Waits for the bucket, then sends; the deadline runs from here to the end of the body (the caller clears it). */
  async #send(path: string, options: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string; signal?: AbortSignal | undefined }) {
    await this.#bucket.take(options.signal);
    const deadline = new Deadline(this.site.requestDeadlineMs, options.signal);
    try {
      const res = await request(`${this.site.url}${path}`, {
        dispatcher: this.#dispatcher,
        method: options.method,
        headers: { connection: 'close', 'user-agent': 'pra-pipeline-poller', ...options.headers },
        ...(options.body !== undefined ? { body: options.body } : {}),
        headersTimeout: this.site.httpTimeoutMs,
        bodyTimeout: this.site.httpTimeoutMs,
        signal: deadline.signal,
      });
      return { res, deadline };
    } catch (err) {
      deadline.clear();
      throw new SendFailure(err, deadline.expired);
    }
  }

  /** Fails with a retryable or final error for a non-200 status; throttling pauses the bucket. */
  #statusError(endpoint: Endpoint, status: number, headers: Record<string, string | string[] | undefined>, body: CappedBody): { error: PipelineError; outcome: RequestOutcome } {
    const retryAfter = headers['retry-after'];
    const retryAfterMs = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, this.#now());
    const context = {
      site: this.site.name,
      status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      body: bodyPrefix(body),
      ...(body.truncated ? { bodyTruncatedAt: ERROR_BODY_CAP } : {}),
    };
    if (status === 429 || (status === 503 && retryAfterMs !== undefined)) {
      this.#bucket.pause(retryAfterMs ?? 1000);
      return { error: new PipelineError('PIPE_UPSTREAM_HTTP', `${endpoint} answered HTTP ${status} (throttled).`, { context }), outcome: 'throttled' };
    }
    if (status === 401 || status === 403) {
      return { error: new PipelineError('PIPE_UPSTREAM_AUTH', `${endpoint} answered HTTP ${status}.`, { retryable: false, context }), outcome: 'unauthorized' };
    }
    const retryable = status >= 500 || status === 408;
    return {
      error: new PipelineError('PIPE_UPSTREAM_HTTP', `${endpoint} answered HTTP ${status}.`, { retryable, context }),
      outcome: status >= 500 ? 'http_5xx' : 'http_4xx',
    };
  }

  async #fetchToken(): Promise<IssuedToken> {
    const started = this.#now();
    const basic = Buffer.from(`${this.site.clientId}:${this.site.clientSecret}`).toString('base64');
    let body: CappedBody;
    let deadline: Deadline | undefined;
    try {
      const sent = await this.#send('/oauth2/token', {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: 'grant_type=client_credentials',
      });
      deadline = sent.deadline;
      const res = sent.res;
      const status = res.statusCode;
      body = await readCapped(res.body, status === 200 ? TOKEN_BODY_CAP : ERROR_BODY_CAP);
      if (status !== 200) {
        const { error, outcome } = this.#statusError('token', status, res.headers, body);
        this.#count('token', outcome, started, body.received);
        if (status === 400 || status === 401 || status === 403) {
          this.#setHealth(false, `credentials rejected (HTTP ${status})`);
          throw new PipelineError('PIPE_UPSTREAM_AUTH', `The site rejected the client credentials (HTTP ${status}).`, { retryable: false, context: error.context });
        }
        throw error;
      }
      if (body.truncated) {
        this.#count('token', 'too_large', started, body.received);
        this.#setHealth(false, `token response larger than ${TOKEN_BODY_CAP} bytes`);
        throw new PipelineError('PIPE_UPSTREAM_TOO_LARGE', `The token response is larger than ${TOKEN_BODY_CAP} bytes; the rest was not read.`, {
          context: { site: this.site.name, status, body: bodyPrefix({ ...body, bytes: body.bytes.subarray(0, 64) }) },
        });
      }
    } catch (err) {
      if (err instanceof PipelineError) throw err;
      const failure = err instanceof SendFailure ? err : new SendFailure(err, deadline?.expired ?? false);
      const { error, outcome } = networkError(failure.cause, 'token', this.site.name, { ms: this.site.requestDeadlineMs, expired: failure.deadlineExpired });
      this.#count('token', outcome, started, 0);
      if (outcome !== 'aborted') this.#setHealth(false, `unreachable: ${error.message}`);
      throw error;
    } finally {
      deadline?.clear();
    }
    this.#count('token', 'ok', started, body.received);
    let parsed: { access_token?: unknown; token_type?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(body.bytes.toString('utf8')) as typeof parsed;
    } catch (err) {
      throw new PipelineError('PIPE_UPSTREAM_AUTH', 'The token response is not JSON.', { cause: err, context: { site: this.site.name } });
    }
    if (typeof parsed.access_token !== 'string' || parsed.access_token === '' || String(parsed.token_type ?? 'bearer').toLowerCase() !== 'bearer') {
      throw new PipelineError('PIPE_UPSTREAM_AUTH', 'The token response has no bearer access_token.', { context: { site: this.site.name } });
    }
    const expiresIn = Number(parsed.expires_in);
    return { accessToken: parsed.access_token, expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600 };
  }

  /**
   * Requests a report and hands each body chunk to `onChunk` (awaited, so a
   * slow consumer slows the download). Resolves with the body size. The site
   * counts as healthy only once a whole body has arrived.
   */
  async report(query: ReportQuery, onChunk: (chunk: Buffer) => Promise<void> | void, signal?: AbortSignal): Promise<number> {
    const attributes = { 'http.request.method': 'GET', 'url.path': '/api/reporting', 'server.address': new URL(this.site.url).hostname, 'pra.site': this.site.name, 'pra.query': query.kind };
    return inSpan('GET /api/reporting', { kind: SpanKind.CLIENT, attributes }, async (span) => {
      const bytes = await this.#report(query, onChunk, signal);
      span?.setAttribute('http.response.body.size', bytes);
      return bytes;
    });
  }

  async #report(query: ReportQuery, onChunk: (chunk: Buffer) => Promise<void> | void, signal?: AbortSignal): Promise<number> {
    const endpoint = endpointOf(query);
    const path = `/api/reporting?${queryParams(query).toString()}`;
    for (let attempt = 1; ; attempt++) {
      const token = await this.#tokens.get();
      const started = this.#now();
      let bytes = 0;
      let deadline: Deadline | undefined;
      try {
        const sent = await this.#send(path, { method: 'GET', headers: { authorization: `Bearer ${token}`, accept: 'application/xml' }, signal });
        deadline = sent.deadline;
        const res = sent.res;
        if (res.statusCode !== 200) {
          const body = await readCapped(res.body, ERROR_BODY_CAP).catch(() => ({ bytes: Buffer.alloc(0), received: 0, truncated: false }));
          const { error, outcome } = this.#statusError(endpoint, res.statusCode, res.headers, body);
          this.#count(endpoint, outcome, started, body.received);
          if (res.statusCode === 401 && attempt === 1) {
            this.#tokens.invalidate(token);
            continue;
          }
          if (res.statusCode === 401 || res.statusCode === 403) this.#setHealth(false, `requests refused (HTTP ${res.statusCode})`);
          throw error;
        }
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          bytes += chunk.length;
          if (bytes > this.site.maxResponseBytes) {
            res.body.destroy();
            throw new PipelineError('PIPE_UPSTREAM_TOO_LARGE', `The response is larger than ${this.site.maxResponseBytes} bytes.`, {
              context: { site: this.site.name, query: query.kind },
            });
          }
          try {
            await onChunk(chunk);
          } catch (inner) {
            throw new ConsumerFailure(inner);
          }
        }
        this.#setHealth(true, 'ok');
        this.#count(endpoint, 'ok', started, bytes);
        return bytes;
      } catch (err) {
        if (err instanceof PipelineError && err.context.status !== undefined) throw err;
        if (err instanceof ConsumerFailure) {
          // The splitter or the publisher failed; the exchange itself went fine.
          this.#count(endpoint, 'ok', started, bytes);
          throw err.cause;
        }
        const failure = err instanceof SendFailure ? err : new SendFailure(err, deadline?.expired ?? false);
        const { error, outcome } = networkError(failure.cause, endpoint, this.site.name, { ms: this.site.requestDeadlineMs, expired: failure.deadlineExpired });
        this.#count(endpoint, outcome, started, bytes);
        if (outcome === 'network' || outcome === 'timeout') this.#setHealth(false, `unreachable: ${error.message}`);
        throw error;
      } finally {
        deadline?.clear();
      }
    }
  }
}
