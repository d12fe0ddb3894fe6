/**
 * What the dispatcher writes besides the pushes themselves, through one durable producer and
 * one produce batcher (many attempts share a Kafka round trip):
 *
 * - the delivery log topic: one JSON record per attempt and per final outcome, keyed by event
 *   id — event, subscription, attempt number, outcome, HTTP status, error class, latency, time,
 *   source position. Never the payload.
 * - the dead-letter topic: the original record (value as stored, so a classified payload stays
 *   sealed; original headers) plus `rc-dlq-*` headers saying which subscription gave up, why,
 *   after how many attempts, and where the record came from. Keyed by the original key.
 */
import { ACKS_ALL, createDurableProducer, encodeHeaders, ensureTopics, INTERNAL_TOPIC_MAX_MESSAGE_BYTES, type Kafka, type KafkaNames, ProduceBatcher, type Producer } from '@roomcast/kafka';
import type { SubscriptionRoute } from '@roomcast/routing';
import type { DeliveryJob } from './job.ts';
import type { AttemptRecord } from './runner.ts';

export interface RecorderOptions {
  kafka: Kafka;
  names: KafkaNames;
  partitions: number;
  /** Retention of the delivery log and dead-letter topics. */
  retentionMs: number;
}

export class DeliveryRecorder {
  readonly #o: RecorderOptions;
  readonly #producer: Producer;
  readonly #batcher: ProduceBatcher;

  constructor(o: RecorderOptions) {
    this.#o = o;
    this.#producer = createDurableProducer(o.kafka);
    this.#batcher = new ProduceBatcher({
      send: (topicMessages) => this.#producer.sendBatch({ topicMessages, acks: ACKS_ALL }),
      lingerMs: 2,
      maxBatchRecords: 1000,
      maxBatchBytes: 4 * 1024 * 1024,
      maxQueuedRecords: 50_000,
      maxQueuedBytes: 64 * 1024 * 1024,
    });
  }

  async start(): Promise<void> {
    const { names, partitions, retentionMs } = this.#o;
    await ensureTopics(this.#o.kafka, [
      { topic: names.deliveryLogTopic(), partitions, retentionMs },
      { topic: names.deadLetterTopic(), partitions, retentionMs, maxMessageBytes: INTERNAL_TOPIC_MAX_MESSAGE_BYTES },
    ]);
    await this.#producer.connect();
  }

  async stop(): Promise<void> {
    await this.#batcher.close();
    await this.#producer.disconnect();
  }

  async attempt(rec: AttemptRecord): Promise<void> {
    await this.#batcher.add(this.#o.names.deliveryLogTopic(), { key: rec.eventId, value: JSON.stringify(rec) });
  }

  async deadLetter(sub: SubscriptionRoute, job: DeliveryJob, reason: string, detail: string): Promise<void> {
    await this.#batcher.add(this.#o.names.deadLetterTopic(), {
      key: job.key,
      value: job.value,
      headers: {
        ...encodeHeaders(job.headers),
        'rc-dlq-subscription': sub.id,
        'rc-dlq-reason': reason,
        'rc-dlq-detail': detail.slice(0, 500),
        'rc-dlq-attempts': String(job.attempts),
        ...(job.lastStatus != null ? { 'rc-dlq-status': String(job.lastStatus) } : {}),
        'rc-dlq-source': `${job.topic}/${job.partition}/${job.offset}`,
        'rc-dlq-time': new Date().toISOString(),
      },
    });
  }
}
