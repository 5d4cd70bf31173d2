/**
 * Structured JSON logs to stdout (pino). Secrets never reach the output: known
 * secret keys are redacted wherever they appear, and the values of the
 * configuration's secret variables are scrubbed from any string that is logged,
 * error messages and stacks included.
 */
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

function scrubString(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  // Bearer and Basic credentials in any text, e.g. an echoed request header.
  return out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${REDACTED}`);
}

const secretKeySet = new Set(SECRET_KEYS.map((k) => k.toLowerCase()));

/** Returns a copy of `value` with secret keys redacted and secret values scrubbed. */
export function redact(value: unknown, secrets: readonly string[] = [], depth = 0): unknown {
  if (typeof value === 'string') return scrubString(value, secrets);
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (value instanceof Error) return redact(stdSerializers.err(value), secrets, depth + 1);
  if (Array.isArray(value)) return value.map((item) => redact(item, secrets, depth + 1));
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = secretKeySet.has(key.toLowerCase()) && inner !== undefined && inner !== null && inner !== '' ? REDACTED : redact(inner, secrets, depth + 1);
  }
  return out;
}

export interface CreateLoggerOptions {
  service: string;
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
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: options.service, ...(options.version ? { version: options.version } : {}) },
    messageKey: 'message',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => redact(object, secrets) as Record<string, unknown>,
    },
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
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}
