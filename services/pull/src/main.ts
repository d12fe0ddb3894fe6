/** Composition root of the pull service run on its own. */
import { createLogger, loadConfig, type LogLevel } from '@roomcast/core';
import { followContract } from '@roomcast/routing';
import { commonConfigSpec, createRuntime, runMain, runtimeSettings, serveUnits, stopOnSignals } from '@roomcast/runtime';
import { createPull } from './index.ts';

await runMain(async () => {
  const config = loadConfig(commonConfigSpec, process.env);
  const logger = createLogger({ level: config.ROOMCAST_LOG_LEVEL as LogLevel, base: { service: 'pull' } });
  const runtime = createRuntime(runtimeSettings(config, 'roomcast-pull'), logger);
  const routing = await followContract({ redis: runtime.redis, keys: runtime.keys, logger });
  runtime.onClose(() => routing.stop());
  const served = await serveUnits({ runtime, logger, host: config.ROOMCAST_HOST, port: config.ROOMCAST_PORT, units: [createPull({ routing })] });
  stopOnSignals(async () => {
    await served.stop();
    await runtime.close();
  }, logger);
});
