/** Composition root of the dispatcher run on its own (serves probes and metrics only). */
import { createLogger, loadConfig, type LogLevel } from '@roomcast/core';
import { followContract } from '@roomcast/routing';
import { commonConfigSpec, createRuntime, runMain, runtimeSettings, serveUnits, stopOnSignals } from '@roomcast/runtime';
import { createDispatcher } from './index.ts';

await runMain(async () => {
  const config = loadConfig(commonConfigSpec, process.env);
  const logger = createLogger({ level: config.ROOMCAST_LOG_LEVEL as LogLevel, base: { service: 'dispatcher' } });
  const runtime = createRuntime(runtimeSettings(config, 'roomcast-dispatcher'), logger);
  const routing = await followContract({ redis: runtime.redis, keys: runtime.keys, logger });
  runtime.onClose(() => routing.stop());
  const dispatcher = createDispatcher({ runtime, routing, logger });
  const served = await serveUnits({
    runtime,
    logger,
    host: config.ROOMCAST_HOST,
    port: config.ROOMCAST_PORT,
    units: [{ name: 'dispatcher', start: () => dispatcher.start(), stop: () => dispatcher.stop() }],
  });
  stopOnSignals(async () => {
    await served.stop();
    await runtime.close();
  }, logger);
});
