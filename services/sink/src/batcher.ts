/**
 * Groups documents into bulk requests: a batch closes when it holds the maximum
 * number of documents, when the next document would take it past the byte limit,
 * or when its first document has waited the linger time. A single document larger
 * than the byte limit travels alone.
 */

export interface Sized {
  /** Bytes this item adds to the request body. */
  readonly bodyBytes: number;
}

export interface BatchLimits {
  maxDocuments: number;
  maxBytes: number;
  lingerMs: number;
}

export interface Batch<T> {
  items: T[];
  bytes: number;
}

export class Batcher<T extends Sized> {
  readonly #limits: BatchLimits;
  #items: T[] = [];
  #bytes = 0;
  #openedAt = 0;

  constructor(limits: BatchLimits) {
    this.#limits = limits;
  }

  /** Adds an item; returns the batches that closed because of it (zero, one or two). */
  add(item: T, now: number): Batch<T>[] {
    const closed: Batch<T>[] = [];
    if (this.#items.length > 0 && this.#bytes + item.bodyBytes > this.#limits.maxBytes) {
      closed.push(this.#take());
    }
    if (this.#items.length === 0) this.#openedAt = now;
    this.#items.push(item);
    this.#bytes += item.bodyBytes;
    if (this.#items.length >= this.#limits.maxDocuments || this.#bytes >= this.#limits.maxBytes) {
      closed.push(this.#take());
    }
    return closed;
  }

  /** When the open batch must be sent, or undefined when there is none. */
  dueAt(): number | undefined {
    return this.#items.length === 0 ? undefined : this.#openedAt + this.#limits.lingerMs;
  }

  /** Closes the open batch if its linger time is over (or `force`). */
  takeDue(now: number, force = false): Batch<T> | undefined {
    const due = this.dueAt();
    if (due === undefined || (!force && now < due)) return undefined;
    return this.#take();
  }

  get count(): number {
    return this.#items.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  #take(): Batch<T> {
    const batch = { items: this.#items, bytes: this.#bytes };
    this.#items = [];
    this.#bytes = 0;
    return batch;
  }
}
