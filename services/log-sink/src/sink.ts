/**
 * The log sink: one member of the `{prefix}.log-sink` consumer group, reading every room topic,
 * every urgent lane and the delivery-log topic, and appending them to the message log; and the
 * dead-letter topic, indexed per subscription (decision 0026: metadata only, the value stays in Kafka).
 *
 *   fetch batch (one partition) ─▶ rows (records.ts) ─▶ one transaction: skip rows at or below
 *   the stream's head, chain the rest, insert, move the head, sign a checkpoint when due ─▶
 *   commit the Kafka offset past the batch
 *
 * The offset is committed only after the transaction commits; a crash between the two reads the
 * batch again, and the head (written in the same transaction as the rows) skips what is already
 * there: no gap, no duplicate. Several sinks share the partitions through the group; the head's
 * row lock serialises two sinks that briefly hold the same partition during a rebalance.
 *
 * The topic list follows the routing contract: a new room restarts the consumer with its topics
 * (read from their beginning, so nothing published before the restart is missed).
 */
import type { Logger } from '@roomcast/core';
import { type Consumer, ensureTopics, INTERNAL_TOPIC_MAX_MESSAGE_BYTES, type Kafka, type KafkaNames } from '@roomcast/kafka';
import { appendDeadLetters, applyRetention, type DeadLetterEntry, type DeliveryEntry, type EventEntry, type LogSigner, type LogStore } from '@roomcast/log';
import type { RoutingFollower } from '@roomcast/routing';
import type { EachBatchPayload } from 'kafkajs';
import type { SinkMetrics } from './metrics.ts';
import { deadLetterEntry, deliveryEntry, eventEntry, type SinkRecord } from './records.ts';

export interface SinkOptions {
  kafka: Kafka;
  names: KafkaNames;
  routing: RoutingFollower;
  store: LogStore;
  signer: LogSigner;
  logger: Logger;
  metrics: SinkMetrics;
  checkpointEvery: number;
  checkpointIntervalMs: number;
  /** Partitions and retention of the delivery-log topic, when this sink creates it. */
  partitions: number;
  retentionMs: number;
  sessionTimeoutMs?: number;
  /** Partitions of one consumer batch handled at once. */
  concurrency?: number;
  /** Days a day partition stays; older ones are archived into `archiveDir` and dropped. */
  retentionDays: number;
  archiveDir: string;
}

interface TopicInfo {
  kind: 'event' | 'delivery' | 'dead-letter';
  roomId: string;
  urgent: boolean;
}

export class LogSink {
  readonly #o: SinkOptions;
  readonly #topics = new Map<string, TopicInfo>();
  #consumer: Consumer | undefined;
  #unsubscribe: (() => void) | undefined;
  #restarting: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #lastMaintenance = 0;

  constructor(o: SinkOptions) {
    this.#o = o;
  }

