/**
 * One fixed list of error codes for the whole pipeline. Each code has the
 * bounded `error_type` and `stage` used in logs and in `pra_errors_total`, so a
 * code can be counted and alerted on. Codes are never reused for another meaning.
 */
export const ERROR_CODES = {
  PIPE_CONFIG_INVALID: { errorType: 'configuration_failed', stage: 'initializing', retryable: false },
  PIPE_USAGE: { errorType: 'configuration_failed', stage: 'initializing', retryable: false },
  PIPE_UPSTREAM_HTTP: { errorType: 'request_failed', stage: 'receiving', retryable: true },
  PIPE_UPSTREAM_AUTH: { errorType: 'request_failed', stage: 'receiving', retryable: true },
  PIPE_UPSTREAM_ERROR_ELEMENT: { errorType: 'request_failed', stage: 'receiving', retryable: true },
  PIPE_UPSTREAM_TIMEOUT: { errorType: 'timed_out', stage: 'receiving', retryable: true },
  PIPE_UPSTREAM_TOO_LARGE: { errorType: 'request_failed', stage: 'receiving', retryable: false },
  PIPE_XML_MALFORMED: { errorType: 'parser_failed', stage: 'processing', retryable: false },
  PIPE_XML_LIMIT: { errorType: 'parser_failed', stage: 'processing', retryable: false },
  PIPE_SESSION_EMPTY: { errorType: 'parser_failed', stage: 'processing', retryable: false },
  PIPE_RECORD_INVALID: { errorType: 'parser_failed', stage: 'processing', retryable: false },
  PIPE_SCHEMA_REJECTED: { errorType: 'encoder_failed', stage: 'processing', retryable: false },
  PIPE_GEOIP_UNAVAILABLE: { errorType: 'enrichment_failed', stage: 'processing', retryable: false },
  PIPE_KAFKA_DELIVERY: { errorType: 'request_failed', stage: 'sending', retryable: true },
  PIPE_KAFKA_FENCED: { errorType: 'request_failed', stage: 'sending', retryable: false },
  PIPE_REGISTRY: { errorType: 'request_failed', stage: 'sending', retryable: true },
  PIPE_ES_REQUEST: { errorType: 'request_failed', stage: 'sending', retryable: true },
  PIPE_ES_ITEM_RETRYABLE: { errorType: 'request_failed', stage: 'sending', retryable: true },
  PIPE_ES_ITEM_REJECTED: { errorType: 'encoder_failed', stage: 'sending', retryable: false },
  PIPE_SHUTDOWN_TIMEOUT: { errorType: 'timed_out', stage: 'sending', retryable: false },
  PIPE_INTERNAL: { errorType: 'internal', stage: 'processing', retryable: false },
} as const satisfies Record<string, { errorType: string; stage: string; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;
export type ErrorType = (typeof ERROR_CODES)[ErrorCode]['errorType'];
export type ErrorStage = (typeof ERROR_CODES)[ErrorCode]['stage'];

export interface PipelineErrorOptions {
  cause?: unknown;
  /** Overrides the code's default. */
  retryable?: boolean;
  /** Extra context (never secrets): where the error happened. */
  context?: Record<string, unknown>;
}

export class PipelineError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly errorType: ErrorType;
  readonly stage: ErrorStage;
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: PipelineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PipelineError';
    this.code = code;
    const def = ERROR_CODES[code];
    this.retryable = options.retryable ?? def.retryable;
    this.errorType = def.errorType;
    this.stage = def.stage;
    this.context = options.context ?? {};
  }
}

export interface ConfigProblem {
  variable: string;
  message: string;
}

/** Every configuration problem at once, each naming its variable. */
export class ConfigError extends PipelineError {
  readonly problems: readonly ConfigProblem[];

  constructor(service: string, problems: readonly ConfigProblem[]) {
    const lines = problems.map((p) => `  ${p.variable}: ${p.message}`);
    super('PIPE_CONFIG_INVALID', `Invalid configuration for ${service}:\n${lines.join('\n')}`, {
      context: { service },
    });
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof PipelineError ? err.retryable : false;
}

/** A code for any thrown value, for metrics and dead letters. */
export function errorCodeOf(err: unknown): ErrorCode {
  return err instanceof PipelineError ? err.code : 'PIPE_INTERNAL';
}
