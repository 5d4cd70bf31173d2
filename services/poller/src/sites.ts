/**
 * Sites: from PRA_SITES (JSON array) or the single-site PRA_URL group. Each
 * option of a site object has a PRA_* variable as its default; keys are the
 * variable's name without PRA_, in lower case (`interval`, `http_timeout`,
 * `tls_verify`, `tags`...), plus `name`, `url`, `client_id`, `client_secret`
 * and `client_secret_file`. Durations are written as in the variables ("5m").
 */
import { readFileSync } from 'node:fs';
import { envName, formatDuration, type VarSpec } from '@pra-pipeline/shared';
import type { PollerEnvConfig } from './variables.js';
import { siteDefaultVars } from './site-options.js';

export interface SiteConfig {
  /** Names the site in keys, headers, metrics and the transactional id. */
  readonly name: string;
  /** Base URL, scheme included, no trailing slash. */
  readonly url: string;
  readonly host: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly initialIntervalMs: number;
  readonly intervalMs: number;
  readonly httpTimeoutMs: number;
  readonly requestDeadlineMs: number;
  /** An http:// URL was explicitly allowed (PRA_ALLOW_INSECURE_HTTP). */
  readonly allowInsecureHttp: boolean;
  readonly proxyUrl: string | undefined;
  readonly tlsCaFile: string | undefined;
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  readonly tlsVerify: boolean;
  readonly preserveOriginalEvent: boolean;
  readonly preserveDuplicateCustomFields: boolean;
  readonly tags: readonly string[];
  readonly namespace: string;
  readonly maxWindowMs: number;
  readonly safetyLagMs: number;
  readonly closedOverlapMs: number;
  readonly openSessionMaxAgeMs: number;
  readonly rateLimit: number;
  readonly maxResponseBytes: number;
  readonly lsidsBatch: number;
}

type OptionKey = keyof typeof siteDefaultVars;

/** `praHttpTimeout` -> `http_timeout`. */
function jsonKey(key: string): string {
  return envName(key).replace(/^PRA_/, '').toLowerCase();
}

const OPTION_KEYS = Object.keys(siteDefaultVars) as OptionKey[];
const JSON_KEYS = new Map(OPTION_KEYS.map((k) => [jsonKey(k), k]));
const IDENTITY_KEYS = ['name', 'url', 'client_id', 'client_secret', 'client_secret_file'];

