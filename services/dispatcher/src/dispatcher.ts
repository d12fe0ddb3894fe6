/**
 * Push delivery: one consumer-group member (a SubscriptionWorker) per active PUSH subscription,
 * started, updated and stopped as the routing contract changes — no process restart.
 *
 *   (none) ──added──▶ running ──settings changed──▶ running (applied in place)
 *                        │ ──room, event type or FIFO changed──▶ restarted
 *                        └──removed, paused, switched to PULL──▶ stopped (place kept)
 *
 * Several dispatcher processes share each subscription's partitions through the group
 * protocol. The delivery of one job is in runner.ts, the consumer and offsets in worker.ts.
 */
import type { Logger } from '@roomcast/core';
import type { Kafka } from '@roomcast/kafka';
import type { RoutingFollower, RoutingIndex, SubscriptionRoute } from '@roomcast/routing';
import type { DispatcherMetrics } from './metrics.ts';
import type { JobRunner } from './job.ts';
import { SubscriptionWorker, type WorkerLimits } from './worker.ts';

export interface DispatcherOptions {
  kafka: Kafka;
  routing: RoutingFollower;
  logger: Logger;
  metrics: DispatcherMetrics;
  limits: WorkerLimits;
  runner: JobRunner;
  /** Runs before the first subscription starts (topics, producers). */
  onStart?: () => Promise<void>;
  /** Runs after the last subscription stopped. */
  onStop?: () => Promise<void>;
}

/** What needs a new consumer when it changes; everything else is applied in place. */
const restartPrint = (s: SubscriptionRoute, index: RoutingIndex) => JSON.stringify([s.eventType, s.fifo, s.group, index.roomById(s.roomId)?.topic]);

export class Dispatcher {
  readonly #o: DispatcherOptions;
  readonly #running = new Map<string, { worker: SubscriptionWorker; print: string }>();
  /** Subscriptions this process stopped for good (410 Gone) until the contract says otherwise. */
  readonly #disabled = new Set<string>();
  #queue: Promise<void> = Promise.resolve();
  #unsubscribe: (() => void) | undefined;
  #stopped: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(options: DispatcherOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    await this.#o.onStart?.();
    this.#unsubscribe = this.#o.routing.onChange((next) => void this.#reconcile(next));
    await this.#reconcile(this.#o.routing.current());
  }

  /** Stops every consumer, then the shared resources; safe to call more than once. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#unsubscribe?.();
      clearTimeout(this.#retryTimer);
      await this.#serial(async () => {
        await Promise.all([...this.#running.keys()].map((id) => this.#remove(id)));
      });
      await this.#o.onStop?.();
    })();
    return this.#stopped;
  }

  /** Subscription ids with a running consumer here. */
  running(): string[] {
    return [...this.#running.keys()];
  }

  /**
   * Stops a subscription's consumer in this process at once (its endpoint answered 410 Gone);
   * the control plane marks it DISABLED and the next contract keeps it stopped everywhere.
   */
  disable(id: string): void {
    this.#disabled.add(id);
    void this.#serial(() => this.#remove(id));
  }

  /** A start that failed (e.g. a topic whose partitions have no leader yet) is tried again. */
  #retryLater(): void {
    if (this.#retryTimer || this.#stopped) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#reconcile(this.#o.routing.current());
    }, 5000);
    this.#retryTimer.unref();
  }

  #serial(fn: () => Promise<void>): Promise<void> {
    this.#queue = this.#queue.then(fn, fn);
    return this.#queue;
  }

  #reconcile(index: RoutingIndex): Promise<void> {
    return this.#serial(async () => {
      if (this.#stopped) return;
      const wanted = new Map(index.subscriptions('PUSH').filter((s) => s.pushUrl && index.roomById(s.roomId)).map((s) => [s.id, s]));
      // A disabled subscription stays stopped until the contract no longer lists it as ACTIVE PUSH.
      for (const id of this.#disabled) if (!wanted.has(id)) this.#disabled.delete(id);
      for (const id of this.#running.keys()) if (!wanted.has(id) || this.#disabled.has(id)) await this.#remove(id);
      for (const [id, sub] of wanted) {
        if (this.#disabled.has(id)) continue;
        const current = this.#running.get(id);
        const print = restartPrint(sub, index);
        const room = index.roomById(sub.roomId);
        if (current && room && current.print === print) {
          current.worker.update(sub, room);
          continue;
        }
        if (current) await this.#remove(id);
        await this.#add(sub, index, print);
      }
      this.#o.metrics.consumers.set(this.#running.size);
    });
  }

  async #add(sub: SubscriptionRoute, index: RoutingIndex, print: string): Promise<void> {
    const room = index.roomById(sub.roomId);
    if (!room) return;
    const worker = new SubscriptionWorker(sub, room, { kafka: this.#o.kafka, logger: this.#o.logger, metrics: this.#o.metrics, limits: this.#o.limits, runner: this.#o.runner });
    this.#running.set(sub.id, { worker, print });
    try {
      await worker.start();
      this.#o.logger.info('subscription consumer started', { subscriptionId: sub.id, group: sub.group });
    } catch (err) {
      this.#running.delete(sub.id);
      this.#o.logger.error('subscription consumer failed to start; trying again in 5 s', { subscriptionId: sub.id, error: err });
      await worker.stop().catch(() => {});
      this.#retryLater();
    }
  }

  async #remove(id: string): Promise<void> {
    const entry = this.#running.get(id);
    if (!entry) return;
    this.#running.delete(id);
    await entry.worker.stop().catch((err: unknown) => this.#o.logger.warn('consumer stop failed', { subscriptionId: id, error: err }));
    this.#o.metrics.consumers.set(this.#running.size);
    this.#o.logger.info('subscription consumer stopped', { subscriptionId: id });
  }
}
