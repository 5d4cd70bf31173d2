/**
 * The bytes the sink holds for records it has taken and not yet settled, against
 * SINK_MAX_BUFFER_BYTES. A record being decoded holds a reservation (an upper
 * bound) so that concurrent partitions cannot all pass the check and together
 * overrun the limit; a queued document holds its real size until its outcome is
 * settled. One document always fits into an empty budget, however large, so that
 * a record bigger than the limit cannot stall its partition.
 */

export interface BudgetGauges {
  bufferedBytes: { set(value: number): void };
  bufferedDocuments: { set(value: number): void };
}

export class MemoryBudget {
  readonly #maxBytes: number;
  readonly #gauges: BudgetGauges;
  #bytes = 0;
  #documents = 0;
  #reserved = 0;
  #freed: (() => void)[] = [];
  #empty: (() => void)[] = [];

  constructor(maxBytes: number, gauges: BudgetGauges) {
    this.#maxBytes = maxBytes;
    this.#gauges = gauges;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get documents(): number {
    return this.#documents;
  }

  /** Whether `bytes` more fit now, counting reservations. */
  hasRoom(bytes = 0): boolean {
    const held = this.#bytes + this.#reserved;
    return held === 0 || held + bytes <= this.#maxBytes;
  }

  reserve(bytes: number): void {
    this.#reserved += bytes;
  }

  unreserve(bytes: number): void {
    this.#reserved = Math.max(0, this.#reserved - bytes);
    this.#wakeFreed();
  }

  /** A document is queued: its bytes are held until `free`. */
  hold(bytes: number): void {
    this.#bytes += bytes;
    this.#documents++;
    this.#report();
  }

  free(bytes: number): void {
    this.#bytes -= bytes;
    this.#documents--;
    this.#report();
    this.#wakeFreed();
    if (this.#documents === 0) for (const wake of this.#empty.splice(0)) wake();
  }

  /** Resolves the next time anything is freed or unreserved. */
  whenFreed(): Promise<void> {
    return new Promise((resolve) => this.#freed.push(resolve));
  }

  /** True once no document is held; false when `timeoutMs` passes first. */
  async whenEmpty(timeoutMs: number): Promise<boolean> {
    if (this.#documents === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const empty = new Promise<boolean>((resolve) => this.#empty.push(() => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([empty, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Wakes everyone waiting (on abandon), so that no waiter outlives the work. */
  wakeAll(): void {
    this.#wakeFreed();
    for (const wake of this.#empty.splice(0)) wake();
  }

  #wakeFreed(): void {
    for (const wake of this.#freed.splice(0)) wake();
  }

  #report(): void {
    this.#gauges.bufferedBytes.set(this.#bytes);
    this.#gauges.bufferedDocuments.set(this.#documents);
  }
}
