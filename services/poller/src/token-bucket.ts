/** A token bucket: at most `rate` requests per second on average, bursts up to `burst`. */
import { sleep } from '@pra-pipeline/shared';

export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor(options: { rate: number; burst?: number; now?: () => number }) {
    this.#rate = options.rate;
    this.#burst = options.burst ?? Math.max(1, Math.ceil(options.rate));
    this.#now = options.now ?? Date.now;
    this.#tokens = this.#burst;
    this.#last = this.#now();
  }

  /** Takes a token if one is there; otherwise returns how many ms until one is (and takes nothing). */
  tryTake(): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) / this.#rate) * 1000);
  }

  /** Holds every further request back for `ms` (e.g. a Retry-After). */
  pause(ms: number): void {
    this.#tokens = Math.min(this.#tokens, 0) - (ms / 1000) * this.#rate;
  }

  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const wait = this.tryTake();
      if (wait === 0) return;
      await sleep(wait, signal);
    }
  }
}
