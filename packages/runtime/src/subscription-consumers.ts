/**
 * One Kafka consumer-group member per subscription of one delivery mode, kept in step with the
 * routing contract without a process restart. The push dispatcher and the pull feeder each run
 * one; what a member does with its records is theirs (SubscriptionConsumer).
 *
 *   (none) ──onAdded──▶ running ──settings changed──▶ running (update(), in place)
 *                         │ ──room topic, event type, FIFO flag or group changed──▶ restarted
 *                         ├──removed, paused, switched mode, disabled──▶ stopped (the group keeps its place)
 *                         └──start failed (e.g. no partition leader yet)──▶ (none), tried again in 5 s
 *
 * The Kafka consumer settings are here and nowhere else: the subscription's own group
 * (`sub.group`, so a PUSH↔PULL switch keeps its place), no topic auto-creation, both lanes of the
 * room subscribed from the beginning (a new group starts at the oldest record), explicit commits
 * (autoCommit off; the member resolves and commits offsets itself) and a heartbeat of a tenth of
 * the session timeout, at least 500 ms, which also bounds how long an idle fetch waits. Two
 * settings differ between the users, passed in as ConsumerTuning:
 * - session timeout: the dispatcher's is configurable (ROOMCAST_DISPATCH_SESSION_TIMEOUT_MS, how
 *   soon a crashed dispatcher's partitions move to another process); the feeder's is 30 s;
 * - partitions consumed at once: the dispatcher 2 × the room's partitions (at least 2), so every
 *   partition of both lanes has its own batch handler and the urgent lane never waits behind a
 *   normal-lane batch blocked on a full window; the feeder 4, since every partition feeds the
 *   same bounded Redis queue and a handler waiting for room there would not be helped by more.
 */
import type { Logger } from '@roomcast/core';
import type { Consumer, EachBatchPayload, Kafka } from '@roomcast/kafka';
import type { RoomRoute, RoutingFollower, RoutingIndex, SubscriptionRoute } from '@roomcast/routing';

export interface ConsumerTuning {
  /** How soon a member that stopped heartbeating loses its partitions. */
  sessionTimeoutMs: number;
  partitionsConsumedConcurrently(room: RoomRoute): number;
}

/** The Kafka side of one subscription's member, with this module's settings. */
export interface GroupMember {
  /** For explicit commits and the final disconnect. */
  readonly consumer: Consumer;
  /** Called on every group join with this member's partitions per topic. */
  onAssignment(listener: (assignment: Record<string, number[]>) => void): void;
  /** Connects, subscribes to both lanes of the room and consumes batch by batch. */
  run(eachBatch: (payload: EachBatchPayload) => Promise<void>): Promise<void>;
}

/** What a user of the supervisor runs per subscription. */
export interface SubscriptionConsumer {
  /** Joins the group and consumes; a rejection means it is started again later. */
  start(): Promise<void>;
  /** Settings that apply without a new consumer (endpoint, secrets, limits, room data keys). */
  update(sub: SubscriptionRoute, room: RoomRoute): void;
  /**
   * Commits what is final and leaves the group. `deleted`: the subscription is gone from the
   * contract (its state may go too). What it returns is added to the `stopped` log line.
   */
  stop(deleted: boolean): Promise<Record<string, unknown> | undefined>;
}

export interface SubscriptionConsumersOptions<C extends SubscriptionConsumer> {
  kafka: Kafka;
  routing: RoutingFollower;
  logger: Logger;
  mode: 'PUSH' | 'PULL';
  /** Names the member in log lines: `<label> started`, `<label> stopped`. */
  label: string;
  tuning: ConsumerTuning;
  /** Which of the mode's subscriptions whose room is in the contract get a consumer (default: all). */
  accepts?(sub: SubscriptionRoute): boolean;
  create(sub: SubscriptionRoute, room: RoomRoute, member: GroupMember): C;
  /** Synchronously with the first contract and every change, before it is reconciled (not on retries). */
  onContract?(index: RoutingIndex): void;
  /** The number of running consumers may have changed. */
  onCount?(running: number): void;
}

const RETRY_MS = 5000;

/** What needs a new consumer when it changes; everything else is applied in place. */
const restartPrint = (s: SubscriptionRoute, room: RoomRoute) => JSON.stringify([s.eventType, s.fifo, s.group, room.topic]);

