/** Composition root of the log sink run on its own (serves probes and metrics only). */
import type { ConfigSpec } from '@roomcast/core';
import { logConfigSpec, migrateLog } from '@roomcast/log';
import { runDataPlaneService } from '@roomcast/runtime';
import { createLogSink, logParts } from './index.ts';

const spec = {
  ...logConfigSpec,
  ROOMCAST_DEFAULT_PARTITIONS: { kind: 'int', default: '3', help: 'Partitions of the delivery-log topic when this process creates it.' },
} satisfies ConfigSpec;

await runDataPlaneService('log-sink', spec, process.env, async ({ config, runtime, routing, logger }) => {
  if (config.ROOMCAST_LOG_MIGRATE_URL) await migrateLog(config.ROOMCAST_LOG_MIGRATE_URL, config.ROOMCAST_LOG_SCHEMA);
  const parts = logParts(runtime, config, config.ROOMCAST_DEV_MODE);
  return [createLogSink({ runtime, routing, logger, parts, config, partitions: config.ROOMCAST_DEFAULT_PARTITIONS, retentionMs: config.ROOMCAST_TOPIC_RETENTION_MS })];
});
