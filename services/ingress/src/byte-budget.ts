/**
 * How many body bytes per second one publisher may have parsed, checked and validated by one
 * ingress process. Reading, parsing and checking a body costs the shared event loop time in
 * proportion to its size (about 10–30 ns per byte here), so a publisher sending the largest
 * bodies as fast as answers come back would hold the loop most of the time however cheap its
 * schema is. The budget is a token bucket per publisher in process memory (the resource it
 * protects is this process's loop; N processes admit N× the rate), charged with each body's
 * size after it is read and before it is parsed; a refused body answers 429
 * `publish.rate_limited` with Retry-After and is never parsed (decision 0021).
 */
import { RoomcastError } from '@roomcast/core';
import type { IngressMetrics } from './metrics.ts';
import { type BucketLimits, LocalBuckets, retryAfterSeconds } from './token-bucket.ts';

export interface ByteBudgetSettings {
  /** Body bytes per second per publisher and process; 0 disables the budget. */
  bytesPerSec: number;
  /** Bucket size in bytes: at least the largest body accepted, so any single body can pass. */
  burstBytes: number;
}

export const DEFAULT_BYTE_BUDGET: ByteBudgetSettings = { bytesPerSec: 4 * 1024 * 1024, burstBytes: 8 * 1024 * 1024 };

export class ByteBudget {
  readonly #limits: BucketLimits[];
  readonly #enabled: boolean;
  readonly #buckets = new LocalBuckets(10_000);
  readonly #metrics: IngressMetrics | undefined;

  constructor(settings: ByteBudgetSettings, metrics?: IngressMetrics) {
    this.#enabled = settings.bytesPerSec > 0;
    this.#limits = [{ ratePerSec: Math.max(1, settings.bytesPerSec), burst: settings.burstBytes }];
    this.#metrics = metrics;
  }

  /** Takes `bytes` from the publisher's bucket, or throws 429 when it does not hold them. */
  charge(publisher: string, roomId: string, bytes: number, now = Date.now()): void {
    if (!this.#enabled || bytes <= 0) return;
    const taken = this.#buckets.take([publisher], this.#limits, now, bytes);
    if (taken.allowed) return;
    this.#metrics?.rateLimited.inc({ room: roomId, scope: 'publisher_bytes' });
    throw new RoomcastError('publish.rate_limited', {
      detail: `This publisher sent more body bytes than this ingress parses for one publisher (${this.#limits[0]?.ratePerSec} bytes/s); retry after Retry-After`,
      headers: { 'retry-after': String(retryAfterSeconds(taken.retryAfterMs)) },
    });
  }
}
