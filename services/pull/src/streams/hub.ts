/**
 * The open streams of this process: counts them per subscription for the limits, ends those
 * whose subscription stopped being ACTIVE (paused, rejected, deleted, sent back to PENDING when
 * its grant was withdrawn), whose credential stopped authenticating (the API key revoked, its
 * application or member suspended; for a client certificate, the application no longer
 * approved) or whose room changed its partitions — each as soon as the routing contract
 * announcing it arrives (an announcement on Redis, or the follower's poll) — and ends them all
 * when the process stops.
 */
import type { Logger } from '@roomcast/core';
import type { RoutingFollower, RoutingIndex, SubscriptionRoute } from '@roomcast/routing';
import type { EndReason, EventStream } from './event-stream.ts';
import type { StreamMetrics } from './metrics.ts';

export type Transport = 'sse' | 'websocket';

export interface OpenStream {
  stream: EventStream;
  subscriptionId: string;
  roomId: string;
  eventType: string;
  clientId: string;
  partitions: number;
  transport: Transport;
  /** The API key that opened it; undefined when a client certificate did. */
  keyId: string | undefined;
  /** Resolves once the client connection is closed. */
  closed: Promise<void>;
  /** Takes each new generation's subscription while the stream stays open (its filter and TTL apply from the next record on). */
  follow?: (sub: SubscriptionRoute) => void;
}

export interface StreamLimits {
  perSubscription: number;
  perProcess: number;
}

export class StreamHub {
  readonly #open = new Set<OpenStream>();
  readonly #reserved = new Map<string, number>();
  #reservedTotal = 0;
  readonly #limits: StreamLimits;
  readonly #metrics: StreamMetrics;
  readonly #logger: Logger;
  readonly #unsubscribe: () => void;

  constructor(o: { routing: RoutingFollower; limits: StreamLimits; metrics: StreamMetrics; logger: Logger }) {
    this.#limits = o.limits;
    this.#metrics = o.metrics;
    this.#logger = o.logger;
    this.#unsubscribe = o.routing.onChange((index) => this.#reconcile(index));
    o.metrics.observeBuffers(() => [...this.#open].reduce((sum, e) => sum + e.stream.bufferedBytes, 0));
  }

  get size(): number {
    return this.#open.size;
  }

  /**
   * Reserves a slot before the (asynchronous) opening, so concurrent requests cannot pass the
   * limits together. Answers which limit refused, or a release function.
   */
  reserve(subscriptionId: string): { refused: 'limit_subscription' | 'limit_process' } | { release: () => void } {
    const mine = this.#reserved.get(subscriptionId) ?? 0;
    if (mine >= this.#limits.perSubscription) return { refused: 'limit_subscription' };
    if (this.#reservedTotal >= this.#limits.perProcess) return { refused: 'limit_process' };
    this.#reserved.set(subscriptionId, mine + 1);
    this.#reservedTotal++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#reservedTotal--;
        const left = (this.#reserved.get(subscriptionId) ?? 1) - 1;
        if (left > 0) this.#reserved.set(subscriptionId, left);
        else this.#reserved.delete(subscriptionId);
      },
    };
  }

  /** Tracks an open stream until it ends; `release` frees its reservation then. */
  add(entry: OpenStream, release: () => void): void {
    this.#open.add(entry);
    const labels = { subscription: entry.subscriptionId, transport: entry.transport };
    this.#metrics.open.inc(labels);
    void entry.stream.ended.then((reason: EndReason) => {
      this.#open.delete(entry);
      this.#metrics.open.dec(labels);
      this.#metrics.disconnects.inc({ reason, transport: entry.transport });
      release();
      this.#logger.info('stream ended', { subscriptionId: entry.subscriptionId, transport: entry.transport, reason, peakBufferedEvents: entry.stream.peakBufferedEvents });
    });
  }

  #reconcile(index: RoutingIndex): void {
    if (this.#open.size === 0) return;
    const subs = new Map(index.contract.subscriptions.map((s) => [s.id, s]));
    const keys = new Set(index.contract.principals.flatMap((p) => (p.keyId && p.clientId ? [`${p.keyId} ${p.clientId}`] : [])));
    for (const entry of this.#open) {
      const sub = subs.get(entry.subscriptionId);
      const room = index.roomById(entry.roomId);
      const authenticates = entry.keyId !== undefined ? keys.has(`${entry.keyId} ${entry.clientId}`) : index.application(entry.clientId) !== undefined;
      if (!authenticates) entry.stream.end('credential_revoked');
      else if (!sub || !room || sub.status !== 'ACTIVE' || sub.eventType !== entry.eventType || sub.clientId !== entry.clientId) entry.stream.end('subscription_gone');
      else if (room.partitions !== entry.partitions) entry.stream.end('room_changed');
      else entry.follow?.(sub);
    }
  }

  /** Ends every stream and waits (a few seconds at most) for their connections to close. */
  async drain(timeoutMs = 3000): Promise<void> {
    this.#unsubscribe();
    const entries = [...this.#open];
    for (const e of entries) e.stream.end('server_stopping');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(entries.map((e) => e.closed)), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }
}
