/**
 * Structured JSON logs to stdout (pino). Secrets never reach the output: known
 * secret keys are redacted wherever they appear, and the values of the
 * configuration's secret variables are scrubbed from any string that is logged,
 * error messages and stacks included, in the forms they travel in: as given,
 * URL-encoded, base64 (as inside a Basic `user:password` header), and for a
 * base64 secret such as an Elasticsearch API key, its decoded `id:key` and key.
 * A password written into any URL (`scheme://user:password@host`) is redacted
 * whether known or not.
 *
 * Two shapes (LOG_FORMAT): `json`, pino's own with `service` and `message`, and
 * `ecs`, Elastic Common Schema lines (@elastic/ecs-pino-format) that an Elastic
 * stack takes as they are: `@timestamp`, `log.level`, `message`, `ecs.version`,
 * `service.name`, errors as `error.type`/`error.message`/`error.stack_trace`,
 * and every field of our own under `pra.` (ECS has no top-level custom fields).
 * The same scrubbing runs in both.
 */
import { hostname } from 'node:os';
import { ecsFormat } from '@elastic/ecs-pino-format';
import { pino, stdSerializers, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Keys whose values are secrets wherever they appear in a logged object. */
export const SECRET_KEYS = [
  'password',
  'passwd',
  'secret',
  'clientSecret',
  'client_secret',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'apiKey',
  'api_key',
  'apikey',
  'authorization',
  'Authorization',
  'licenseKey',
  'sasl',
];

const REDACTED = '[REDACTED]';
const MAX_DEPTH = 8;

/**
 * The stretches of base64 that any encoding of a text holding `secret` contains, whatever the
 * secret's offset in that text (each of the three byte alignments), in both alphabets.
 */
function base64Forms(secret: Buffer): string[] {
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), secret]).toString('base64');
    // Drop the characters that also depend on the bytes before or after the secret.
    const from = shift === 0 ? 0 : 4;
    const to = (shift + secret.length) % 3 === 0 ? encoded.length : encoded.length - 4;
    const stable = encoded.slice(from, to).replace(/=+$/, '');
    if (stable.length >= 8) out.push(stable, stable.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

/** A secret and its other spellings (see the module comment); the longest first. */
export function secretForms(secrets: readonly string[]): string[] {
  return collectForms(secrets).plain;
}

function collectForms(secrets: readonly string[]): { plain: string[]; encoded: RegExp | undefined } {
  const forms = new Set<string>();
  const encoded = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    for (const form of base64Forms(Buffer.from(secret))) {
      forms.add(form);
      encoded.add(form);
    }
    if (/^[A-Za-z0-9+/_-]{8,}={0,2}$/.test(secret)) {
      const decoded = Buffer.from(secret, 'base64').toString('utf8');
      // eslint-disable-next-line no-control-regex
      if (/^[^\u0000-\u001f\u007f\ufffd]+$/.test(decoded) && decoded.includes(':')) {
        forms.add(decoded);
        const key = decoded.slice(decoded.indexOf(':') + 1);
        if (key.length >= 4) forms.add(key);
      }
    }
  }
  const plain = [...forms].filter((f) => f.length >= 4).sort((a, b) => b.length - a.length);
  const escape = (f: string) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // A base64 form takes the characters around it too: they encode a byte or two of the secret with its neighbours.
  const around = '[A-Za-z0-9+/_-]{0,4}';
  return { plain, encoded: encoded.size > 0 ? new RegExp(`${around}(?:${[...encoded].map(escape).join('|')})${around}={0,2}`, 'g') : undefined };
}

