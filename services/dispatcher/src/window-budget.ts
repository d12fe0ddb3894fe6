/**
 * The process's memory budget for events held in the subscriptions' windows (fetched, not final
 * yet). Each window has its own caps (records, bytes); without a budget across them, a process
 * with N subscriptions could hold N × the per-subscription cap — a thousand subscriptions of one
 * busy room held half a million records (1.8 GB RSS) at once.
 *
 * A window may always hold up to `floorBytes`, and more only while the process as a whole is
 * under `totalBytes`. So a lone busy subscription can use the whole budget, a stuck or greedy one
 * never takes the floor of the others, and the process never holds more than
 * `totalBytes + windows × floorBytes` (a window over its floor admits nothing once the process is
 * at its budget). A window holding nothing always admits one record, however large.
 *
 * Held bytes are estimated: the record's value plus a fixed overhead per record for its job,
 * headers and key (measured: ≈ 1 KiB per record on the heap beside a 540-byte value).
 */

/** Estimated heap bytes per held record beyond its value. */
export const HELD_RECORD_OVERHEAD = 1024;

export class WindowBudget {
  readonly totalBytes: number;
  readonly floorBytes: number;
  #held = 0;
  readonly #waiters = new Set<() => void>();

  constructor(totalBytes: number, floorBytes = 128 * 1024) {
    this.totalBytes = totalBytes;
    this.floorBytes = Math.min(floorBytes, totalBytes);
  }

  /** Bytes held by every window of the process. */
  get held(): number {
    return this.#held;
  }

  /** Whether a window holding `windowHeld` bytes must wait before admitting another record. */
  full(windowHeld: number): boolean {
    return windowHeld >= this.floorBytes && this.#held >= this.totalBytes;
  }

  take(bytes: number): void {
    this.#held += bytes;
  }

  give(bytes: number): void {
    const wasFull = this.#held >= this.totalBytes;
    this.#held -= bytes;
    if (wasFull && this.#held < this.totalBytes) for (const w of [...this.#waiters]) w();
  }

  /** Resolves when the process falls under its budget, or after `ms`. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.#waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }
}
