/**
 * One fixed list of error codes for the whole pipeline. Each code has the
 * bounded `error_type` and `stage` used in logs and in `pra_errors_total`, so a
 * code can be counted and alerted on. Codes are never reused for another meaning.
 */
export const ERROR_CODES = {
  PIPE_CONFIG_INVALID: { errorType: 'configuration_failed', stage: 'initializing', retryable: false, doc: 'A configuration variable is missing or invalid; the message names it. The process exits with code 2.' },
  PIPE_USAGE: { errorType: 'configuration_failed', stage: 'initializing', retryable: false, doc: 'A command was called with arguments it does not take.' },
  PIPE_UPSTREAM_HTTP: { errorType: 'request_failed', stage: 'receiving', retryable: true, doc: 'The PRA appliance answered with an HTTP error (429, 5xx) or the connection failed; the window is retried with backoff.' },
  PIPE_UPSTREAM_AUTH: { errorType: 'request_failed', stage: 'receiving', retryable: true, doc: 'The appliance refused the API account (401/403 on the token or the report).' },
  PIPE_UPSTREAM_ERROR_ELEMENT: { errorType: 'request_failed', stage: 'receiving', retryable: true, doc: 'The appliance answered 200 with an `<error>` that is not "no data"; the window is retried, the cursor stays.' },
  PIPE_UPSTREAM_TIMEOUT: { errorType: 'timed_out', stage: 'receiving', retryable: true, doc: 'A request to the appliance timed out.' },
  PIPE_UPSTREAM_TOO_LARGE: { errorType: 'request_failed', stage: 'receiving', retryable: false, doc: 'A response or a session exceeded the configured maximum size.' },
  PIPE_XML_MALFORMED: { errorType: 'parser_failed', stage: 'processing', retryable: false, doc: 'Session XML that does not parse (truncated, mismatched tags, a DOCTYPE); dead-lettered.' },
  PIPE_XML_LIMIT: { errorType: 'parser_failed', stage: 'processing', retryable: false, doc: 'Session XML over the size or nesting limit; dead-lettered.' },
  PIPE_SESSION_EMPTY: { errorType: 'parser_failed', stage: 'processing', retryable: false, doc: 'A session with no events; dead-lettered.' },
  PIPE_RECORD_INVALID: { errorType: 'parser_failed', stage: 'processing', retryable: false, doc: 'A record that is not what the stage reads (no value, no fetch time, not JSON); dead-lettered.' },
  PIPE_SCHEMA_REJECTED: { errorType: 'encoder_failed', stage: 'processing', retryable: false, doc: 'A document the registered JSON Schema rejects; its raw record is dead-lettered.' },
  PIPE_SCHEMA_UNKNOWN: { errorType: 'parser_failed', stage: 'processing', retryable: false, doc: 'A wire-format value names a schema id that is not a version of the topic\'s subject (`<topic>-value`), or that the registry does not know; tried again a few times (SINK_UNKNOWN_SCHEMA_ATTEMPTS), then dead-lettered.' },
  PIPE_RECORD_UNTRUSTED: { errorType: 'parser_failed', stage: 'processing', retryable: false, doc: 'A record the sink does not take as the enricher\'s: plain JSON without the wire format, a missing or wrong `pra.signature`, or a `data_stream` that disagrees with the one configured for its site; dead-lettered with the reason, never indexed.' },
  PIPE_GEOIP_UNAVAILABLE: { errorType: 'enrichment_failed', stage: 'processing', retryable: false, doc: 'No GeoIP database could be read; documents go on without geo fields.' },
  PIPE_KAFKA_DELIVERY: { errorType: 'request_failed', stage: 'sending', retryable: true, doc: 'Kafka did not acknowledge a write; retried, offsets stay.' },
  PIPE_KAFKA_FENCED: { errorType: 'request_failed', stage: 'sending', retryable: false, doc: 'Another poller took over the site (same transactional id); this one stops polling it.' },
  PIPE_REGISTRY: { errorType: 'request_failed', stage: 'sending', retryable: true, doc: 'The schema registry could not be reached or refused a registration.' },
  PIPE_ES_REQUEST: { errorType: 'request_failed', stage: 'sending', retryable: true, doc: 'A bulk request failed as a whole (connection, 5xx); retried with its documents.' },
  PIPE_ES_ITEM_RETRYABLE: { errorType: 'request_failed', stage: 'sending', retryable: true, doc: 'Elasticsearch refused one document for now (429, 5xx, rejected execution); that document is retried.' },
  PIPE_ES_ITEM_REJECTED: { errorType: 'encoder_failed', stage: 'sending', retryable: false, doc: 'Elasticsearch refused one document for good (mapping, parsing); dead-lettered with its reason.' },
  PIPE_SHUTDOWN_TIMEOUT: { errorType: 'timed_out', stage: 'sending', retryable: false, doc: 'In-flight work did not finish within the shutdown grace period; it is re-delivered after restart.' },
  PIPE_INTERNAL: { errorType: 'internal', stage: 'processing', retryable: false, doc: 'An unexpected failure (a bug); the record is dead-lettered and the error logged.' },
} as const satisfies Record<string, { errorType: string; stage: string; retryable: boolean; doc: string }>;

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

/** The error code reference (docs/errors.md), generated from the list above. */
export function errorCodesMarkdown(): string {
  const rows = Object.entries(ERROR_CODES).map(
    ([code, d]) => `| \`${code}\` | \`${d.errorType}\` | ${d.stage} | ${d.retryable ? 'yes' : 'no'} | ${d.doc} |`,
  );
  return [
    '# Error codes',
    '',
    'Every error the pipeline reports carries one of these codes: in logs (`err.code`), in dead letter',
    'headers (`pra.dlq.error_code`) and as the `code` label of `pra_errors_total`, with its bounded',
    '`error_type` and `stage`. Codes are never reused for another meaning.',
    '',
    'This file is generated from `shared/src/errors.ts` (`npm run docs`); a test fails when it is out of date.',
    '',
    '| code | error_type | stage | retried | meaning |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
