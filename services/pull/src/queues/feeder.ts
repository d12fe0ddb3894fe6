/**
 * Feeds pull queues from Kafka. Every pull process runs one consumer-group member per ACTIVE
 * PULL subscription, in the subscription's own group (so switching PUSH↔PULL keeps its place);
 * the member that owns a partition feeds that partition's records of the subscription's event
 * type into the shared queue in Redis (queue-store.ts) and commits its offset.
 *
 *   (none) ──onAdded──▶ feeding ──buffer full──▶ waiting for room ──▶ feeding
 *                          │ └──onChanged──▶ (restart)
 *                          └──onRemoved──▶ stopped (final commit; queue dropped if the subscription is gone)
 *
 * Following the contract (add, restart, remove, retry a failed start) and the Kafka consumer
 * settings are the shared SubscriptionConsumers (@roomcast/runtime); this module is what one
 * member does with its partitions.
 *
 * Commit point of a partition: the lowest offset still in the queue, or one past the last offset
 * this member fed or skipped — whichever is lower; so offsets are committed only past acked or
 * dead-lettered events. Re-feeding after a rebalance is harmless: the queue skips entries it holds
 * and offsets it finished (tombstones until committed). On start and on every (re)assignment,
 * entries below the group's committed offsets are finished (purged): Kafka says they are done.
 */
import { type DataKeyRing, type Logger, openEventPayload } from '@roomcast/core';
import { type Consumer, decodeHeaders, type KafkaMessage } from '@roomcast/kafka';
import { decodeWire } from '@roomcast/registry';
import type { RoomRoute, RoutingFollower, RoutingIndex, SubscriptionRoute } from '@roomcast/routing';
import { type ContentFilters, type GroupMember, type Runtime, type SubscriptionConsumer, SubscriptionConsumers } from '@roomcast/runtime';
import { toBlob } from './pull-item.ts';
import { entryId, type Lane, type PullStore, type QueueRecord } from './queue-store.ts';
import type { PullMetrics } from './metrics.ts';

export interface FeederOptions {
  runtime: Runtime;
  routing: RoutingFollower;
  store: PullStore;
  metrics: PullMetrics;
  logger: Logger;
  /** Content filters (decision 0028): an event a filter leaves out is skipped like one of another type, never enqueued. */
  filters: ContentFilters;
  /** Opens classified payloads for filters that read payload fields. */
  dataKeys: DataKeyRing | undefined;
  bufferEvents: number;
  commitIntervalMs: number;
}

interface Member extends SubscriptionConsumer {
  sub: SubscriptionRoute;
  room: RoomRoute;
  urgentTopic: string;
  topic: string;
  consumer: Consumer;
  /** `topic|partition` → last offset fed or skipped by this member. */
  watermarks: Map<string, bigint>;
  committed: Map<string, bigint>;
  assigned: Set<string>;
  /** Partitions (re)assigned whose first batch has not been seen yet. */
  fresh: Set<string>;
  /** Purging below the committed offsets of a new assignment; batches wait for it. */
  purging: Promise<void>;
  timer: NodeJS.Timeout | undefined;
  committing: Promise<void> | undefined;
}

const FEED_CHUNK = 500;

export class Feeder {
  readonly #o: FeederOptions;
  readonly #members: SubscriptionConsumers<Member>;
  /** Subscriptions whose feeder is starting: pulls wait until stale entries are purged. */
  readonly #starting = new Map<string, { done: Promise<void>; resolve(): void }>();

