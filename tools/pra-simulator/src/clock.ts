/**
 * The simulator's notion of "now", in milliseconds since the epoch. A manual
 * clock stands still until it is moved (tests); a wall clock follows real time,
 * optionally from a chosen start (demos, reproducible runs). Both can be moved
 * forward, so the admin endpoint works on either.
 */
export interface SimClock {
  readonly kind: 'manual' | 'wall';
  now(): number;
  /** Moves the clock forward; negative values are refused. */
  advance(ms: number): void;
  /** Sets the clock; it never goes back. */
  set(ms: number): void;
}

export type ClockOption =
  | 'wall'
  | { start: Date | string | number; running?: boolean }
  | SimClock;

function toMs(value: Date | string | number): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new Error(`Clock start "${String(value)}" is not a date`);
  return ms;
}

export class ManualClock implements SimClock {
  readonly kind = 'manual' as const;
  private current: number;

  constructor(start: Date | string | number) {
    this.current = toMs(start);
  }

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error('The clock only moves forward');
    this.current += ms;
  }

  set(ms: number): void {
    if (!(ms >= this.current)) throw new Error('The clock only moves forward');
    this.current = ms;
  }
}

export class WallClock implements SimClock {
  readonly kind = 'wall' as const;
  private offset: number;

  /** With a start, "now" is that start plus the real time elapsed since construction. */
  constructor(start?: Date | string | number, private readonly realNow: () => number = Date.now) {
    this.offset = start === undefined ? 0 : toMs(start) - realNow();
  }

  now(): number {
    return this.realNow() + this.offset;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error('The clock only moves forward');
    this.offset += ms;
  }

  set(ms: number): void {
    const now = this.now();
    if (!(ms >= now)) throw new Error('The clock only moves forward');
    this.offset += ms - now;
  }
}

export function createClock(option: ClockOption | undefined): SimClock {
  if (option === undefined || option === 'wall') return new WallClock();
  if ('now' in option) return option;
  return option.running ? new WallClock(option.start) : new ManualClock(option.start);
}

/**
 * Real time until frozen, then still: the poller keeps polling on its own clock
 * while the appliance stops changing, so a test can wait for the pipeline to
 * settle on a ground truth that no longer grows.
 */
export class FreezableClock implements SimClock {
  readonly kind = 'wall' as const;
  #frozenAt: number | undefined;
  #offset = 0;

  now(): number {
    return this.#frozenAt ?? Date.now() + this.#offset;
  }

  freeze(): number {
    this.#frozenAt ??= this.now();
    return this.#frozenAt;
  }

  get frozen(): boolean {
    return this.#frozenAt !== undefined;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error('The clock only moves forward');
    if (this.#frozenAt !== undefined) this.#frozenAt += ms;
    else this.#offset += ms;
  }

  set(ms: number): void {
    const now = this.now();
    if (!(ms >= now)) throw new Error('The clock only moves forward');
    this.advance(ms - now);
  }
}
