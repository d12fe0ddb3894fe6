/**
 * The ingress's settings: request and payload limits, schema validation budgets, per-publisher
 * byte budget, rate limits, deduplication, produce batching, worker processes, and the message
 * log it answers event status from. Loaded with `commonConfigSpec` (packages/runtime) by main.ts
 * and by the all-in-one process; `.env.example` is generated from these help texts.
 */
import type { ConfigOf, ConfigSpec } from '@roomcast/core';
import { logConfigSpec } from '@roomcast/log';
import { type commonConfigSpec, encryptionConfigSpec } from '@roomcast/runtime';
import type { BatchingSettings } from './batching.ts';
import type { IngressHardening, IngressOptions } from './ingress.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export const ingressConfigSpec = {
  ...encryptionConfigSpec,
  ...logConfigSpec,
  ROOMCAST_BODY_LIMIT_BYTES: {
    kind: 'int',
    default: String(1024 * 1024),
    check: (v) => (v >= 1024 && v <= 64 * 1024 * 1024 ? undefined : 'must be between 1 KiB and 64 MiB'),
    help: 'Largest accepted publish request body, in bytes.',
  },
  ROOMCAST_PUBLISH_MAX_DEPTH: {
    kind: 'int',
    default: '32',
    check: (v) => (v >= 1 && v <= 256 ? undefined : 'must be between 1 and 256'),
    help: 'Deepest nesting of objects and arrays accepted in a published event (the event object is level 1).',
  },
  ROOMCAST_PUBLISH_MAX_STRING_LENGTH: {
    kind: 'int',
    default: String(64 * 1024),
    check: (v) => (v >= 16 && v <= 64 * 1024 * 1024 ? undefined : 'must be between 16 and 67108864'),
    help: 'Longest string value or property name accepted in a published event, in characters (UTF-16 code units).',
  },
  ROOMCAST_VALIDATION_INLINE_COST: {
    kind: 'int',
    default: '50000',
    check: (v) => (v >= 0 && v <= 100_000_000 ? undefined : 'must be between 0 and 100000000'),
    help: "Largest validation cost (the schema's unfolded size × the event's values and characters) checked on the event loop; costlier validations run in a worker thread with a time budget (decision 0021). 0 sends every validation to the workers.",
  },
  ROOMCAST_VALIDATION_WORKERS: {
    kind: 'int',
    default: '1',
    check: (v) => (v >= 1 && v <= 64 ? undefined : 'must be between 1 and 64'),
    help: 'Worker threads for costly schema validations (started when first needed).',
  },
  ROOMCAST_VALIDATION_BUDGET_MS: {
    kind: 'int',
    default: '200',
    check: (v) => (v >= 10 && v <= 10_000 ? undefined : 'must be between 10 and 10000'),
    help: 'Longest one costly validation may run in a worker; past it the worker is restarted and the publish refused with 422 publish.validation_too_costly.',
  },
  ROOMCAST_VALIDATION_MAX_QUEUE: {
    kind: 'int',
    default: '256',
    check: (v) => (v >= 1 && v <= 100_000 ? undefined : 'must be between 1 and 100000'),
    help: 'Costly validations waiting or running at once; beyond it publishes answer 503 publish.validation_busy.',
  },
  ROOMCAST_VALIDATION_PER_PUBLISHER: {
    kind: 'int',
    default: '64',
    check: (v) => (v >= 1 && v <= 100_000 ? undefined : 'must be between 1 and 100000'),
    help: 'Costly validations one publisher may have waiting or running at once; beyond it its publishes answer 503 publish.validation_busy. Workers serve the waiting publishers round-robin.',
  },
  ROOMCAST_PUBLISH_BYTES_PER_SEC: {
    kind: 'int',
    default: String(4 * 1024 * 1024),
    check: (v) => (v >= 0 ? undefined : 'must be 0 (no budget) or more'),
    help: 'Request body bytes per second one publisher may have parsed by one ingress process (single and batch publishes); beyond it 429 publish.rate_limited. Protects the shared event loop from a publisher sending the largest bodies non-stop. 0 disables it.',
  },
  ROOMCAST_PUBLISH_BYTES_BURST: {
    kind: 'int',
    default: String(8 * 1024 * 1024),
    check: (v) => (v >= 1024 ? undefined : 'must be at least 1024'),
    help: 'Bucket size of the byte budget: body bytes a publisher may send at once before the rate applies. Keep it at least ROOMCAST_PUBLISH_BATCH_BODY_LIMIT_BYTES.',
  },
  ROOMCAST_PUBLISH_TIMEOUT_MS: {
    kind: 'int',
    default: '5000',
    check: (v) => (v >= 100 && v <= 120_000 ? undefined : 'must be between 100 and 120000'),
    help: 'Longest wait for Kafka to acknowledge a publish; after it the caller gets 503 publish.kafka_unavailable with Retry-After and should retry with the same event id.',
  },
  ROOMCAST_PUBLISH_BATCH_MAX_ITEMS: {
    kind: 'int',
    default: '500',
    check: (v) => (v >= 1 && v <= 10_000 ? undefined : 'must be between 1 and 10000'),
    help: 'Most events accepted in one batch publish request.',
  },
  ROOMCAST_PUBLISH_BATCH_BODY_LIMIT_BYTES: {
    kind: 'int',
    default: String(8 * 1024 * 1024),
    check: (v) => (v >= 1024 && v <= 256 * 1024 * 1024 ? undefined : 'must be between 1 KiB and 256 MiB'),
    help: 'Largest accepted batch publish request body, in bytes.',
  },
  ROOMCAST_DEDUP_WINDOW_MS: {
    kind: 'int',
    default: String(DAY_MS),
    check: (v) => (v >= 1000 && v <= 30 * DAY_MS ? undefined : 'must be between one second (1000) and 30 days'),
    help: 'How long a publisher-chosen event id is remembered per room and publisher: a replay within it answers the original result. Event status and cancel do not depend on it (they read the message log).',
  },
  ROOMCAST_RATE_PUBLISHER_PER_SEC: {
    kind: 'int',
    default: '10000',
    check: (v) => (v >= 0 ? undefined : 'must be 0 (no limit) or more'),
    help: 'Events per second one publisher may sustain into one ingress deployment (token bucket in Redis); 0 disables the limit.',
  },
  ROOMCAST_RATE_PUBLISHER_BURST: {
    kind: 'int',
    default: '20000',
    check: (v) => (v >= 1 ? undefined : 'must be at least 1'),
    help: "Bucket size of a publisher's limit: events accepted at once before the rate applies.",
  },
  ROOMCAST_RATE_ROOM_PER_SEC: {
    kind: 'int',
    default: '50000',
    check: (v) => (v >= 0 ? undefined : 'must be 0 (no limit) or more'),
    help: 'Events per second one room may receive from all its publishers together; 0 disables the limit.',
  },
  ROOMCAST_RATE_ROOM_BURST: {
    kind: 'int',
    default: '100000',
    check: (v) => (v >= 1 ? undefined : 'must be at least 1'),
    help: "Bucket size of a room's limit.",
  },
  ROOMCAST_PUBLISH_LINGER_MS: {
    kind: 'int',
    default: '2',
    check: (v) => (v >= 0 && v <= 100 ? undefined : 'must be between 0 and 100'),
    help: 'How long a publish waits for concurrent ones to share its Kafka produce request, in milliseconds (0: only those arriving in the same tick).',
  },
  ROOMCAST_PUBLISH_BATCH_MAX_RECORDS: {
    kind: 'int',
    default: '1000',
    check: (v) => (v >= 1 && v <= 100_000 ? undefined : 'must be between 1 and 100000'),
    help: 'Most events in one Kafka produce request; a full batch is sent without waiting for the linger.',
  },
  ROOMCAST_PUBLISH_BATCH_MAX_BYTES: {
    kind: 'int',
    default: String(768 * 1024),
    check: (v) => (v >= 1024 && v <= 64 * 1024 * 1024 ? undefined : 'must be between 1 KiB and 64 MiB'),
    help: "Most bytes in one Kafka produce request (keep below the broker's message.max.bytes, 1 MiB by default); a larger single event is sent alone.",
  },
  ROOMCAST_PUBLISH_MAX_RECORD_BYTES: {
    kind: 'int',
    default: String(1024 * 1024),
    check: (v) => (v >= 4096 && v <= 64 * 1024 * 1024 ? undefined : 'must be between 4 KiB and 64 MiB'),
    help: "Largest Kafka record one event may become (payload after encryption, key, headers); a larger event is refused with 413 publish.event_too_large, in a batch for that item only. Keep it at or below the room topics' max.message.bytes (the broker's message.max.bytes, 1048588 by default).",
  },
  ROOMCAST_PUBLISH_QUEUE_MAX_RECORDS: {
    kind: 'int',
    default: '10000',
    check: (v) => (v >= 1 ? undefined : 'must be at least 1'),
    help: 'Events that may wait for the next produce request while one is in flight; beyond that a publish is answered 503 at once.',
  },
  ROOMCAST_PUBLISH_QUEUE_MAX_BYTES: {
    kind: 'int',
    default: String(64 * 1024 * 1024),
    check: (v) => (v >= 1024 ? undefined : 'must be at least 1 KiB'),
    help: 'Bytes of events that may wait for the next produce request; beyond that a publish is answered 503 at once.',
  },
  ROOMCAST_INGRESS_WORKERS: {
    kind: 'int',
    optional: true,
    check: (v) => (v >= 1 && v <= 256 ? undefined : 'must be between 1 and 256'),
    help: 'Worker processes of a standalone ingress (services/ingress), sharing its port (node:cluster); unset: one per CPU (os.availableParallelism()); 1: a single process. The all-in-one process (services/all, npm start) always runs one.',
  },
} satisfies ConfigSpec;

