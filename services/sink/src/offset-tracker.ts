/**
 * Which offsets may be committed. Records of a partition are tracked in the order
 * they were read and completed in any order (bulk requests finish out of order,
 * retried documents finish late); the committable offset is one past the end of
 * the contiguous prefix of completed records. Committing that, and never more,
 * means a crash at any moment re-delivers unfinished records instead of skipping them.
 */

interface Entry {
  offset: number;
  done: boolean;
}

export class PartitionOffsets {
  readonly topic: string;
  readonly partition: number;
  #queue: Entry[] = [];
  #head = 0;
  #byOffset = new Map<number, Entry>();
  #lastDone: number | undefined;
  #committed: number | undefined;
  #revoked = false;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  /** Records must be tracked in increasing offset order (gaps are fine: compaction, transaction markers). */
  /** The highest offset tracked so far. */
  get lastTracked(): number | undefined {
    return this.#queue.length > this.#head ? (this.#queue[this.#queue.length - 1] as Entry).offset : this.#lastDone;
  }

  track(offset: number): void {
    const last = this.lastTracked;
    if (last !== undefined && offset <= last) {
      throw new Error(`Offset ${offset} of ${this.topic}/${this.partition} tracked after ${last}`);
    }
    const entry = { offset, done: false };
    this.#queue.push(entry);
    this.#byOffset.set(offset, entry);
  }

  /** Marks a record finished (indexed, duplicate, dead-lettered or skipped). Unknown offsets are ignored. */
  complete(offset: number): void {
    const entry = this.#byOffset.get(offset);
    if (!entry) return;
    entry.done = true;
    this.#byOffset.delete(offset);
    while (this.#head < this.#queue.length && (this.#queue[this.#head] as Entry).done) {
      this.#lastDone = (this.#queue[this.#head] as Entry).offset;
      this.#head++;
    }
    // Compact now and then so the array does not grow without bound.
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The offset to commit (the next record to read), when it is past the last commit. */
  committable(): number | undefined {
    if (this.#revoked || this.#lastDone === undefined) return undefined;
    const next = this.#lastDone + 1;
    return this.#committed === undefined || next > this.#committed ? next : undefined;
  }

  markCommitted(offset: number): void {
    if (this.#committed === undefined || offset > this.#committed) this.#committed = offset;
  }

  /** After a rebalance: nothing of this partition may be committed by us any more. */
  revoke(): void {
    this.#revoked = true;
  }

  get revoked(): boolean {
    return this.#revoked;
  }

  get committed(): number | undefined {
    return this.#committed;
  }

  /** Records read and not finished. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }
}

/** The partitions of one consumer generation. */
export class OffsetTracker {
  #partitions = new Map<string, PartitionOffsets>();

  partition(topic: string, partition: number): PartitionOffsets {
    const key = `${topic}\u0000${partition}`;
    let state = this.#partitions.get(key);
    if (!state) {
      state = new PartitionOffsets(topic, partition);
      this.#partitions.set(key, state);
    }
    return state;
  }

  /** Offsets to commit now, one per partition that has moved. */
  committable(): { state: PartitionOffsets; offset: number }[] {
    const out: { state: PartitionOffsets; offset: number }[] = [];
    for (const state of this.#partitions.values()) {
      const offset = state.committable();
      if (offset !== undefined) out.push({ state, offset });
    }
    return out;
  }

  /** Forgets every partition (a new generation begins); late completions land on the old objects. */
  revokeAll(): PartitionOffsets[] {
    const old = [...this.#partitions.values()];
    for (const state of old) state.revoke();
    this.#partitions.clear();
    return old;
  }

  get partitions(): PartitionOffsets[] {
    return [...this.#partitions.values()];
  }

  get pending(): number {
    let total = 0;
    for (const state of this.#partitions.values()) total += state.pending;
    return total;
  }
}
