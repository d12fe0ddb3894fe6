/**
 * The message-log service as mountable units: the sink (consumer → PostgreSQL) and the log API
 * (search, event history, reports, proofs, public keys). Both its own main.ts and the all-in-one
 * process build them with these functions.
 */
import type { Logger } from '@roomcast/core';
import { type LogConfig, type LogSigner, LogStore, generateSigningKey, logSignerOf } from '@roomcast/log';
import type { RoutingFollower } from '@roomcast/routing';
import type { Runtime, Unit } from '@roomcast/runtime';
import { SinkMetrics } from './metrics.ts';
import { LogSink } from './sink.ts';

export { createLogApi } from './api.ts';
export { LogSink } from './sink.ts';
export { deliveryEntry, eventEntry } from './records.ts';

export interface LogParts {
  /** Reads: event status, search, reports, proofs (statements cut off after 5 s). */
  store: LogStore;
  /** The sink's own pool, so readers can never take the connections the writes need. */
  writer: LogStore;
  signer: LogSigner;
}

/** The log stores and signer of a process, from configuration (closed with the runtime). */
export function logParts(runtime: Runtime, config: LogConfig, devMode: boolean): LogParts {
  const store = new LogStore({ url: config.ROOMCAST_LOG_DATABASE_URL, schema: config.ROOMCAST_LOG_SCHEMA, maxConnections: 6, statementTimeoutMs: 5000 });
  const writer = new LogStore({ url: config.ROOMCAST_LOG_DATABASE_URL, schema: config.ROOMCAST_LOG_SCHEMA, maxConnections: 6, statementTimeoutMs: 30_000 });
  runtime.onClose(async () => {
    await store.close();
    await writer.close();
  });
  const signer = logSignerOf(config, devMode, () => generateSigningKey().privateKey);
  return { store, writer, signer };
}

export interface LogSinkUnitOptions {
  runtime: Runtime;
  routing: RoutingFollower;
  logger: Logger;
  parts: LogParts;
  config: LogConfig;
  /** Partitions and retention of the delivery-log topic when this process creates it. */
  partitions: number;
  retentionMs: number;
}

export function createLogSink(o: LogSinkUnitOptions): Unit & { sink: LogSink } {
  const sink = new LogSink({
    kafka: o.runtime.kafka,
    names: o.runtime.names,
    routing: o.routing,
    store: o.parts.writer,
    signer: o.parts.signer,
    logger: o.logger,
    metrics: new SinkMetrics(o.runtime.metrics),
    checkpointEvery: o.config.ROOMCAST_LOG_CHECKPOINT_EVERY,
    checkpointIntervalMs: o.config.ROOMCAST_LOG_CHECKPOINT_INTERVAL_MS,
    partitions: o.partitions,
    retentionMs: o.retentionMs,
    sessionTimeoutMs: o.config.ROOMCAST_LOG_SINK_SESSION_TIMEOUT_MS,
    retentionDays: o.config.ROOMCAST_LOG_RETENTION_DAYS,
    archiveDir: o.config.ROOMCAST_LOG_ARCHIVE_DIR,
  });
  return {
    name: 'log-sink',
    sink,
    checks: { log: () => o.parts.writer.probe() },
    start: () => sink.start(),
    stop: () => sink.stop(),
  };
}
