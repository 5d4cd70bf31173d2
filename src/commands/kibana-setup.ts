/**
 * `pra-pipeline kibana-setup`: imports our Kibana content (the data view, the
 * saved searches, the map and the dashboard of src/kibana/content.ts) through
 * Kibana's saved objects import API with overwrite=true, so running it again
 * leaves the same objects under the same ids. Waits for Kibana to be available
 * first (a compose stack starts it alongside).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, scrubText, v } from '@pra-pipeline/shared';
import { savedObjects, savedObjectsNdjson } from '../kibana/content.js';
import { UsageError } from './command.js';
import type { Command } from './command.js';

export const kibanaSchema = {
  kibanaUrl: v.url({ protocols: ['http:', 'https:'], doc: 'Kibana base URL, e.g. http://kibana:5601 (with a base path if Kibana has one).' }),
  kibanaUsername: v.string({ optional: true, doc: 'Kibana (Elasticsearch) user for basic authentication.' }),
  kibanaPassword: v.string({ optional: true, secret: true, doc: 'Password of KIBANA_USERNAME (or KIBANA_PASSWORD_FILE).' }),
  kibanaApiKey: v.string({ optional: true, secret: true, doc: 'Elasticsearch API key (the encoded form), sent as Authorization: ApiKey.' }),
  kibanaSpace: v.string({ optional: true, doc: 'Kibana space to import into; unset: the default space.' }),
  kibanaCaFile: v.string({ optional: true, doc: 'PEM CA bundle for an https:// Kibana.' }),
  kibanaTlsInsecure: v.boolean({ default: false, doc: 'Do not verify Kibana\'s certificate (tests only).' }),
  kibanaWait: v.duration({ default: 300_000, doc: 'How long to wait for Kibana to report itself available before giving up.' }),
};

const help = `Usage: pra-pipeline kibana-setup [--file FILE] [--print]

Imports the pra-pipeline Kibana content: the data view
logs-beyondtrust_pra.access_session-*, the saved searches for sessions and file
activity, the source-IP map and the access-sessions dashboard. It uses Kibana's
saved objects import API with overwrite=true: running it again replaces the
same objects (same ids) and creates nothing new. docs/kibana.md describes them.

Options:
  --file FILE   import this NDJSON instead of the built-in content
  --print       write the built-in NDJSON to stdout and exit (no Kibana needed)
  --help        this text

Variables (each also as <NAME>_FILE):
${Object.entries(kibanaSchema)
  .map(([k, s]) => `  ${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase().padEnd(20)} ${s.doc}`)
  .join('\n')}

Exit codes: 0 imported, 1 Kibana failed or refused objects (each named), 2 usage
or configuration.`;

export type KibanaConfig = ReturnType<typeof loadKibanaConfig>['config'];

export function loadKibanaConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig('kibana-setup', kibanaSchema, { env }, (c) => {
    const problems: string[] = [];
    if (c.kibanaUsername && !c.kibanaPassword) problems.push('KIBANA_PASSWORD: is required with KIBANA_USERNAME');
    if (c.kibanaApiKey && c.kibanaUsername) problems.push('KIBANA_API_KEY: set KIBANA_API_KEY or KIBANA_USERNAME/KIBANA_PASSWORD, not both');
    if (c.kibanaSpace && !/^[a-z0-9_-]+$/.test(c.kibanaSpace)) problems.push(`KIBANA_SPACE: "${c.kibanaSpace}" is not a space id (a-z, 0-9, _ and -)`);
    return problems;
  });
}

export interface ImportResult {
  success: boolean;
  successCount: number;
  errors: { id: string; type: string; error: { type: string; message?: string } }[];
}

function headers(config: KibanaConfig): Record<string, string> {
  const h: Record<string, string> = { 'kbn-xsrf': 'pra-pipeline' };
  if (config.kibanaApiKey) h.authorization = `ApiKey ${config.kibanaApiKey}`;
  else if (config.kibanaUsername) h.authorization = `Basic ${Buffer.from(`${config.kibanaUsername}:${config.kibanaPassword ?? ''}`).toString('base64')}`;
  return h;
}

function base(config: KibanaConfig): string {
  return `${config.kibanaUrl.replace(/\/+$/, '')}${config.kibanaSpace ? `/s/${config.kibanaSpace}` : ''}`;
}

interface Reply {
  status: number;
  text: string;
}

/** One HTTP(S) request to Kibana; the reply body is capped at 4 MiB. */
function send(config: KibanaConfig, method: string, url: string, extraHeaders: Record<string, string>, body?: Buffer): Promise<Reply> {
  const https = url.startsWith('https:');
  const tls = https ? { rejectUnauthorized: !config.kibanaTlsInsecure, ...(config.kibanaCaFile ? { ca: readFileSync(config.kibanaCaFile, 'utf8') } : {}) } : {};
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(url, { method, headers: { ...headers(config), ...extraHeaders, ...(body ? { 'content-length': String(body.length) } : {}) }, timeout: 60_000, ...tls }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= 4 * 1024 * 1024) chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 60 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/** A multipart/form-data body with the NDJSON as its one part, `file`. */
export function multipartFile(ndjson: string, boundary = `pra-pipeline-${randomBytes(12).toString('hex')}`): { body: Buffer; contentType: string } {
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="pra-pipeline.ndjson"\r\nContent-Type: application/ndjson\r\n\r\n`),
    Buffer.from(ndjson, 'utf8'),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Polls GET /api/status until Kibana says it is available (overall level "available"). */
export async function waitForKibana(config: KibanaConfig, log: (line: string) => void, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<void> {
  const deadline = Date.now() + config.kibanaWait;
  let last = '';
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await send(config, 'GET', `${config.kibanaUrl.replace(/\/+$/, '')}/api/status`, {});
      let level: string | undefined;
      try {
        const overall = (JSON.parse(res.text) as { status?: { overall?: { level?: string; state?: string } } }).status?.overall;
        level = overall?.level ?? overall?.state;
      } catch {
        level = undefined;
      }
      if (res.status === 401 || res.status === 403) throw new ConfigError('kibana-setup', [{ variable: config.kibanaApiKey ? 'KIBANA_API_KEY' : 'KIBANA_USERNAME', message: `Kibana refused the credentials (HTTP ${res.status})` }]);
      if (res.status === 200 && (level === 'available' || level === 'green')) return;
      last = `HTTP ${res.status}${level ? `, ${level}` : ''}`;
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      last = (err as Error).message;
    }
    if (Date.now() >= deadline) throw new Error(`Kibana at ${config.kibanaUrl} was not available within ${Math.round(config.kibanaWait / 1000)} s (last: ${last})`);
    if (attempt % 10 === 0) log(`Waiting for Kibana at ${config.kibanaUrl} (${last})...`);
    await sleep(Math.min(2000, Math.max(0, deadline - Date.now())));
  }
}

/** POST /api/saved_objects/_import?overwrite=true with the NDJSON as the multipart `file`. */
export async function importSavedObjects(config: KibanaConfig, ndjson: string): Promise<ImportResult> {
  const { body, contentType } = multipartFile(ndjson);
  const res = await send(config, 'POST', `${base(config)}/api/saved_objects/_import?overwrite=true`, { 'content-type': contentType }, body);
  if (res.status !== 200) throw new Error(`Kibana answered HTTP ${res.status} to the import: ${res.text.slice(0, 500)}`);
  return JSON.parse(res.text) as ImportResult;
}

function parse(args: readonly string[]) {
  try {
    return parseArgs({ args: [...args], strict: true, options: { file: { type: 'string' }, print: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export const kibanaSetupCommand: Command = {
  name: 'kibana-setup',
  summary: 'import the Kibana dashboard, saved searches and data view (idempotent)',
  help,
  async run(args) {
    const opts = parse(args);
    if (opts.help) {
      console.log(help);
      return 0;
    }
    if (opts.print) {
      process.stdout.write(savedObjectsNdjson());
      return 0;
    }
    let loaded: ReturnType<typeof loadKibanaConfig>;
    try {
      loaded = loadKibanaConfig();
    } catch (err) {
      if (err instanceof ConfigError) {
        console.error(err.message);
        return 2;
      }
      throw err;
    }
    const { config, secrets } = loaded;
    const say = (line: string) => console.log(scrubText(line, secrets));
    const ndjson = opts.file ? readFileSync(opts.file, 'utf8') : savedObjectsNdjson();
    const count = ndjson.split('\n').filter((l) => l.trim() !== '').length;
    try {
      await waitForKibana(config, say);
      const result = await importSavedObjects(config, ndjson);
      if (!result.success || (result.errors ?? []).length > 0) {
        for (const e of result.errors ?? []) console.error(scrubText(`Kibana refused ${e.type} ${e.id}: ${e.error.type}${e.error.message ? ` (${e.error.message})` : ''}`, secrets));
        return 1;
      }
      const dashboard = savedObjects().find((o) => o.type === 'dashboard');
      say(`Imported ${result.successCount} of ${count} saved objects into ${base(config)} (overwrite=true).${!opts.file && dashboard ? ` Dashboard: ${base(config)}/app/dashboards#/view/${dashboard.id}` : ''}`);
      return 0;
    } catch (err) {
      if (err instanceof ConfigError) {
        console.error(scrubText(err.message, secrets));
        return 2;
      }
      console.error(scrubText(`kibana-setup failed: ${(err as Error).message}`, secrets));
      return 1;
    }
  },
};
