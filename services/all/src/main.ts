/** Composition root: every Roomcast service in one process. */
import { createLogger, loadConfig, type LogLevel } from '@roomcast/core';
import { runMain, stopOnSignals } from '@roomcast/runtime';
import { platformConfigSpec, startPlatform } from './platform.ts';

await runMain(async () => {
  const config = loadConfig(platformConfigSpec, process.env);
  const logger = createLogger({ level: config.ROOMCAST_LOG_LEVEL as LogLevel, base: { service: 'roomcast' } });
  const platform = await startPlatform(config, logger);
  stopOnSignals(() => platform.stop(), logger);
});
