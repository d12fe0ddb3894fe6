/**
 * The whole platform in one process: control plane, ingress, dispatcher and pull share one
 * runtime (Kafka, Redis, registry connections), one routing-contract follower and one HTTP
 * port. Used by `npm start`, by the integration tests and by the bench; in production each
 * service can run alone from its own main.ts instead.
 */
import { type ConfigOf, type ConfigSpec, createLogger, type Logger, type LogLevel } from '@roomcast/core';
import { applyLimitsFromConfig, type ControlPlaneUnit, createControlPlane } from '@roomcast/control-plane';
import { createDb, migrate } from '@roomcast/db';
import { createDispatcher, type Dispatcher } from '@roomcast/dispatcher';
import { logConfigSpec, migrateLog } from '@roomcast/log';
import { createLogApi, createLogSink, type LogParts, type LogSink, logParts } from '@roomcast/log-sink';
import { batchingFromConfig, createIngress, ingressHardening, ingressOpenApi, ingressSettings } from '@roomcast/ingress';
import { createPull, createPullQueues, pullSettings, streamSettingsFromConfig } from '@roomcast/pull';
import type { Hono } from 'hono';
import type { RoutingFollower } from '@roomcast/routing';
import {
  commonConfigSpec,
  controlPlaneConfigSpec,
  createRuntime,
  dispatcherConfigSpec,
  dispatcherSettings,
  exportRoutingGeneration,
  ingressConfigSpec,
  masterKeysOf,
  postgresProbe,
  preflight,
  pullConfigSpec,
  type Runtime,
  runtimeProbes,
  runtimeSettings,
  followRouting,
  serveUnits,
  streamConfigSpec,
  tlsListener,
  type Unit,
} from '@roomcast/runtime';

export const platformConfigSpec = {
  ...commonConfigSpec,
  ...controlPlaneConfigSpec,
  ...ingressConfigSpec,
  ...dispatcherConfigSpec,
  ...streamConfigSpec,
  ...pullConfigSpec,
  ...logConfigSpec,
  ROOMCAST_MIGRATE_ON_START: { kind: 'bool', default: 'true', help: 'Apply pending database migrations at start.' },
  ROOMCAST_PLATFORM_DISPATCHER: {
    kind: 'bool',
    default: 'true',
    help: 'Run the dispatcher inside the all-in-one process; false when dispatchers run as their own processes (services/dispatcher).',
  },
  ROOMCAST_PLATFORM_LOG_SINK: {
    kind: 'bool',
    default: 'true',
    help: 'Run the message-log sink inside the all-in-one process; false when sinks run as their own processes (services/log-sink).',
  },
} satisfies ConfigSpec;

export type PlatformConfig = ConfigOf<typeof platformConfigSpec>;

export interface Platform {
  url: string;
  app: Hono;
  port: number;
  /** The HTTPS listener (API keys or client certificates) when TLS is configured. */
  tlsUrl: string | undefined;
  runtime: Runtime;
  routing: RoutingFollower;
  controlPlane: ControlPlaneUnit;
  dispatcher: Dispatcher;
  /** The message log's store and signer, and the sink when it runs in this process. */
  log: LogParts;
  logSink: LogSink | undefined;
  logger: Logger;
  stop(): Promise<void>;
}