const SITE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** "pra.example.com" or "https://pra.example.com/" -> "https://pra.example.com". */
export function normalizeSiteUrl(raw: string): { url: string; host: string } {
  const text = raw.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new Error(`"${raw}" is not a host name or URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error(`"${parsed.protocol}" is not http or https`);
  if (parsed.search || parsed.hash) throw new Error('must not have a query or fragment');
  return { url: `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`, host: parsed.hostname };
}

export interface ResolvedSites {
  sites: SiteConfig[];
  secrets: string[];
  /** Each starts with the variable's name. */
  problems: string[];
}

export function resolveSites(config: PollerEnvConfig, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): ResolvedSites {
  const out: ResolvedSites = { sites: [], secrets: [], problems: [] };
  const single = config.praUrl !== undefined || config.praClientId !== undefined || config.praClientSecret !== undefined;
  if (config.praSites !== undefined && single) {
    out.problems.push('PRA_SITES: set either PRA_SITES (or PRA_SITES_FILE) or PRA_URL, PRA_CLIENT_ID and PRA_CLIENT_SECRET, not both');
    return out;
  }
  if (config.praSites === undefined) {
    resolveSingle(config, out);
  } else {
    resolveList(config, config.praSites, readFile, out);
  }
  const names = new Set<string>();
  for (const site of out.sites) {
    if (names.has(site.name)) out.problems.push(`PRA_SITES: two sites are named "${site.name}"; names must be unique`);
    names.add(site.name);
  }
  return out;
}

function defaults(config: PollerEnvConfig): Record<OptionKey, unknown> {
  return Object.fromEntries(OPTION_KEYS.map((k) => [k, config[k]])) as Record<OptionKey, unknown>;
}

function build(name: string, url: { url: string; host: string }, clientId: string, clientSecret: string, o: Record<OptionKey, unknown>): SiteConfig {
  return Object.freeze({
    name,
    url: url.url,
    host: url.host,
    clientId,
    clientSecret,
    initialIntervalMs: o.praInitialInterval as number,
    intervalMs: o.praInterval as number,
    httpTimeoutMs: o.praHttpTimeout as number,
    requestDeadlineMs: o.praRequestDeadline as number,
    allowInsecureHttp: o.praAllowInsecureHttp as boolean,
    proxyUrl: o.praProxyUrl as string | undefined,
    tlsCaFile: o.praTlsCaFile as string | undefined,
    tlsCertFile: o.praTlsCertFile as string | undefined,
    tlsKeyFile: o.praTlsKeyFile as string | undefined,
    tlsVerify: o.praTlsVerify as boolean,
    preserveOriginalEvent: o.praPreserveOriginalEvent as boolean,
    preserveDuplicateCustomFields: o.praPreserveDuplicateCustomFields as boolean,
    tags: Object.freeze([...(o.praTags as readonly string[])]),
    namespace: o.praNamespace as string,
    maxWindowMs: o.praMaxWindow as number,
    safetyLagMs: o.praSafetyLag as number,
    closedOverlapMs: o.praClosedOverlap as number,
    openSessionMaxAgeMs: o.praOpenSessionMaxAge as number,
    rateLimit: o.praRateLimit as number,
    maxResponseBytes: o.praMaxResponseBytes as number,
    lsidsBatch: o.praLsidsBatch as number,
  });
}

/** Cross-field checks of one site; `name` says how to refer to a field. */
function checkSite(site: SiteConfig, name: (key: OptionKey) => string, where: string): string[] {
  const problems: string[] = [];
  if (site.httpTimeoutMs >= site.intervalMs) {
    problems.push(`${where}${name('praHttpTimeout')} ${formatDuration(site.httpTimeoutMs)} must be shorter than ${name('praInterval')} (${formatDuration(site.intervalMs)})`);
  }
  if (site.requestDeadlineMs <= site.httpTimeoutMs) {
    problems.push(`${where}${name('praRequestDeadline')} ${formatDuration(site.requestDeadlineMs)} must be longer than ${name('praHttpTimeout')} (${formatDuration(site.httpTimeoutMs)})`);
  }
  if (site.url.startsWith('http://') && !site.allowInsecureHttp) {
    problems.push(
      `${where || 'PRA_URL: '}the http:// URL ${site.url} is refused, since the client credentials would travel in clear: use https://, or set ${name('praAllowInsecureHttp')} to true for a test appliance`,
    );
  }
  if ((site.tlsCertFile === undefined) !== (site.tlsKeyFile === undefined)) {
    problems.push(`${where}${name('praTlsCertFile')} and ${name('praTlsKeyFile')} go together; set both or neither`);
  }
  if (site.namespace.includes('-') || site.namespace !== site.namespace.toLowerCase()) {
    problems.push(`${where}${name('praNamespace')} "${site.namespace}" must be lower case without "-" (it names a data stream)`);
  }
  return problems;
}

