/**
 * Long-poll without a busy loop: a waiting puller sleeps until its subscription's queue may have
 * something — a Redis announcement (events fed, nacked, released behind a FIFO head, or leases
 * expired), the moment the earliest lease or delay ends, or its deadline.
 *
 * A ticket taken before looking at the queue closes the gap between "found nothing" and "started
 * waiting": an announcement in between makes the wait return at once.
 */
import type { Logger } from '@roomcast/core';
import type { Redis } from '@roomcast/redis';

interface Waiter {
  resolve(): void;
}

export class WakeBoard {
  readonly #counters = new Map<string, number>();
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #sub: Redis;
  readonly #channel: string;

  constructor(redis: Redis, channel: string, logger: Logger) {
    // A subscriber connection may only subscribe; no ready check (see routing/store.ts).
    this.#sub = redis.duplicate({ enableReadyCheck: false, lazyConnect: true });
    this.#channel = channel;
    this.#sub.on('error', (err) => logger.warn('pull wake-up connection error', { error: err }));
    this.#sub.on('message', (_channel: string, subscriptionId: string) => this.notify(subscriptionId));
  }

  async start(): Promise<void> {
    await this.#sub.subscribe(this.#channel);
  }

  ticket(sub: string): number {
    return this.#counters.get(sub) ?? 0;
  }

  notify(sub: string): void {
    this.#counters.set(sub, this.ticket(sub) + 1);
    const set = this.#waiters.get(sub);
    if (!set) return;
    this.#waiters.delete(sub);
    for (const w of set) w.resolve();
  }

  /** Resolves on an announcement after `ticket`, after `ms`, or when `signal` aborts. */
  wait(sub: string, ticket: number, ms: number, signal?: AbortSignal): Promise<void> {
    if (this.ticket(sub) !== ticket || ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const set = this.#waiters.get(sub) ?? new Set<Waiter>();
      this.#waiters.set(sub, set);
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        set.delete(waiter);
        resolve();
      };
      const waiter: Waiter = { resolve: done };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      set.add(waiter);
    });
  }

  async close(): Promise<void> {
    for (const sub of [...this.#waiters.keys()]) this.notify(sub);
    await this.#sub.quit().catch(() => this.#sub.disconnect());
  }
}