  constructor(o: FeederOptions) {
    this.#o = o;
    this.#members = new SubscriptionConsumers({
      kafka: o.runtime.kafka,
      routing: o.routing,
      logger: o.logger,
      mode: 'PULL',
      label: 'pull feeder',
      // Every partition feeds the same bounded queue: a few batch handlers at once are enough.
      tuning: { sessionTimeoutMs: 30_000, partitionsConsumedConcurrently: () => 4 },
      create: (sub, room, group) => this.#member(sub, room, group),
      onContract: (index) => this.#expect(index),
    });
  }

  /** Subscriptions this process feeds (and sweeps). */
  subscriptions(): SubscriptionRoute[] {
    return this.#members.consumers().map((m) => m.sub);
  }

  start(): Promise<void> {
    return this.#members.start();
  }

  /**
   * Resolves once this process's feeder for the subscription has purged what Kafka says is done
   * (at most `timeoutMs`): right after a switch back to PULL, the queue may still hold events
   * pushed meanwhile.
   */
  ready(subscriptionId: string, timeoutMs = 5000): Promise<void> {
    const starting = this.#starting.get(subscriptionId);
    if (!starting) return Promise.resolve();
    return Promise.race([starting.done, new Promise<void>((r) => setTimeout(r, timeoutMs).unref())]);
  }

  /** Registers, synchronously with the contract change, the feeders about to start. */
  #expect(index: RoutingIndex): void {
    for (const s of index.subscriptions('PULL')) {
      if (this.#members.get(s.id) || this.#starting.has(s.id)) continue;
      let resolve = () => {};
      const done = new Promise<void>((r) => {
        resolve = r;
      });
      this.#starting.set(s.id, { done, resolve });
    }
  }

  #started(id: string): void {
    this.#starting.get(id)?.resolve();
    this.#starting.delete(id);
  }

  stop(): Promise<void> {
    return this.#members.stop();
  }

  #member(sub: SubscriptionRoute, room: RoomRoute, group: GroupMember): Member {
    const m: Member = {
      sub,
      room,
      urgentTopic: room.urgentTopic,
      topic: room.topic,
      consumer: group.consumer,
      watermarks: new Map(),
      committed: new Map(),
      assigned: new Set(),
      fresh: new Set(),
      purging: Promise.resolve(),
      timer: undefined,
      committing: undefined,
      start: () => this.#onAdded(m, group),
      update(next, nextRoom) {
        m.sub = next;
        m.room = nextRoom;
      },
      stop: (deleted) => this.#onRemoved(m, deleted),
    };
    return m;
  }

  async #onAdded(m: Member, group: GroupMember): Promise<void> {
    group.onAssignment((assignment) => this.#onAssigned(m, assignment));
    try {
      await this.#purgeCommitted(m).catch((err: unknown) => this.#o.logger.warn('pull queue not purged below the committed offsets', { subscriptionId: m.sub.id, error: err }));
    } finally {
      this.#started(m.sub.id);
    }
    await group.run((payload) => this.#onBatch(m, payload));
    m.timer = setInterval(() => void this.#commit(m), this.#o.commitIntervalMs);
  }

  async #onRemoved(m: Member, deleted: boolean): Promise<Record<string, unknown>> {
    const id = m.sub.id;
    clearInterval(m.timer);
    await this.#commit(m);
    await m.consumer.disconnect().catch((err: unknown) => this.#o.logger.warn('pull feeder disconnect failed', { subscriptionId: id, error: err }));
    if (deleted) await this.#o.store.drop(id).catch((err: unknown) => this.#o.logger.warn('pull queue not dropped', { subscriptionId: id, error: err }));
    return { queueDropped: deleted };
  }

  #onAssigned(m: Member, assignment: Record<string, number[]>): void {
    m.assigned = new Set(Object.entries(assignment).flatMap(([topic, parts]) => parts.map((p) => `${topic}|${p}`)));
    m.fresh = new Set(m.assigned);
    for (const tp of [...m.watermarks.keys()]) if (!m.assigned.has(tp)) m.watermarks.delete(tp);
    const previous = m.purging;
    m.purging = previous.then(() => this.#purgeCommitted(m, assignment)).catch((err: unknown) => {
      this.#o.logger.warn('pull queue not purged below the committed offsets', { subscriptionId: m.sub.id, error: err });
    });
  }

  /**
   * Entries below the group's committed offset are done by Kafka's account (another delivery
   * mode committed past them while they sat in this queue, e.g. PULL→PUSH→PULL): finish them, so
   * they are not handed out again and the commit point never moves back.
   */
  async #purgeCommitted(m: Member, assignment?: Record<string, number[]>): Promise<void> {
    const topics = assignment ? Object.keys(assignment) : [m.urgentTopic, m.topic];
    if (topics.length === 0) return;
    const admin = this.#o.runtime.kafka.admin();
    await admin.connect();
    try {
      for (const t of await admin.fetchOffsets({ groupId: m.sub.group, topics })) {
        for (const p of t.partitions) {
          if ((assignment && !assignment[t.topic]?.includes(p.partition)) || BigInt(p.offset) < 0n) continue;
          await this.#o.store.purgeBelow(m.sub.id, this.#lane(m, t.topic), p.partition, p.offset);
        }
      }
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  #lane(m: Member, topic: string): Lane {
    return topic === m.urgentTopic ? 'u' : 'n';
  }

  #record(m: Member, lane: Lane, partition: number, msg: KafkaMessage): QueueRecord | undefined {
    const headers = decodeHeaders(msg.headers);
    const value = msg.value;
    if (!headers || !value || headers.eventType !== m.sub.eventType) return undefined;
    const key = msg.key?.toString('utf8') ?? '';
    const admitted = this.#o.filters.admits('pull', m.sub, headers, msg.key ? key : null, () => {
      const wire = decodeWire(value);
      if (!wire) throw new Error('record value is not in the Confluent wire format');
      return openEventPayload(this.#o.dataKeys, m.room, headers, wire.payload);
    });
    if (!admitted) return undefined;
    const published = Date.parse(headers.time);
    return {
      entry: entryId(lane, partition, msg.offset),
      publishedMs: Number.isFinite(published) ? published : Date.now(),
      eventId: headers.id,
      key,
      blob: toBlob({ headers: msg.headers, key: msg.key ?? null, value, partition, offset: msg.offset }),
    };
  }

  async #onBatch(
    m: Member,
    b: {
      batch: { topic: string; partition: number; messages: KafkaMessage[] };
      resolveOffset(offset: string): void;
      heartbeat(): Promise<void>;
      isRunning(): boolean;
      isStale(): boolean;
    },
  ): Promise<void> {
    const { topic, partition, messages } = b.batch;
    if (messages.length === 0) return;
    const lane = this.#lane(m, topic);
    const tp = `${topic}|${partition}`;
    const { store, metrics } = this.#o;
    await m.purging;
    if (m.fresh.delete(tp)) await store.purgeBelow(m.sub.id, lane, partition, (messages[0] as KafkaMessage).offset);
    const slots = messages.map((msg) => ({ offset: msg.offset, rec: this.#record(m, lane, partition, msg) }));
    const advance = (offset: string) => {
      b.resolveOffset(offset);
      m.watermarks.set(tp, BigInt(offset));
    };
    let i = 0;
    while (i < slots.length) {
      if (!b.isRunning() || b.isStale()) return;
      const recs: QueueRecord[] = [];
      let j = i;
      for (; j < slots.length && recs.length < FEED_CHUNK; j++) {
        const rec = slots[j]?.rec;
        if (rec) recs.push(rec);
      }
      let consumed = recs.length;
      if (recs.length > 0) {
        const r = await store.feed(m.sub.id, recs, { bufferMax: this.#o.bufferEvents, fifo: m.sub.fifo });
        consumed = r.consumed;
        if (r.fed > 0) metrics.fed.inc({ subscription: m.sub.id }, r.fed);
      }
      // Advance through skipped records and the consumed prefix, up to the first record left out.
      let k = i;
      for (let seen = 0; k < j; k++) {
        if (!slots[k]?.rec) continue;
        if (seen === consumed) break;
        seen++;
      }
      if (k > i) advance((slots[k - 1] as { offset: string }).offset);
      i = k;
      if (consumed < recs.length) await this.#waitForRoom(m, b);
    }
    await b.heartbeat();
  }

  /**
   * Feeding pauses (holding this partition) until the queue has room again: checked after 5 ms,
   * then less and less often (at most every 250 ms), so a busy queue refills at once and an
   * abandoned one costs four Redis reads a second.
   */
  async #waitForRoom(m: Member, b: { heartbeat(): Promise<void>; isRunning(): boolean; isStale(): boolean }): Promise<void> {
    for (let delay = 5; b.isRunning() && !b.isStale() && this.#members.get(m.sub.id) === m; delay = Math.min(250, delay * 2)) {
      await new Promise((r) => setTimeout(r, delay));
      await b.heartbeat().catch(() => {});
      const { depth } = await this.#o.store.stats(m.sub.id);
      if (depth < this.#o.bufferEvents) return;
    }
  }

  #commit(m: Member): Promise<void> {
    m.committing ??= this.#commitOnce(m).finally(() => {
      m.committing = undefined;
    });
    return m.committing;
  }

  async #commitOnce(m: Member): Promise<void> {
    const { store } = this.#o;
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    for (const [tp, wm] of m.watermarks) {
      if (!m.assigned.has(tp)) continue;
      const [topic = '', p = '0'] = tp.split('|');
      const partition = Number(p);
      const low = await store.lowestPending(m.sub.id, this.#lane(m, topic), partition);
      const point = low !== undefined && low <= wm ? low : wm + 1n;
      const last = m.committed.get(tp);
      if (last !== undefined && point <= last) continue;
      offsets.push({ topic, partition, offset: String(point) });
    }
    if (offsets.length === 0) return;
    try {
      await m.consumer.commitOffsets(offsets);
    } catch (err) {
      // Typically a rebalance: the new owner commits from the same queue.
      this.#o.logger.info('pull offsets not committed', { subscriptionId: m.sub.id, error: (err as Error).message });
      return;
    }
    for (const o of offsets) {
      const point = BigInt(o.offset);
      m.committed.set(`${o.topic}|${o.partition}`, point);
      await store.trimAcked(m.sub.id, this.#lane(m, o.topic), o.partition, point);
    }
  }
}