function resolveSingle(config: PollerEnvConfig, out: ResolvedSites): void {
  const missing = (['praUrl', 'praClientId', 'praClientSecret'] as const).filter((k) => config[k] === undefined);
  if (missing.length > 0) {
    for (const k of missing) out.problems.push(`${envName(k)}: is required when PRA_SITES is not set`);
    return;
  }
  let url: { url: string; host: string };
  try {
    url = normalizeSiteUrl(config.praUrl as string);
  } catch (err) {
    out.problems.push(`PRA_URL: ${(err as Error).message}`);
    return;
  }
  const name = config.praSiteName ?? url.host;
  if (!SITE_NAME.test(name)) {
    out.problems.push(`PRA_SITE_NAME: "${name}" may hold only letters, digits, ".", "_" and "-"`);
    return;
  }
  const site = build(name, url, config.praClientId as string, config.praClientSecret as string, defaults(config));
  const problems = checkSite(site, (k) => envName(k), '');
  // Each message must start with the variable: move the first name to the front.
  out.problems.push(...problems.map((p) => p.replace(/^(PRA_[A-Z_]+) /, '$1: ')));
  out.sites.push(site);
  out.secrets.push(site.clientSecret);
}

function resolveList(config: PollerEnvConfig, value: unknown, readFile: (path: string) => string, out: ResolvedSites): void {
  if (!Array.isArray(value) || value.length === 0) {
    out.problems.push('PRA_SITES: must be a non-empty JSON array of site objects');
    return;
  }
  value.forEach((entry, index) => {
    const label = `site ${index}`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      out.problems.push(`PRA_SITES: ${label} is not an object`);
      return;
    }
    const obj = entry as Record<string, unknown>;
    const where = `PRA_SITES: site ${typeof obj.name === 'string' ? `"${obj.name}"` : index}: `;
    const before = out.problems.length;
    for (const key of Object.keys(obj)) {
      if (!IDENTITY_KEYS.includes(key) && !JSON_KEYS.has(key)) out.problems.push(`${where}unknown key "${key}"`);
    }
    const str = (key: string): string | undefined => {
      const v = obj[key];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string' || v.trim() === '') {
        out.problems.push(`${where}${key} must be a non-empty string`);
        return undefined;
      }
      return v;
    };
    const rawUrl = str('url');
    const clientId = str('client_id');
    let clientSecret = str('client_secret');
    const secretFile = str('client_secret_file');
    if (clientSecret !== undefined && secretFile !== undefined) out.problems.push(`${where}set client_secret or client_secret_file, not both`);
    if (secretFile !== undefined && clientSecret === undefined) {
      try {
        clientSecret = readFile(secretFile).replace(/\r?\n$/, '');
        if (clientSecret === '') out.problems.push(`${where}client_secret_file ${secretFile} is empty`);
      } catch (err) {
        out.problems.push(`${where}cannot read client_secret_file ${secretFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    if (rawUrl === undefined) out.problems.push(`${where}url is required`);
    if (clientId === undefined) out.problems.push(`${where}client_id is required`);
    if (clientSecret === undefined && secretFile === undefined) out.problems.push(`${where}client_secret or client_secret_file is required`);
    let url: { url: string; host: string } | undefined;
    if (rawUrl !== undefined) {
      try {
        url = normalizeSiteUrl(rawUrl);
      } catch (err) {
        out.problems.push(`${where}url ${(err as Error).message}`);
      }
    }
    const name = str('name') ?? url?.host;
    if (name !== undefined && !SITE_NAME.test(name)) out.problems.push(`${where}name "${name}" may hold only letters, digits, ".", "_" and "-"`);
    const options = defaults(config);
    for (const [jk, key] of JSON_KEYS) {
      const raw = obj[jk];
      if (raw === undefined) continue;
      const text = Array.isArray(raw) ? raw.join(',') : typeof raw === 'object' || raw === null ? undefined : String(raw);
      try {
        if (text === undefined) throw new Error('must be a string, number, boolean or array');
        options[key] = (siteDefaultVars[key] as VarSpec<unknown>).parse(text);
      } catch (err) {
        out.problems.push(`${where}${jk} ${(err as Error).message}`);
      }
    }
    if (out.problems.length > before || url === undefined || name === undefined || clientId === undefined || clientSecret === undefined) return;
    const site = build(name, url, clientId, clientSecret, options);
    out.problems.push(...checkSite(site, jsonKey, where));
    out.sites.push(site);
    out.secrets.push(clientSecret);
  });
}
