/**
 * The pull service's settings: pull queues (leases, the per-subscription buffer in Redis,
 * offset commits) and live streams (heartbeats, buffers, slow readers, limits, lifetime).
 * Loaded with `commonConfigSpec` (packages/runtime) by main.ts and by the all-in-one process;
 * `.env.example` is generated from these help texts.
 */
import type { ConfigOf, ConfigSpec } from '@roomcast/core';
import { type commonConfigSpec, encryptionConfigSpec } from '@roomcast/runtime';
import type { PullQueueSettings } from './queues/unit.ts';
import type { StreamSettings } from './streams/event-stream.ts';
import type { StreamLimits } from './streams/hub.ts';

/** Live streams of the pull service (SSE and WebSocket): heartbeats, buffers, limits. */
export const streamConfigSpec = {
  ROOMCAST_STREAM_HEARTBEAT_SECONDS: {
    kind: 'int',
    default: '15',
    check: (v) => (v >= 1 && v <= 300 ? undefined : 'must be between 1 and 300'),
    help: 'A live stream sends a heartbeat (an SSE comment line, a WebSocket heartbeat message) after this many seconds without an event.',
  },
  ROOMCAST_STREAM_BUFFER_EVENTS: {
    kind: 'int',
    default: '1000',
    check: (v) => (v >= 10 && v <= 100_000 ? undefined : 'must be between 10 and 100000'),
    help: 'Events held per stream for a client that reads slower than events arrive; when full, the stream stops reading Kafka.',
  },
  ROOMCAST_STREAM_BUFFER_BYTES: {
    kind: 'int',
    default: String(4 * 1024 * 1024),
    check: (v) => (v >= 64 * 1024 && v <= 256 * 1024 * 1024 ? undefined : 'must be between 64 KiB and 256 MiB'),
    help: 'Bytes of events held per stream at most (with ROOMCAST_STREAM_BUFFER_EVENTS, whichever is reached first).',
  },
  ROOMCAST_STREAM_SLOW_READER_SECONDS: {
    kind: 'int',
    default: '30',
    check: (v) => (v >= 1 && v <= 3600 ? undefined : 'must be between 1 and 3600'),
    help: "A stream whose buffer stayed full this long (the client reads too slowly) is disconnected with reason slow_reader; it may reconnect with its last event id.",
  },
  ROOMCAST_STREAM_MAX_PER_SUBSCRIPTION: {
    kind: 'int',
    default: '4',
    check: (v) => (v >= 1 && v <= 1000 ? undefined : 'must be between 1 and 1000'),
    help: 'Concurrent streams of one subscription on one pull process; one more is refused with 429 stream.limit_reached.',
  },
  ROOMCAST_STREAM_MAX_OPEN: {
    kind: 'int',
    default: '500',
    check: (v) => (v >= 1 && v <= 100_000 ? undefined : 'must be between 1 and 100000'),
    help: 'Concurrent streams on one pull process (each holds its own Kafka connection); one more is refused with 429 stream.limit_reached.',
  },
  ROOMCAST_STREAM_MAX_SECONDS: {
    kind: 'int',
    default: '3600',
    check: (v) => (v >= 1 && v <= 604_800 ? undefined : 'must be between 1 and 604800'),
    help: 'A live stream ends (reason max_duration) after this many seconds, or sooner if the client asked with maxSeconds; clients resume with their last event id, nothing missed.',
  },
} satisfies ConfigSpec;

/** Pull queues (services/pull): leases, the per-subscription buffer in Redis, offset commits. */
export const pullConfigSpec = {
  ...encryptionConfigSpec,
  ROOMCAST_PULL_LEASE_SECONDS: {
    kind: 'int',
    default: '30',
    check: (v) => (v >= 1 && v <= 43_200 ? undefined : 'must be between 1 and 43200'),
    help: 'Lease (visibility timeout) of an event handed out by GovStack pull, and the default of the lease route: not confirmed within it, the event is handed out again.',
  },
  ROOMCAST_PULL_BUFFER_EVENTS: {
    kind: 'int',
    default: '1000',
    check: (v) => (v >= 10 && v <= 1_000_000 ? undefined : 'must be between 10 and 1000000'),
    help: 'Events of one pull subscription held in Redis at most (available, leased or delayed); feeding from Kafka pauses while the buffer is full.',
  },
  ROOMCAST_PULL_COMMIT_INTERVAL_MS: {
    kind: 'int',
    default: '1000',
    check: (v) => (v >= 100 && v <= 60_000 ? undefined : 'must be between 100 and 60000'),
    help: 'How often a pull process commits its partitions’ offsets past the acknowledged (or dead-lettered) events.',
  },
} satisfies ConfigSpec;

export type PullConfig = ConfigOf<typeof commonConfigSpec & typeof pullConfigSpec & typeof streamConfigSpec>;

/** The pull settings of a loaded config (pullConfigSpec). */
export function pullSettings(config: PullConfig): PullQueueSettings {
  return {
    leaseSeconds: config.ROOMCAST_PULL_LEASE_SECONDS,
    bufferEvents: config.ROOMCAST_PULL_BUFFER_EVENTS,
    commitIntervalMs: config.ROOMCAST_PULL_COMMIT_INTERVAL_MS,
    retentionMs: config.ROOMCAST_TOPIC_RETENTION_MS,
  };
}

/** The stream settings of a loaded config (streamConfigSpec). */
export function streamSettingsFromConfig(config: PullConfig): Partial<StreamSettings & StreamLimits> {
  return {
    heartbeatMs: config.ROOMCAST_STREAM_HEARTBEAT_SECONDS * 1000,
    bufferEvents: config.ROOMCAST_STREAM_BUFFER_EVENTS,
    bufferBytes: config.ROOMCAST_STREAM_BUFFER_BYTES,
    slowReaderMs: config.ROOMCAST_STREAM_SLOW_READER_SECONDS * 1000,
    perSubscription: config.ROOMCAST_STREAM_MAX_PER_SUBSCRIPTION,
    perProcess: config.ROOMCAST_STREAM_MAX_OPEN,
    maxDurationMs: config.ROOMCAST_STREAM_MAX_SECONDS * 1000,
  };
}
