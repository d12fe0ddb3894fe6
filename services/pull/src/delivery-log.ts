/**
 * What the pull service tells the message log (the delivery-log topic, read by the log sink):
 * for pull queues every hand-out, acknowledgement, nack, lease expiry and dead letter; for live
 * streams every event written to a stream's socket. One JSON record per transition, keyed by
 * event id, in the shape the dispatcher writes for pushes (services/log-sink records.ts reads
 * both). Never a payload.
 *
 * Bookkeeping, not delivery: the records go through one durable producer behind a produce
 * batcher (many transitions share one Kafka round trip) and a failed or refused write is logged
 * and counted, never answered to the subscriber — the delivery itself does not wait for it.
 */
import type { Logger } from '@roomcast/core';
import { ACKS_ALL, createDurableProducer, ensureTopics, type Kafka, type KafkaNames, ProduceBatcher, type Producer } from '@roomcast/kafka';
import { Counter, type Registry } from 'prom-client';

export type PullOutcome = 'leased' | 'acked' | 'nacked' | 'lease-expired' | 'dead-lettered' | 'streamed';

export interface PullDeliveryRecord {
  eventId: string;
  subscriptionId: string;
  roomId: string;
  eventType: string;
  subscriber: string;
  mode: 'pull' | 'stream';
  /** The hand-out number (pull), 1 for a stream. */
  attempt: number;
  outcome: PullOutcome;
  /** The GovStack delivery state after it. */
  state: 'SENT' | 'DELIVERED' | 'FAILED' | 'QUEUED';
  httpStatus: null;
  errorClass: string | null;
  /** The duration of a push attempt's HTTP call; none for pull and streams (reports measure publish → delivered from publishedAt and time). */
  latencyMs: null;
  time: string;
  nextAttemptAt: string | null;
  publishedAt: string | null;
}

export interface DeliveryLogOptions {
  kafka: Kafka;
  names: KafkaNames;
  logger: Logger;
  retentionMs: number;
  registry: Registry;
}

const LOST = 'roomcast_pull_log_records_lost_total';

export class DeliveryLogWriter {
  readonly #o: DeliveryLogOptions;
  readonly #producer: Producer;
  readonly #batcher: ProduceBatcher;
  readonly #lost: Counter;
  #started: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;

  constructor(o: DeliveryLogOptions) {
    this.#o = o;
    // The queues and the streams of one process each have a writer; they share the counter.
    this.#lost =
      (o.registry.getSingleMetric(LOST) as Counter | undefined) ??
      new Counter({ name: LOST, help: 'Pull and stream transitions that could not be written to the delivery-log topic (missing from the message log)', registers: [o.registry] });
    this.#producer = createDurableProducer(o.kafka);
    this.#batcher = new ProduceBatcher({
      send: (topicMessages) => this.#producer.sendBatch({ topicMessages, acks: ACKS_ALL }),
      lingerMs: 5,
      maxBatchRecords: 1000,
      maxBatchBytes: 1024 * 1024,
      maxQueuedRecords: 20_000,
      maxQueuedBytes: 16 * 1024 * 1024,
    });
  }

  start(): Promise<void> {
    this.#started ??= (async () => {
      await ensureTopics(this.#o.kafka, [{ topic: this.#o.names.deliveryLogTopic(), partitions: 3, retentionMs: this.#o.retentionMs }]);
      await this.#producer.connect();
    })();
    return this.#started;
  }

  write(records: PullDeliveryRecord[]): void {
    if (records.length === 0) return;
    const topic = this.#o.names.deliveryLogTopic();
    let lost = 0;
    const settled = records.map((r) =>
      this.#batcher.add(topic, { key: r.eventId, value: JSON.stringify(r) }).catch(() => {
        lost++;
      }),
    );
    void Promise.all(settled).then(() => {
      if (lost === 0) return;
      this.#lost.inc(lost);
      this.#o.logger.warn('pull deliveries not written to the delivery log', { count: lost });
    });
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      await this.#started?.catch(() => {});
      await this.#batcher.close();
      await this.#producer.disconnect();
    })();
    return this.#stopped;
  }
}