export class SubscriptionConsumers<C extends SubscriptionConsumer> {
  readonly #o: SubscriptionConsumersOptions<C>;
  readonly #running = new Map<string, { consumer: C; print: string }>();
  /** Subscriptions stopped here for good (e.g. 410 Gone) until the contract says otherwise. */
  readonly #disabled = new Set<string>();
  #queue: Promise<void> = Promise.resolve();
  #unsubscribe: (() => void) | undefined;
  #stopped: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(options: SubscriptionConsumersOptions<C>) {
    this.#o = options;
  }

  async start(): Promise<void> {
    this.#unsubscribe = this.#o.routing.onChange((next) => {
      this.#o.onContract?.(next);
      void this.#reconcile(next);
    });
    const first = this.#o.routing.current();
    this.#o.onContract?.(first);
    await this.#reconcile(first);
  }

  /** Stops every consumer; safe to call more than once. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#unsubscribe?.();
      clearTimeout(this.#retryTimer);
      await this.#serial(async () => {
        await Promise.all([...this.#running.keys()].map((id) => this.#remove(id, false)));
      });
    })();
    return this.#stopped;
  }

  /** Subscription ids with a running consumer here. */
  ids(): string[] {
    return [...this.#running.keys()];
  }

  /** The running consumers. */
  consumers(): C[] {
    return [...this.#running.values()].map((e) => e.consumer);
  }

  get(id: string): C | undefined {
    return this.#running.get(id)?.consumer;
  }

  /** Stops a subscription's consumer here at once; it stays stopped until the contract no longer lists it. */
  disable(id: string): void {
    this.#disabled.add(id);
    void this.#serial(() => this.#remove(id, false));
  }

  /** A start that failed is tried again with the contract of the moment. */
  #retryLater(): void {
    if (this.#retryTimer || this.#stopped) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#reconcile(this.#o.routing.current());
    }, RETRY_MS);
    this.#retryTimer.unref();
  }

  #serial(fn: () => Promise<void>): Promise<void> {
    this.#queue = this.#queue.then(fn, fn);
    return this.#queue;
  }

  #reconcile(index: RoutingIndex): Promise<void> {
    return this.#serial(async () => {
      if (this.#stopped) return;
      const accepts = this.#o.accepts ?? (() => true);
      const wanted = new Map(
        index
          .subscriptions(this.#o.mode)
          .filter((s) => accepts(s) && index.roomById(s.roomId))
          .map((s) => [s.id, s]),
      );
      const listed = new Set(index.contract.subscriptions.map((s) => s.id));
      // A disabled subscription stays stopped until the contract no longer lists it in this mode.
      for (const id of this.#disabled) if (!wanted.has(id)) this.#disabled.delete(id);
      for (const id of this.#running.keys()) if (!wanted.has(id) || this.#disabled.has(id)) await this.#remove(id, !listed.has(id));
      for (const [id, sub] of wanted) {
        const room = index.roomById(sub.roomId);
        if (this.#disabled.has(id) || !room) continue;
        const current = this.#running.get(id);
        const print = restartPrint(sub, room);
        if (current && current.print === print) {
          current.consumer.update(sub, room);
          continue;
        }
        if (current) await this.#remove(id, false);
        await this.#onAdded(sub, room, print);
      }
      this.#o.onCount?.(this.#running.size);
    });
  }

  async #onAdded(sub: SubscriptionRoute, room: RoomRoute, print: string): Promise<void> {
    const consumer = this.#o.create(sub, room, this.#member(sub, room));
    this.#running.set(sub.id, { consumer, print });
    try {
      await consumer.start();
      this.#o.logger.info(`${this.#o.label} started`, { subscriptionId: sub.id, group: sub.group });
    } catch (err) {
      this.#running.delete(sub.id);
      this.#o.logger.error(`${this.#o.label} failed to start; trying again in 5 s`, { subscriptionId: sub.id, error: err });
      await consumer.stop(false).catch(() => {});
      this.#retryLater();
    }
  }

  async #remove(id: string, deleted: boolean): Promise<void> {
    const entry = this.#running.get(id);
    if (!entry) return;
    this.#running.delete(id);
    let fields: Record<string, unknown> | undefined;
    try {
      fields = await entry.consumer.stop(deleted);
    } catch (err) {
      this.#o.logger.warn(`${this.#o.label} stop failed`, { subscriptionId: id, error: err });
    }
    this.#o.onCount?.(this.#running.size);
    this.#o.logger.info(`${this.#o.label} stopped`, { subscriptionId: id, ...fields });
  }

  #member(sub: SubscriptionRoute, room: RoomRoute): GroupMember {
    const { sessionTimeoutMs } = this.#o.tuning;
    const heartbeatInterval = Math.max(500, Math.floor(sessionTimeoutMs / 10));
    const consumer = this.#o.kafka.consumer({
      groupId: sub.group,
      allowAutoTopicCreation: false,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval,
      // The client heartbeats (and so learns of a rebalance) only between fetches: an idle
      // fetch may wait no longer than a heartbeat interval, or a survivor would take a dead
      // member's partitions up to the client's default 5 s after the session ran out.
      maxWaitTimeInMs: heartbeatInterval,
    });
    const concurrency = this.#o.tuning.partitionsConsumedConcurrently(room);
    return {
      consumer,
      onAssignment(listener) {
        consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => listener(payload.memberAssignment));
      },
      async run(eachBatch) {
        await consumer.connect();
        await consumer.subscribe({ topics: [room.urgentTopic, room.topic], fromBeginning: true });
        await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: concurrency, eachBatch });
      },
    };
  }
}
