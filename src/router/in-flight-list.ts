/** What an item of an `InFlightList` carries: its neighbours, owned by the list. */
export interface InFlightLinks<T> {
  inFlightPrev: T | null;
  inFlightNext: T | null;
}

/**
 * The requests in flight on one color, oldest first, linked through the requests themselves.
 *
 * A `Set` per color was used before. With a request added and removed every few microseconds,
 * it made the router promote about 2.1 KB per request to the old generation (the bare
 * node:http + undici proxy: 0.1 KB; `--trace-gc-nvp` under wrk) and spend three times the
 * proxy's garbage-collection time; the same Set added to the bare proxy did the same. The
 * likely cause: V8 rebuilds a Set's table as deleted slots fill it and links the obsolete
 * table to the new one, so tables already promoted keep newer ones, and the requests in them,
 * alive through young-generation collections. Links in the items allocate nothing and drop
 * their references the moment a request leaves.
 */
export class InFlightList<T extends InFlightLinks<T>> {
  #head: T | null = null;
  #tail: T | null = null;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** The item added longest ago, or null. */
  get oldest(): T | null {
    return this.#head;
  }

  /** Appends `item`, which must not be in any list. */
  add(item: T): void {
    item.inFlightPrev = this.#tail;
    item.inFlightNext = null;
    if (this.#tail === null) this.#head = item;
    else this.#tail.inFlightNext = item;
    this.#tail = item;
    this.#size++;
  }

  /** Removes `item`, which must be in this list or in none (then nothing changes). Idempotent. */
  delete(item: T): void {
    const { inFlightPrev: prev, inFlightNext: next } = item;
    if (prev === null && this.#head !== item) return;
    if (prev === null) this.#head = next;
    else prev.inFlightNext = next;
    if (next === null) this.#tail = prev;
    else next.inFlightPrev = prev;
    item.inFlightPrev = null;
    item.inFlightNext = null;
    this.#size--;
  }

  /** Oldest first; an item removed while iterating does not stop the walk. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let item = this.#head; item !== null;) {
      const next: T | null = item.inFlightNext;
      yield item;
      item = next;
    }
  }
}
