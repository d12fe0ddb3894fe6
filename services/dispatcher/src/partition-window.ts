/**
 * The offsets of one topic-partition between the committed position and the fetch position:
 * admitted in increasing order as records arrive, settled in any order as their deliveries
 * reach a final outcome. The commit point only moves over the contiguous prefix of settled
 * offsets, so a crash redelivers every record whose outcome was not final — never loses one.
 *
 *   committed ─▶ [settled settled PENDING settled PENDING] ◀─ admitted
 *                 └── commit point moves to here ──┘
 *
 * Offsets may have gaps (compaction, transaction markers); only their order matters.
 */
export class PartitionWindow {
  #offsets: number[] = [];
  #settled: boolean[] = [];
  #head = 0;
  #unsettled = 0;
  /** Highest offset admitted so far (-1: none). */
  #last = -1;

  /** Records tracked (settled or not) from the commit point on. */
  get size(): number {
    return this.#offsets.length - this.#head;
  }

  /** The offset after the last one admitted (the fetch position); -1 before the first. */
  get next(): number {
    return this.#last < 0 ? -1 : this.#last + 1;
  }

  /** Records admitted whose outcome is not final yet. */
  get unsettled(): number {
    return this.#unsettled;
  }

  /**
   * Admits an offset. Returns false for an offset at or below one already admitted — a record
   * fetched again after a rebalance kept this partition, which is already being handled.
   */
  admit(offset: number): boolean {
    if (offset <= this.#last) return false;
    this.#last = offset;
    this.#offsets.push(offset);
    this.#settled.push(false);
    this.#unsettled++;
    return true;
  }

  /**
   * Marks an admitted offset final. Returns the new commit offset (the next offset to read)
   * when the settled prefix grew, undefined otherwise (or for an offset not in the window).
   */
  settle(offset: number): number | undefined {
    const i = this.#find(offset);
    if (i < 0 || this.#settled[i]) return undefined;
    this.#settled[i] = true;
    this.#unsettled--;
    if (i !== this.#head) return undefined;
    let commit = offset + 1;
    while (this.#head < this.#offsets.length && this.#settled[this.#head]) {
      commit = (this.#offsets[this.#head] as number) + 1;
      this.#head++;
    }
    this.#compact();
    return commit;
  }

  #find(offset: number): number {
    let lo = this.#head;
    let hi = this.#offsets.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.#offsets[mid] as number;
      if (v === offset) return mid;
      if (v < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  #compact(): void {
    if (this.#head < 1024 || this.#head * 2 < this.#offsets.length) return;
    this.#offsets = this.#offsets.slice(this.#head);
    this.#settled = this.#settled.slice(this.#head);
    this.#head = 0;
  }
}
