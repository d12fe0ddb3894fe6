/**
 * The whole platform in one process: control plane, ingress, dispatcher and pull share one
 * runtime (Kafka, Redis, registry connections), one routing-contract follower and one HTTP
 * port. Used by `npm start`, by the integration tests and by the bench; in production each
 * service can run alone from its own main.ts instead.
 */
import { type ConfigOf, type ConfigSpec, createLogger, type Logger, type LogLevel } from '@roomcast/core';
import { type ControlPlaneUnit, controlPlaneConfigSpec, controlPlaneUnit } from '@roomcast/control-plane';
import { migrate } from '@roomcast/db';
import { type Dispatcher, dispatcherConfigSpec, dispatcherUnit } from '@roomcast/dispatcher';
import { ingressConfigSpec, ingressUnit } from '@roomcast/ingress';
import { migrateLog } from '@roomcast/log';
import { createLogApi, type LogParts, type LogSink, logParts, logSinkConfigSpec, logSinkUnit, monitoringSettingsOf, redriveSettings } from '@roomcast/log-sink';
import { pullConfigSpec, pullUnit, streamConfigSpec } from '@roomcast/pull';
import type { RoutingFollower } from '@roomcast/routing';
import {
  commonConfigSpec,
  createRuntime,
  masterKeysOf,
  exportRoutingGeneration,
  followRouting,
  postgresProbe,
  preflight,
  registrationSettings,
  type Runtime,
  runtimeProbes,
  runtimeSettings,
  serveUnits,
  tlsListener,
  type Unit,
} from '@roomcast/runtime';
import type { Hono } from 'hono';

export const platformConfigSpec = {
  ...commonConfigSpec,
  ...controlPlaneConfigSpec,
  ...ingressConfigSpec,
  ...dispatcherConfigSpec,
  ...streamConfigSpec,
  ...pullConfigSpec,
  ...logSinkConfigSpec,
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
  const registration = registrationSettings(config);
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
    const log = logParts(runtime, config, config.ROOMCAST_DEV_MODE);
    const controlPlane = controlPlaneUnit(config, { runtime, logger: logger.child({ unit: 'control-plane' }) });
    // The control plane publishes the first contract before the data plane starts following it.
    await controlPlane.start();
    const routing = await followRouting(runtime, logger);
    runtime.onClose(() => routing.stop());
    exportRoutingGeneration(runtime.metrics, routing);
    // Every service is built by the same function its own main.ts calls.
    const ctx = (unit: string) => ({ runtime, routing, logger: logger.child({ unit }) });
    const dispatcher = dispatcherUnit(config, ctx('dispatcher'));
    const logSink = config.ROOMCAST_PLATFORM_LOG_SINK ? logSinkUnit(config, { ...ctx('log-sink'), parts: log }) : undefined;
    const units: Unit[] = [
      // Already started above; serveUnits stops it with the rest.
      { ...controlPlane, start: undefined },
      ingressUnit(config, { ...ctx('ingress'), logStore: log.store }),
      ...(config.ROOMCAST_PLATFORM_DISPATCHER ? [dispatcher] : []),
      pullUnit(config, ctx('pull')),
      createLogApi({ runtime, routing, parts: log, logger: logger.child({ unit: 'log-api' }), monitoring: monitoringSettingsOf(config), masterKeys: masterKeysOf(config), redrive: redriveSettings(config) }),
      ...(logSink ? [logSink] : []),
    ];
    const served = await serveUnits({ runtime, logger, host: config.ROOMCAST_HOST, port: config.ROOMCAST_PORT, tls, units, metricsToken: config.ROOMCAST_METRICS_TOKEN, registration });
    controlPlane.listening(served.tlsUrl ?? served.url);
    return {
      url: served.url,
      port: served.port,
      app: served.app,
      tlsUrl: served.tlsUrl,
      runtime,
      routing,
      controlPlane,
      dispatcher: dispatcher.dispatcher,
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
