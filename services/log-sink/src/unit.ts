
import { type LogConfig, type LogSigner, LogStore, generateSigningKey, logSignerOf } from '@roomcast/log';
import type { Runtime, ServiceContext, Unit } from '@roomcast/runtime';
import type { LogSinkConfig } from './config.ts';
import { SinkMetrics } from './metrics.ts';
import { LogSink } from './sink.ts';


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

/** The log sink as one unit, from validated configuration, the process's shared context and its log parts. */
export function logSinkUnit(config: LogSinkConfig, ctx: ServiceContext & { parts: LogParts }): Unit & { sink: LogSink } {
  const sink = new LogSink({
    kafka: ctx.runtime.kafka,
    names: ctx.runtime.names,
    routing: ctx.routing,
    store: ctx.parts.writer,
    signer: ctx.parts.signer,
    logger: ctx.logger,
    metrics: new SinkMetrics(ctx.runtime.metrics),
    checkpointEvery: config.ROOMCAST_LOG_CHECKPOINT_EVERY,
    checkpointIntervalMs: config.ROOMCAST_LOG_CHECKPOINT_INTERVAL_MS,
    partitions: config.ROOMCAST_DEFAULT_PARTITIONS,
    retentionMs: config.ROOMCAST_TOPIC_RETENTION_MS,
    sessionTimeoutMs: config.ROOMCAST_LOG_SINK_SESSION_TIMEOUT_MS,
    retentionDays: config.ROOMCAST_LOG_RETENTION_DAYS,
    archiveDir: config.ROOMCAST_LOG_ARCHIVE_DIR,
  });
  return {
    name: 'log-sink',
    sink,
    checks: { log: () => ctx.parts.writer.probe() },
    start: () => sink.start(),
    stop: () => sink.stop(),
  };
}
