/**
 * The ingress's produce batcher: every accepted publish goes through one `ProduceBatcher`
 * (packages/kafka) in front of the idempotent producer, so concurrent publishes share a Kafka
 * request (acks=all) instead of one round trip each. Settings come from `ingressConfigSpec` (config.ts).
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
