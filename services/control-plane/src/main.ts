/** Composition root of the control plane run on its own. */
import { createLogger, loadConfig, type LogLevel } from '@roomcast/core';
import { createDb, migrate } from '@roomcast/db';
import {
  commonConfigSpec,
  controlPlaneConfigSpec,
  createRuntime,
  masterKeysOf,
  postgresProbe,
  preflight,
  runMain,
  runtimeProbes,
  runtimeSettings,
  serveUnits,
  stopOnSignals,
  tlsListener,
} from '@roomcast/runtime';
import { applyLimitsFromConfig, createControlPlane } from './index.ts';

await runMain(async () => {
  const config = loadConfig({ ...commonConfigSpec, ...controlPlaneConfigSpec }, process.env);
  const tls = tlsListener(config);
  const logger = createLogger({ level: config.ROOMCAST_LOG_LEVEL as LogLevel, base: { service: 'control-plane' } });
  await preflight([postgresProbe('ROOMCAST_DATABASE_URL', config.ROOMCAST_DATABASE_URL), ...runtimeProbes(config)]);
  await migrate({ databaseUrl: config.ROOMCAST_DATABASE_URL, schema: config.ROOMCAST_DATABASE_SCHEMA });
  const runtime = createRuntime(runtimeSettings(config, 'roomcast-control-plane'), logger);
  const db = createDb({ databaseUrl: config.ROOMCAST_DATABASE_URL, schema: config.ROOMCAST_DATABASE_SCHEMA });
  runtime.onClose(() => db.$disconnect());
  const cp = createControlPlane({
    runtime,
    db,
    logger,
    bootstrapAdminKey: config.ROOMCAST_BOOTSTRAP_ADMIN_KEY,
    retentionMs: config.ROOMCAST_TOPIC_RETENTION_MS,
    defaultPartitions: config.ROOMCAST_DEFAULT_PARTITIONS,
    devMode: config.ROOMCAST_DEV_MODE,
    publicBaseUrl: config.ROOMCAST_PUBLIC_BASE_URL,
    applyLimits: applyLimitsFromConfig(config),
    masterKeys: masterKeysOf(config),
  });
  const served = await serveUnits({
    runtime,
    logger,
    host: config.ROOMCAST_HOST,
    port: config.ROOMCAST_PORT,
    tls,
    metricsToken: config.ROOMCAST_METRICS_TOKEN,
    units: [{ name: 'control-plane', routes: cp.routes, checks: cp.checks, openapi: cp.openapi, start: () => cp.start(), stop: () => cp.stop() }],
  });
  cp.listening(served.tlsUrl ?? served.url);
  stopOnSignals(async () => {
    await served.stop();
    await runtime.close();
  }, logger);
});