  get group(): string {
    return this.#o.names.logSinkGroup();
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await this.#o.store.ensurePartitions();
    // Retention runs at the first tick, then hourly.
    this.#lastMaintenance = 0;
    await ensureTopics(this.#o.kafka, [
      { topic: this.#o.names.deliveryLogTopic(), partitions: this.#o.partitions, retentionMs: this.#o.retentionMs },
      { topic: this.#o.names.deadLetterTopic(), partitions: this.#o.partitions, retentionMs: this.#o.retentionMs, maxMessageBytes: INTERNAL_TOPIC_MAX_MESSAGE_BYTES },
    ]);
    this.#learnTopics();
    await this.#run();
    this.#unsubscribe = this.#o.routing.onChange(() => {
      if (this.#learnTopics()) this.#restart();
    });
    const tick = Math.max(100, Math.min(5000, Math.floor(this.#o.checkpointIntervalMs / 2)));
    this.#timer = setInterval(() => void this.#tick(), tick);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    if (this.#timer) clearInterval(this.#timer);
    await this.#restarting.catch(() => {});
    await this.#consumer?.disconnect().catch(() => {});
    this.#consumer = undefined;
  }

  /** Adds the contract's room topics; true when a topic is new. Topics of deleted rooms are kept (their records stay readable). */
  #learnTopics(): boolean {
    let added = false;
    const add = (topic: string, info: TopicInfo) => {
      if (this.#topics.has(topic)) return;
      this.#topics.set(topic, info);
      added = true;
    };
    add(this.#o.names.deliveryLogTopic(), { kind: 'delivery', roomId: '', urgent: false });
    add(this.#o.names.deadLetterTopic(), { kind: 'dead-letter', roomId: '', urgent: false });
    for (const r of this.#o.routing.current().contract.rooms) {
      add(r.topic, { kind: 'event', roomId: r.id, urgent: false });
      add(r.urgentTopic, { kind: 'event', roomId: r.id, urgent: true });
    }
    return added;
  }

  #restart(): void {
    this.#restarting = this.#restarting
      .then(async () => {
        if (this.#stopped) return;
        await this.#consumer?.disconnect().catch(() => {});
        this.#consumer = undefined;
        if (!this.#stopped) await this.#run();
      })
      .catch((err: unknown) => {
        this.#o.logger.error('log sink did not restart with the new topics; trying again in 5 s', { error: err });
        setTimeout(() => this.#restart(), 5000).unref();
      });
  }

  async #run(): Promise<void> {
    const { kafka, sessionTimeoutMs = 30_000 } = this.#o;
    const consumer = kafka.consumer({ groupId: this.group, allowAutoTopicCreation: false, sessionTimeout: sessionTimeoutMs, heartbeatInterval: Math.max(500, Math.floor(sessionTimeoutMs / 10)) });
    this.#consumer = consumer;
    await consumer.connect();
    // Room topics are created with their room, but a contract can name one a moment before it exists.
    const existing = new Set(await this.#listTopics());
    const topics = [...this.#topics.keys()].filter((t) => existing.has(t));
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#o.concurrency ?? 4,
      eachBatch: (p) => this.#batch(consumer, p),
    });
    if (topics.length < this.#topics.size) setTimeout(() => this.#restart(), 2000).unref();
  }

  async #listTopics(): Promise<string[]> {
    const admin = this.#o.kafka.admin();
    await admin.connect();
    try {
      return await admin.listTopics();
    } finally {
      await admin.disconnect();
    }
  }

  async #batch(consumer: Consumer, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { store, metrics } = this.#o;
    const info = this.#topics.get(batch.topic);
    if (!info || batch.messages.length === 0 || !isRunning() || isStale()) return;
    if (info.kind === 'dead-letter') return this.#deadLetters(consumer, batch, resolveOffset, heartbeat);
    const rows: Array<EventEntry | DeliveryEntry> = [];
    for (const m of batch.messages) {
      const r: SinkRecord = { topic: batch.topic, partition: batch.partition, offset: m.offset, timestamp: m.timestamp, key: m.key, value: m.value, ...(m.headers ? { headers: m.headers } : {}) };
      const row = info.kind === 'event' ? eventEntry(r, info.roomId, info.urgent) : deliveryEntry(r);
      if (row) rows.push(row);
      else metrics.skipped.inc({ reason: 'not_a_roomcast_record' });
    }
    const last = batch.messages[batch.messages.length - 1];
    if (!last) return;
    const started = performance.now();
    let result: Awaited<ReturnType<LogStore['append']>>;
    try {
      result = await store.append(
        { kind: info.kind, topic: batch.topic, partition: batch.partition, lastOffset: last.offset, rows: rows as EventEntry[] | DeliveryEntry[] },
        { signer: this.#o.signer, every: this.#o.checkpointEvery, intervalMs: this.#o.checkpointIntervalMs },
      );
    } catch (err) {
      metrics.writeFailures.inc();
      this.#o.logger.warn('log write failed; the batch is read again', { topic: batch.topic, partition: batch.partition, error: err });
      // Nothing resolved: kafkajs fetches this batch again after the pause.
      await new Promise((r) => setTimeout(r, 1000));
      throw err;
    }
    metrics.writeSeconds.observe((performance.now() - started) / 1000);
    metrics.batchRows.observe(result.written);
    metrics.rows.inc({ table: info.kind === 'event' ? 'events' : 'deliveries' }, result.written);
    if (result.skipped > 0) metrics.skipped.inc({ reason: 'already_written' }, result.skipped);
    if (result.checkpoints > 0) metrics.checkpointed(result.checkpoints);
    resolveOffset(last.offset);
    await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
    const lag = Number(BigInt(batch.highWatermark) - BigInt(last.offset) - 1n);
    metrics.lagRecords.set({ topic: batch.topic }, Math.max(0, lag));
    metrics.lagSeconds.set({ topic: batch.topic }, Math.max(0, (Date.now() - Number(last.timestamp)) / 1000));
    await heartbeat();
  }

  /** Dead letters: indexed idempotently (their primary key is their position), then the offset is committed. */
  async #deadLetters(consumer: Consumer, batch: EachBatchPayload['batch'], resolveOffset: (o: string) => void, heartbeat: () => Promise<void>): Promise<void> {
    const { metrics } = this.#o;
    const roomOf = (topic: string, subscriptionId: string) =>
      this.#topics.get(topic)?.roomId ?? this.#o.routing.current().contract.subscriptions.find((s) => s.id === subscriptionId)?.roomId ?? '';
    const rows: DeadLetterEntry[] = [];
    for (const m of batch.messages) {
      const r: SinkRecord = { topic: batch.topic, partition: batch.partition, offset: m.offset, timestamp: m.timestamp, key: m.key, value: m.value, ...(m.headers ? { headers: m.headers } : {}) };
      const row = deadLetterEntry(r, roomOf);
      if (row) rows.push(row);
      else metrics.skipped.inc({ reason: 'not_a_roomcast_record' });
    }
    const last = batch.messages[batch.messages.length - 1];
    if (!last) return;
    let written: number;
    try {
      written = await appendDeadLetters(this.#o.store, rows);
    } catch (err) {
      metrics.writeFailures.inc();
      this.#o.logger.warn('dead letters not indexed; the batch is read again', { topic: batch.topic, partition: batch.partition, error: err });
      await new Promise((r) => setTimeout(r, 1000));
      throw err;
    }
    metrics.rows.inc({ table: 'dead_letters' }, written);
    if (rows.length > written) metrics.skipped.inc({ reason: 'already_written' }, rows.length - written);
    resolveOffset(last.offset);
    await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
    await heartbeat();
  }

  async #tick(): Promise<void> {
    try {
      const made = await this.#o.store.checkpointIdle(this.#o.signer, this.#o.checkpointIntervalMs);
      if (made > 0) this.#o.metrics.checkpointed(made);
      if (Date.now() - this.#lastMaintenance > 3600_000) {
        this.#lastMaintenance = Date.now();
        await this.#o.store.ensurePartitions();
        const archived = await applyRetention(this.#o.store, this.#o.retentionDays, this.#o.archiveDir);
        for (const m of archived) this.#o.logger.info('log partition archived and dropped', { table: m.table, day: m.day, rows: m.rows, sha256: m.sha256 });
      }
    } catch (err) {
      this.#o.logger.warn('log checkpoint or partition upkeep failed', { error: err });
    }
  }
}
