/**
 * When to send a failed document or request again: exponential backoff with full
 * jitter, capped; a document that has failed `itemRetryLimit` times (when set) is
 * dead-lettered instead of being retried for ever.
 */
import { backoffDelay } from '@pra-pipeline/shared';

export interface RetrySchedule {
  baseMs: number;
  maxMs: number;
  /** Attempts before a retryable item is dead-lettered; 0 retries until it is indexed. */
  itemRetryLimit: number;
  random?: () => number;
}

export function retryDelay(attempt: number, schedule: RetrySchedule): number {
  return backoffDelay(attempt, {
    baseMs: schedule.baseMs,
    maxMs: schedule.maxMs,
    jitter: 1,
    ...(schedule.random ? { random: schedule.random } : {}),
  });
}

/** Whether an item that has failed `failures` times should be dead-lettered rather than retried. */
export function retriesExhausted(failures: number, schedule: RetrySchedule): boolean {
  return schedule.itemRetryLimit > 0 && failures >= schedule.itemRetryLimit;
}
