/**
 * The ingress's produce batcher: every accepted publish goes through one `ProduceBatcher`
 * (packages/kafka) in front of the idempotent producer, so concurrent publishes share a Kafka
 * request (acks=all) instead of one round trip each. Settings come from `ingressConfigSpec`.
 */
import { ACKS_ALL, ProduceBatcher, type Producer } from '@roomcast/kafka';
import type { IngressMetrics } from './metrics.ts';

export interface BatchingSettings {
  lingerMs: number;
  maxBatchRecords: number;
  maxBatchBytes: number;
  maxQueuedRecords: number;
  maxQueuedBytes: number;
  /** Largest record sent to Kafka; a larger event is refused with 413 before anything is sent. */
  maxRecordBytes: number;
}

export const DEFAULT_BATCHING: BatchingSettings = {
  lingerMs: 2,
  maxBatchRecords: 1000,
  maxBatchBytes: 768 * 1024,
  maxQueuedRecords: 10_000,
  maxQueuedBytes: 64 * 1024 * 1024,
  maxRecordBytes: 1024 * 1024,
};

/** The batching settings from the ingress configuration (`ROOMCAST_PUBLISH_*`). */
export function batchingFromConfig(config: {
  ROOMCAST_PUBLISH_LINGER_MS: number;
  ROOMCAST_PUBLISH_BATCH_MAX_RECORDS: number;
  ROOMCAST_PUBLISH_BATCH_MAX_BYTES: number;
  ROOMCAST_PUBLISH_QUEUE_MAX_RECORDS: number;
  ROOMCAST_PUBLISH_QUEUE_MAX_BYTES: number;
  ROOMCAST_PUBLISH_MAX_RECORD_BYTES: number;
}): BatchingSettings {
  return {
    lingerMs: config.ROOMCAST_PUBLISH_LINGER_MS,
    maxBatchRecords: config.ROOMCAST_PUBLISH_BATCH_MAX_RECORDS,
    maxBatchBytes: config.ROOMCAST_PUBLISH_BATCH_MAX_BYTES,
    maxQueuedRecords: config.ROOMCAST_PUBLISH_QUEUE_MAX_RECORDS,
    maxQueuedBytes: config.ROOMCAST_PUBLISH_QUEUE_MAX_BYTES,
    maxRecordBytes: config.ROOMCAST_PUBLISH_MAX_RECORD_BYTES,
  };
}

/** One batcher over the durable producer: one `sendBatch` (every topic of the flush) with acks=all per flush. */
export function createPublishBatcher(producer: Producer, settings: BatchingSettings, metrics: IngressMetrics): ProduceBatcher {
  return new ProduceBatcher({
    ...settings,
    send: (topicMessages) => producer.sendBatch({ topicMessages, acks: ACKS_ALL }),
    onFlush: ({ records, bytes, ok, error }) => {
      metrics.batchRecords.observe(records);
      metrics.batchBytes.observe(bytes);
      if (!ok) metrics.produceErrors.inc({ reason: error instanceof Error ? error.name : 'unknown' }, records);
    },
    onRefused: (err) => metrics.produceErrors.inc({ reason: err.name }),
  });
}
