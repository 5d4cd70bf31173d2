/**
 * One bearer token per site, shared by every request: renewed shortly before
 * `expires_in` runs out, or when a request got a 401 with it. Concurrent
 * callers share one renewal, so the site never holds more tokens than needed
 * (an API account keeps at most 30; a 31st evicts the oldest).
 */
export interface IssuedToken {
  accessToken: string;
  /** Seconds. */
  expiresIn: number;
}

export interface TokenCacheOptions {
  fetchToken: () => Promise<IssuedToken>;
  /** Renew this long before expiry; capped at a tenth of the lifetime for short-lived tokens. */
  renewBeforeMs?: number;
  now?: () => number;
  onRenew?: (reason: 'initial' | 'expiry' | 'unauthorized') => void;
}

export class TokenCache {
  readonly #options: TokenCacheOptions;
  readonly #now: () => number;
  #token: string | undefined;
  #renewAt = 0;
  #pending: Promise<string> | undefined;
  #invalidated = false;

  constructor(options: TokenCacheOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** A valid token, renewing it when it is about to expire. */
  async get(): Promise<string> {
    if (this.#token !== undefined && this.#now() < this.#renewAt) return this.#token;
    if (this.#pending) return this.#pending;
    const reason = this.#token === undefined ? (this.#invalidated ? 'unauthorized' : 'initial') : 'expiry';
    this.#pending = this.#renew(reason).finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /** The site refused `token`: forget it, unless it was already replaced. */
  invalidate(token: string): void {
    if (this.#token === token) {
      this.#token = undefined;
      this.#invalidated = true;
    }
  }

  async #renew(reason: 'initial' | 'expiry' | 'unauthorized'): Promise<string> {
    const issued = await this.#options.fetchToken();
    const lifetimeMs = issued.expiresIn * 1000;
    const before = Math.min(this.#options.renewBeforeMs ?? 300_000, lifetimeMs / 10);
    this.#token = issued.accessToken;
    this.#renewAt = this.#now() + lifetimeMs - before;
    this.#invalidated = false;
    this.#options.onRenew?.(reason);
    return issued.accessToken;
  }
}