export type IngressConfig = ConfigOf<typeof commonConfigSpec & typeof ingressConfigSpec>;

/** The ingress settings of a loaded config, for createIngress. */
export function ingressSettings(config: IngressConfig): Pick<IngressOptions, 'bodyLimit' | 'dedupWindowMs' | 'cancelTtlMs' | 'rateLimits'> {
  return {
    bodyLimit: config.ROOMCAST_BODY_LIMIT_BYTES,
    dedupWindowMs: config.ROOMCAST_DEDUP_WINDOW_MS,
    cancelTtlMs: config.ROOMCAST_TOPIC_RETENTION_MS,
    rateLimits: {
      publisher: { ratePerSec: config.ROOMCAST_RATE_PUBLISHER_PER_SEC, burst: config.ROOMCAST_RATE_PUBLISHER_BURST },
      room: { ratePerSec: config.ROOMCAST_RATE_ROOM_PER_SEC, burst: config.ROOMCAST_RATE_ROOM_BURST },
    },
  };
}

/** The hardening settings from the ingress configuration (ingressConfigSpec). */
export function ingressHardening(config: IngressConfig): IngressHardening {
  return {
    limits: {
      payload: { maxDepth: config.ROOMCAST_PUBLISH_MAX_DEPTH, maxStringLength: config.ROOMCAST_PUBLISH_MAX_STRING_LENGTH },
      timeoutMs: config.ROOMCAST_PUBLISH_TIMEOUT_MS,
      retryAfterSeconds: 1,
    },
    validation: {
      inlineCost: config.ROOMCAST_VALIDATION_INLINE_COST,
      workers: config.ROOMCAST_VALIDATION_WORKERS,
      budgetMs: config.ROOMCAST_VALIDATION_BUDGET_MS,
      maxQueue: config.ROOMCAST_VALIDATION_MAX_QUEUE,
      perPublisher: config.ROOMCAST_VALIDATION_PER_PUBLISHER,
    },
    byteBudget: { bytesPerSec: config.ROOMCAST_PUBLISH_BYTES_PER_SEC, burstBytes: config.ROOMCAST_PUBLISH_BYTES_BURST },
    batchMaxItems: config.ROOMCAST_PUBLISH_BATCH_MAX_ITEMS,
    batchBodyLimit: config.ROOMCAST_PUBLISH_BATCH_BODY_LIMIT_BYTES,
  };
}

/** The batching settings from the ingress configuration (`ROOMCAST_PUBLISH_*`). */
export function batchingFromConfig(config: IngressConfig): BatchingSettings {
  return {
    lingerMs: config.ROOMCAST_PUBLISH_LINGER_MS,
    maxBatchRecords: config.ROOMCAST_PUBLISH_BATCH_MAX_RECORDS,
    maxBatchBytes: config.ROOMCAST_PUBLISH_BATCH_MAX_BYTES,
    maxQueuedRecords: config.ROOMCAST_PUBLISH_QUEUE_MAX_RECORDS,
    maxQueuedBytes: config.ROOMCAST_PUBLISH_QUEUE_MAX_BYTES,
    maxRecordBytes: config.ROOMCAST_PUBLISH_MAX_RECORD_BYTES,
  };
}