/** Scrubs `text` of the given forms, Bearer and Basic credentials and URL passwords. */
function scrubForms(text: string, forms: { plain: string[]; encoded: RegExp | undefined }): string {
  let out = forms.encoded ? text.replace(forms.encoded, REDACTED) : text;
  for (const form of forms.plain) {
    if (out.includes(form)) out = out.split(form).join(REDACTED);
  }
  return (
    out
      // Bearer and Basic credentials in any text, e.g. an echoed request header.
      .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${REDACTED}`)
      // A password in a URL, known or not.
      .replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)[^\s/@]+@/gi, `$1${REDACTED}@`)
  );
}

const formsCache = new WeakMap<readonly string[], ReturnType<typeof collectForms>>();

function scrubString(text: string, secrets: readonly string[]): string {
  let forms = formsCache.get(secrets);
  if (!forms) {
    forms = collectForms(secrets);
    formsCache.set(secrets, forms);
  }
  return scrubForms(text, forms);
}

/** `text` without the secrets, in any of their forms: for whatever is printed outside the logger. */
export function scrubText(text: string, secrets: readonly string[]): string {
  return scrubString(text, secrets);
}

const secretKeySet = new Set(SECRET_KEYS.map((k) => k.toLowerCase()));

/**
 * The Elasticsearch client's errors carry `meta`: the whole request (body bytes,
 * headers), the connection and the response. Only the status and the response
 * body say what went wrong; the rest is noise, and its headers could hold credentials.
 */
function compactClientError(serialized: Record<string, unknown>): Record<string, unknown> {
  const meta = serialized.meta as { statusCode?: unknown; body?: unknown; meta?: unknown } | undefined;
  if (!meta || typeof meta !== 'object' || !('meta' in meta)) return serialized;
  return { ...serialized, meta: { statusCode: meta.statusCode, body: meta.body } };
}

/** Returns a copy of `value` with secret keys redacted and secret values scrubbed. */
export function redact(value: unknown, secrets: readonly string[] = [], depth = 0): unknown {
  if (typeof value === 'string') return scrubString(value, secrets);
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (value instanceof Error) return redact(compactClientError(stdSerializers.err(value)), secrets, depth + 1);
  if (Array.isArray(value)) return value.map((item) => redact(item, secrets, depth + 1));
  if (ArrayBuffer.isView(value)) return `<${value.byteLength} bytes>`;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = secretKeySet.has(key.toLowerCase()) && inner !== undefined && inner !== null && inner !== '' ? REDACTED : redact(inner, secrets, depth + 1);
  }
  return out;
}

export const LOG_FORMATS = ['json', 'ecs'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** LOG_FORMAT of an environment: `ecs`, else `json` (the services' configuration rejects other values). */
export function logFormatOf(env: Record<string, string | undefined> = process.env): LogFormat {
  return env.LOG_FORMAT?.trim().toLowerCase() === 'ecs' ? 'ecs' : 'json';
}

/** Where our own fields go in an ECS line. */
export const ECS_CUSTOM_NAMESPACE = 'pra';
/** Keys the ECS formatter writes itself: dotted ECS names and the base fields. */
const isEcsKey = (key: string) => key.includes('.') || key === '@timestamp' || key === 'message';

function ecsError(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return { 'error.message': String(value) };
  const { type, message, stack, code, ...rest } = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (type !== undefined) out['error.type'] = String(type);
  if (message !== undefined) out['error.message'] = String(message);
  if (stack !== undefined) out['error.stack_trace'] = String(stack);
  if (code !== undefined) out['error.code'] = String(code);
  for (const [key, inner] of Object.entries(rest)) out[`${ECS_CUSTOM_NAMESPACE}.error.${key}`] = inner;
  return out;
}

/** A logged object in ECS terms: `err` (or `error`) as ECS error fields, our keys under `pra.`. */
function toEcs(object: Record<string, unknown>, secrets: readonly string[]): Record<string, unknown> {
  const { err, error, ...rest } = redact(object, secrets) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(rest)) out[isEcsKey(key) ? key : `${ECS_CUSTOM_NAMESPACE}.${key}`] = inner;
  const failure = err ?? error;
  return failure === undefined ? out : { ...out, ...ecsError(failure) };
}

function ecsOptions(options: CreateLoggerOptions, secrets: readonly string[]): LoggerOptions {
  const ecs = ecsFormat({
    serviceName: options.service,
    ...(options.version ? { serviceVersion: options.version } : {}),
    eventDataset: `pra_pipeline.${options.service}`,
    convertErr: false,
    apmIntegration: false,
  });
  const formatters = ecs.formatters as Required<NonNullable<LoggerOptions['formatters']>>;
  return {
    ...ecs,
    base: { pid: process.pid, hostname: hostname() },
    formatters: {
      level: formatters.level,
      // pid and hostname become process.pid and host.hostname in the ECS formatter.
      bindings: ({ pid, hostname: host, ...bindings }) => formatters.bindings({ ...toEcs(bindings, secrets), pid, hostname: host }),
      log: (object) => formatters.log(toEcs(object, secrets)),
    },
  };
}

export interface CreateLoggerOptions {
  service: string;
  /** json (default: LOG_FORMAT of the environment) or ecs. */
  format?: LogFormat;
  level?: LogLevel;
  version?: string;
  /** Values to scrub from every logged string. */
  secrets?: readonly string[];
  destination?: DestinationStream;
}

function passError(value: unknown): unknown {
  return value instanceof Error ? stdSerializers.err(value) : value;
}

export function createLogger(options: CreateLoggerOptions): Logger {
  const secrets = options.secrets ?? [];
  const shape: LoggerOptions =
    (options.format ?? logFormatOf()) === 'ecs'
      ? ecsOptions(options, secrets)
      : {
          base: { service: options.service, ...(options.version ? { version: options.version } : {}) },
          messageKey: 'message',
          timestamp: pino.stdTimeFunctions.isoTime,
          formatters: {
            level: (label) => ({ level: label }),
            log: (object) => redact(object, secrets) as Record<string, unknown>,
          },
        };
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    ...shape,
    // Errors are serialised (and scrubbed) by redact() in formatters.log, which runs before
    // serializers; pino's default err serializer would then re-serialise the plain object.
    serializers: { err: passError, error: passError },
    hooks: {
      logMethod(args, method) {
        // Scrub the message text too, not only the merged object.
        const scrubbed = args.map((a) => (typeof a === 'string' ? scrubString(a, secrets) : a));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
  const logger = options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
  if ((options.format ?? logFormatOf()) === 'ecs') {
    // pino does not pass a child's bindings through formatters.bindings: rename them here
    // (children inherit this from the root, so grandchildren are covered too).
    const child = logger.child;
    logger.child = function (this: Logger, bindings, childOptions) {
      return child.call(this, toEcs(bindings, secrets), childOptions);
    } as Logger['child'];
  }
  return logger;
}
