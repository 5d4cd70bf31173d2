/**
 * Which failures of a window are worth retrying, and after how long: network
 * errors, timeouts, 429 and 5xx are; a 429 or 503 with Retry-After waits as
 * long as the site asks (capped); other 4xx, an unknown `<error>` and an
 * oversize response are not retried in the same cycle.
 */
import { backoffDelay, PipelineError, type BackoffOptions } from '@pra-pipeline/shared';

/** Retry-After as seconds or an HTTP date; ms from `nowMs`, or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

export interface RetryDecision {
  retry: boolean;
  delayMs: number;
}

export interface RetryPolicyOptions extends BackoffOptions {
  /** Attempts per window in one cycle, the first included. */
  attempts: number;
}

/** Whether the failure is worth another attempt in this cycle. */
export const isRetryable = (err: unknown): boolean => (err instanceof PipelineError ? err.retryable : false);

/** The delay the site asked for (Retry-After), in ms, if any. */
export const retryAfterMs = (err: unknown): number | undefined =>
  err instanceof PipelineError ? (err.context.retryAfterMs as number | undefined) : undefined;

export function retryDecision(err: unknown, attempt: number, options: RetryPolicyOptions): RetryDecision {
  if (!isRetryable(err) || attempt >= options.attempts) return { retry: false, delayMs: 0 };
  const asked = retryAfterMs(err);
  const delayMs = asked !== undefined ? Math.min(asked, options.maxMs) : backoffDelay(attempt, options);
  return { retry: true, delayMs };
}
