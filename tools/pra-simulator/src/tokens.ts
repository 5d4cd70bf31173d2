/**
 * OAuth2 client-credentials tokens as the appliance hands them out: one hour by
 * default, at most 30 live tokens per API account, a 31st silently evicting
 * the oldest. Expiry follows the simulator's clock.
 */
import { randomBytes } from 'node:crypto';

export const MAX_TOKENS_PER_CLIENT = 30;

interface Token {
  value: string;
  key: string;
  expiresAt: number;
}

export class TokenStore {
  private readonly byValue = new Map<string, Token>();
  private readonly byClient = new Map<string, Token[]>();

  constructor(private readonly now: () => number) {}

  /**
   * Issues a token for (site, client id). `lifetimeMs` is how long it really
   * lives, which a fault can make shorter than what the response says.
   */
  issue(site: string, clientId: string, lifetimeMs: number): string {
    const key = `${site}\u0000${clientId}`;
    this.prune(key);
    const list = this.byClient.get(key) ?? [];
    while (list.length >= MAX_TOKENS_PER_CLIENT) {
      const oldest = list.shift()!;
      this.byValue.delete(oldest.value);
    }
    const token: Token = { value: randomBytes(24).toString('base64url'), key, expiresAt: this.now() + lifetimeMs };
    list.push(token);
    this.byClient.set(key, list);
    this.byValue.set(token.value, token);
    return token.value;
  }

  /** True if the token is live for this site. */
  check(site: string, value: string): boolean {
    const token = this.byValue.get(value);
    if (!token || !token.key.startsWith(`${site}\u0000`)) return false;
    if (this.now() >= token.expiresAt) {
      this.drop(token);
      return false;
    }
    return true;
  }

  /** Invalidates every token of a site (as regenerating the client secret does), or of all sites. */
  revoke(site?: string): number {
    let count = 0;
    for (const token of [...this.byValue.values()]) {
      if (site === undefined || token.key.startsWith(`${site}\u0000`)) {
        this.drop(token);
        count++;
      }
    }
    return count;
  }

  /** Live tokens of one client. */
  liveCount(site: string, clientId: string): number {
    const key = `${site}\u0000${clientId}`;
    this.prune(key);
    return this.byClient.get(key)?.length ?? 0;
  }

  private prune(key: string): void {
    const list = this.byClient.get(key);
    if (!list) return;
    const now = this.now();
    for (const token of list.filter((t) => now >= t.expiresAt)) this.drop(token);
  }

  private drop(token: Token): void {
    this.byValue.delete(token.value);
    const list = this.byClient.get(token.key);
    if (!list) return;
    const i = list.indexOf(token);
    if (i >= 0) list.splice(i, 1);
  }
}
