/**
 * Decides which delivery runs next for one subscription (pure; no I/O, no timers).
 *
 * - At most `limit` jobs hold a slot (are being attempted) at once.
 * - FIFO: per key, only the oldest job is runnable; the next one becomes runnable when it
 *   finishes. A job waiting for its retry releases its slot but keeps its key, so a failing key
 *   holds back only its own later events, never other keys.
 * - Lanes: lane 0 (the urgent topic) is always taken before lane 1 (the normal topic); jobs
 *   coming back from a back-off go before fresh ones of their lane.
 * - A job marked `dropped` (its partition was revoked) is discarded when it would be taken.
 */
export interface Job {
  lane: 0 | 1;
  /** Ordering key within the lane; null: no key (never held back by another job). */
  key: string | null;
  dropped?: boolean;
}

class Deque<T> {
  #items: T[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(x: T): void {
    this.#items.push(x);
  }
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const x = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return x;
  }
}

export class JobScheduler<J extends Job> {
  readonly #fifo: boolean;
  #limit: number;
  #running = 0;
  #queued = 0;
  /** Per lane: jobs back from a back-off (first), then fresh runnable jobs. */
  readonly #resumed: [Deque<J>, Deque<J>] = [new Deque(), new Deque()];
  readonly #ready: [Deque<J>, Deque<J>] = [new Deque(), new Deque()];
  /** FIFO only: per lane+key, the jobs in order; the first one is the key's current job. */
  readonly #keys = new Map<string, J[]>();
  readonly #holding = new Set<J>();

  readonly #onDiscard: ((job: J) => void) | undefined;

  /** `onDiscard` is told about each dropped job the scheduler throws away instead of returning it. */
  constructor(fifo: boolean, limit: number, onDiscard?: (job: J) => void) {
    this.#fifo = fifo;
    this.#limit = Math.max(1, limit);
    this.#onDiscard = onDiscard;
  }

  /** Jobs holding a slot. */
  get running(): number {
    return this.#running;
  }

  /** Jobs pushed and not finished (queued, running or waiting for a retry). */
  get pending(): number {
    return this.#queued;
  }

  setLimit(limit: number): void {
    this.#limit = Math.max(1, limit);
  }

  push(job: J): void {
    this.#queued++;
    const k = this.#keyOf(job);
    if (k !== undefined) {
      const line = this.#keys.get(k);
      if (line) {
        line.push(job);
        return;
      }
      this.#keys.set(k, [job]);
    }
    this.#ready[job.lane].push(job);
  }

  /** The next job to attempt, now holding a slot; undefined when every slot is taken or nothing is runnable. */
  take(): J | undefined {
    while (this.#running < this.#limit) {
      const job = this.#resumed[0].shift() ?? this.#ready[0].shift() ?? this.#resumed[1].shift() ?? this.#ready[1].shift();
      if (!job) return undefined;
      if (job.dropped) {
        this.#release(job);
        this.#onDiscard?.(job);
        continue;
      }
      this.#running++;
      this.#holding.add(job);
      return job;
    }
    return undefined;
  }

  /** The job waits (back-off, rate limit, open circuit): its slot is freed, its key stays held. */
  suspend(job: J): void {
    if (this.#holding.delete(job)) this.#running--;
  }

  /** A suspended job is runnable again, ahead of fresh jobs of its lane. */
  resume(job: J): void {
    this.#resumed[job.lane].push(job);
  }

  /** The job reached a final outcome (or was abandoned): frees its slot and its key. */
  finish(job: J): void {
    if (this.#holding.delete(job)) this.#running--;
    this.#release(job);
  }

  #release(job: J): void {
    this.#queued--;
    const k = this.#keyOf(job);
    if (k === undefined) return;
    const line = this.#keys.get(k);
    if (!line || line[0] !== job) return;
    line.shift();
    const next = line[0];
    if (next) this.#ready[next.lane].push(next);
    else this.#keys.delete(k);
  }

  #keyOf(job: J): string | undefined {
    return this.#fifo && job.key !== null ? `${job.lane}\u0000${job.key}` : undefined;
  }
}
