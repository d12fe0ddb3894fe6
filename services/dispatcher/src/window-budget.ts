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
  /** How far under the budget the process must fall before waiting windows are woken. */
  readonly #slack: number;
  readonly #waiters = new Set<() => void>();

  constructor(totalBytes: number, floorBytes = 128 * 1024) {
    this.totalBytes = totalBytes;
    this.floorBytes = Math.min(floorBytes, totalBytes);
    this.#slack = Math.max(this.floorBytes, Math.floor(totalBytes / 16));
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

  /**
   * Gives back `bytes`. Waiting windows are woken only once the process is a `slack` below its
   * budget, and then about one per floor of room: each wakes to admit a run of records rather
   * than one. Waking every waiter on every delivery would cost each delivery as many wake-ups
   * as there are stuck windows; waking one per delivery costs a wake-up per admitted record.
   */
  give(bytes: number): void {
    this.#held -= bytes;
    const room = this.totalBytes - this.#held;
    if (room < this.#slack || this.#waiters.size === 0) return;
    let n = Math.max(1, Math.floor(room / this.floorBytes));
    for (const w of this.#waiters) {
      if (n-- <= 0) break;
      w();
    }
  }

  /**
   * Calls `onRoom` once, when this process has room again and `onRoom` is among the longest
   * waiting; answers a function that withdraws it.
   */
  whenRoom(onRoom: () => void): () => void {
    const once = () => {
      this.#waiters.delete(once);
      onRoom();
    };
    this.#waiters.add(once);
    return () => this.#waiters.delete(once);
  }

  /** Windows waiting for room in the process. */
  get waiting(): number {
    return this.#waiters.size;
  }
}
