/**
 * The dispatcher's settings: per-subscription windows of events in memory, offset commits,
 * the consumer session timeout and connections per endpoint. Loaded with `commonConfigSpec`
 * (packages/runtime) by main.ts and by the all-in-one process; `.env.example` is generated
 * from these help texts.
 */
import type { ConfigOf, ConfigSpec } from '@roomcast/core';
import { type commonConfigSpec, encryptionConfigSpec } from '@roomcast/runtime';

export const dispatcherConfigSpec = {
  ...encryptionConfigSpec,
  ROOMCAST_DISPATCH_WINDOW_RECORDS: {
    kind: 'int',
    default: '5000',
    check: (v) => (v >= 16 && v <= 1_000_000 ? undefined : 'must be between 16 and 1000000'),
    help: 'Per push subscription and process: events fetched and not final yet (queued, in flight, waiting for a retry) beyond which fetching pauses.',
  },
  ROOMCAST_DISPATCH_WINDOW_BYTES: {
    kind: 'int',
    default: String(64 * 1024 * 1024),
    check: (v) => (v >= 1024 * 1024 ? undefined : 'must be at least 1 MiB'),
    help: 'Per push subscription and process: bytes of events held in memory (values plus about 1 KiB each) beyond which fetching pauses.',
  },
  ROOMCAST_DISPATCH_MEMORY_BYTES: {
    kind: 'int',
    default: String(256 * 1024 * 1024),
    check: (v) => (v >= 4 * 1024 * 1024 ? undefined : 'must be at least 4 MiB'),
    help: 'Per process: bytes of events held across all push subscriptions (values plus about 1 KiB each); each subscription may hold at least its share (this divided among the busy ones) and more while the process is under it.',
  },
  ROOMCAST_DISPATCH_COMMIT_INTERVAL_MS: {
    kind: 'int',
    default: '200',
    check: (v) => (v >= 10 && v <= 60_000 ? undefined : 'must be between 10 and 60000'),
    help: 'Pause between offset commits of a push subscription; a crash redelivers at most this much of final work.',
  },
  ROOMCAST_DISPATCH_SESSION_TIMEOUT_MS: {
    kind: 'int',
    default: '30000',
    check: (v) => (v >= 6000 && v <= 300_000 ? undefined : 'must be between 6000 and 300000 (the broker default bounds)'),
    help: "Kafka consumer session timeout of a push subscription: how long a crashed dispatcher's partitions wait before another process takes them over.",
  },
  ROOMCAST_DISPATCH_CONNECTIONS: {
    kind: 'int',
    default: '256',
    check: (v) => (v >= 1 && v <= 10_000 ? undefined : 'must be between 1 and 10000'),
    help: 'Most open HTTP connections per push endpoint origin.',
  },
} satisfies ConfigSpec;

/** The delivery limits, memory budget and connection pool size of a loaded config. */
export function dispatcherSettings(config: DispatcherConfig) {
  return {
    limits: {
      windowRecords: config.ROOMCAST_DISPATCH_WINDOW_RECORDS,
      windowBytes: config.ROOMCAST_DISPATCH_WINDOW_BYTES,
      commitIntervalMs: config.ROOMCAST_DISPATCH_COMMIT_INTERVAL_MS,
      sessionTimeoutMs: config.ROOMCAST_DISPATCH_SESSION_TIMEOUT_MS,
    },
    budgetBytes: config.ROOMCAST_DISPATCH_MEMORY_BYTES,
    connections: config.ROOMCAST_DISPATCH_CONNECTIONS,
  };
}

export type DispatcherConfig = ConfigOf<typeof commonConfigSpec & typeof dispatcherConfigSpec>;
