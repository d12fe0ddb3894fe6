/**
 * Push delivery: one consumer-group member (a SubscriptionWorker) per active PUSH subscription,
 * started, updated and stopped as the routing contract changes — no process restart.
 *
 *   (none) ──added──▶ running ──settings changed──▶ running (applied in place)
 *                        │ ──room, event type or FIFO changed──▶ restarted
 *                        └──removed, paused, switched to PULL──▶ stopped (place kept)
 *
 * Several dispatcher processes share each subscription's partitions through the group
 * protocol. Following the contract is the shared SubscriptionConsumers (@roomcast/runtime, which
 * also holds the Kafka consumer settings); the consumer and offsets of one subscription are in
 * worker.ts, the delivery of one job in runner.ts.
 */
import type { Logger } from '@roomcast/core';
import type { EventHeaders, Kafka } from '@roomcast/kafka';
import type { RoomRoute, RoutingFollower } from '@roomcast/routing';
import { type ContentFilters, SubscriptionConsumers } from '@roomcast/runtime';
import type { JobRunner } from './job.ts';
import type { DispatcherMetrics } from './metrics.ts';
import type { WindowBudget } from './window-budget.ts';
import { SubscriptionWorker, type WorkerLimits } from './worker.ts';

export interface DispatcherOptions {
  kafka: Kafka;
  routing: RoutingFollower;
  logger: Logger;
  metrics: DispatcherMetrics;
  limits: WorkerLimits;
  /** Shared by every subscription's window in this process. */
  budget: WindowBudget;
  runner: JobRunner;
  /** Content filters (decision 0028), decided when a record is admitted. */
  filters: ContentFilters;
  /** The plain payload of a record (a filter that reads payload fields needs it); throws when it cannot be opened. */
  open(room: RoomRoute, headers: EventHeaders, value: Buffer): string;
  /** Runs before the first subscription starts (topics, producers). */
  onStart?: () => Promise<void>;
  /** Runs after the last subscription stopped. */
  onStop?: () => Promise<void>;
}

export class Dispatcher {
  readonly #o: DispatcherOptions;
  readonly #consumers: SubscriptionConsumers<SubscriptionWorker>;
  #stopped: Promise<void> | undefined;

  constructor(options: DispatcherOptions) {
    this.#o = options;
    const { kafka, routing, logger, metrics, limits, budget, runner, filters, open } = options;
    this.#consumers = new SubscriptionConsumers({
      kafka,
      routing,
      logger,
      mode: 'PUSH',
      label: 'subscription consumer',
      // Both lanes of every partition fetched at once: a batch waiting for window space never holds up another.
      tuning: { sessionTimeoutMs: limits.sessionTimeoutMs, partitionsConsumedConcurrently: (room) => Math.max(2, room.partitions * 2) },
      accepts: (sub) => Boolean(sub.pushUrl),
      create: (sub, room, member) => new SubscriptionWorker(sub, room, member, { logger, metrics, limits, budget, runner, filters, open }),
      onCount: (running) => metrics.consumers.set(running),
    });
  }

  async start(): Promise<void> {
    await this.#o.onStart?.();
    await this.#consumers.start();
  }

  /** Stops every consumer, then the shared resources; safe to call more than once. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      await this.#consumers.stop();
      await this.#o.onStop?.();
    })();
    return this.#stopped;
  }

  /** Subscription ids with a running consumer here. */
  running(): string[] {
    return this.#consumers.ids();
  }

  /**
   * Stops a subscription's consumer in this process at once (its endpoint answered 410 Gone);
   * the control plane marks it DISABLED and the next contract keeps it stopped everywhere.
   */
  disable(id: string): void {
    this.#consumers.disable(id);
  }
}