export async function startPlatform(config: PlatformConfig, logger: Logger = createLogger({ level: config.ROOMCAST_LOG_LEVEL as LogLevel })): Promise<Platform> {
  const tls = tlsListener(config);
  // Every dependency answers before anything is migrated or started (one clear line each if not).
  await preflight([postgresProbe('ROOMCAST_DATABASE_URL', config.ROOMCAST_DATABASE_URL), ...runtimeProbes(config)]);
  if (config.ROOMCAST_MIGRATE_ON_START) {
    const result = await migrate({ databaseUrl: config.ROOMCAST_DATABASE_URL, schema: config.ROOMCAST_DATABASE_SCHEMA });
    if (result.applied.length > 0) logger.info('database migrated', { applied: result.applied });
    const logResult = await migrateLog(config.ROOMCAST_LOG_MIGRATE_URL ?? config.ROOMCAST_DATABASE_URL, config.ROOMCAST_LOG_SCHEMA);
    if (logResult.applied.length > 0) logger.info('message log migrated', { applied: logResult.applied });
  }
  const runtime = createRuntime(runtimeSettings(config, 'roomcast'), logger);
  try {
    const masterKeys = masterKeysOf(config);
    const log = logParts(runtime, config, config.ROOMCAST_DEV_MODE);
    const db = createDb({ databaseUrl: config.ROOMCAST_DATABASE_URL, schema: config.ROOMCAST_DATABASE_SCHEMA });
    runtime.onClose(() => db.$disconnect());
    const controlPlane = createControlPlane({
      runtime,
      db,
      logger: logger.child({ unit: 'control-plane' }),
      bootstrapAdminKey: config.ROOMCAST_BOOTSTRAP_ADMIN_KEY,
      retentionMs: config.ROOMCAST_TOPIC_RETENTION_MS,
      defaultPartitions: config.ROOMCAST_DEFAULT_PARTITIONS,
      devMode: config.ROOMCAST_DEV_MODE,
      publicBaseUrl: config.ROOMCAST_PUBLIC_BASE_URL,
      applyLimits: applyLimitsFromConfig(config),
      masterKeys,
    });
    // The control plane publishes the first contract before the data plane starts following it.
    await controlPlane.start();
    const routing = await followRouting(runtime, logger);
    runtime.onClose(() => routing.stop());
    exportRoutingGeneration(runtime.metrics, routing);
    const ingress = createIngress({
      runtime,
      routing,
      logger: logger.child({ unit: 'ingress' }),
      ...ingressSettings(config),
      masterKeys,
      hardening: ingressHardening(config),
      batching: batchingFromConfig(config),
      log: { store: log.store, waitMs: config.ROOMCAST_LOG_STATUS_WAIT_MS },
    });
    const dispatcher = createDispatcher({
      runtime,
      routing,
      logger: logger.child({ unit: 'dispatcher' }),
      masterKeys,
      ...dispatcherSettings(config),
      partitions: config.ROOMCAST_DEFAULT_PARTITIONS,
      retentionMs: config.ROOMCAST_TOPIC_RETENTION_MS,
      devMode: config.ROOMCAST_DEV_MODE,
    });
    const logSink = config.ROOMCAST_PLATFORM_LOG_SINK
      ? createLogSink({ runtime, routing, logger: logger.child({ unit: 'log-sink' }), parts: log, config, partitions: config.ROOMCAST_DEFAULT_PARTITIONS, retentionMs: config.ROOMCAST_TOPIC_RETENTION_MS })
      : undefined;
    const units: Unit[] = [
      { name: 'control-plane', routes: controlPlane.routes, checks: controlPlane.checks, openapi: controlPlane.openapi, stop: () => controlPlane.stop() },
      { name: 'ingress', routes: ingress.routes, openapi: ingressOpenApi, start: () => ingress.start(), stop: () => ingress.stop() },
      ...(config.ROOMCAST_PLATFORM_DISPATCHER ? [{ name: 'dispatcher', start: () => dispatcher.start(), stop: () => dispatcher.stop() }] : []),
      createPull({ routing, streams: { runtime, logger: logger.child({ unit: 'pull' }), masterKeys, settings: streamSettingsFromConfig(config), retentionMs: config.ROOMCAST_TOPIC_RETENTION_MS } }),
      createPullQueues({ runtime, routing, logger: logger.child({ unit: 'pull' }), masterKeys, settings: pullSettings(config) }),
      createLogApi({ runtime, routing, parts: log, logger: logger.child({ unit: 'log-api' }) }),
      ...(logSink ? [logSink] : []),
    ];
    const served = await serveUnits({ runtime, logger, host: config.ROOMCAST_HOST, port: config.ROOMCAST_PORT, tls, units, metricsToken: config.ROOMCAST_METRICS_TOKEN });
    controlPlane.listening(served.tlsUrl ?? served.url);
    return {
      url: served.url,
      port: served.port,
      app: served.app,
      tlsUrl: served.tlsUrl,
      runtime,
      routing,
      controlPlane,
      dispatcher,
      log,
      logSink: logSink?.sink,
      logger,
      async stop() {
        await served.stop();
        await runtime.close();
      },
    };
  } catch (err) {
    await runtime.close();
    throw err;
  }
}
