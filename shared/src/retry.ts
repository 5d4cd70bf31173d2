/** Exponential backoff with full jitter, and a retry loop built on it. */

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** 0..1; 1 is "full jitter" (a uniform draw from [0, delay]). */
  jitter?: number;
  random?: () => number;
}

/** Delay before retry number `attempt` (1-based). */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const exp = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  const jitter = options.jitter ?? 1;
  const random = options.random ?? Math.random;
  return Math.round(exp * (1 - jitter) + exp * jitter * random());
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason ?? new Error('aborted'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryOptions extends BackoffOptions {
  /** Attempts in all, the first included; Infinity retries until aborted. */
  attempts: number;
  shouldRetry?: (err: unknown, attempt: number) => boolean;
  /** A delay the failure itself asks for (e.g. Retry-After), in ms. */
  delayFor?: (err: unknown) => number | undefined;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
}

export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const last = attempt >= options.attempts;
      if (last || options.signal?.aborted || (options.shouldRetry && !options.shouldRetry(err, attempt))) throw err;
      const asked = options.delayFor?.(err);
      const delay = asked !== undefined ? Math.min(asked, options.maxMs) : backoffDelay(attempt, options);
      options.onRetry?.(err, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}
