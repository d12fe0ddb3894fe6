/** Composition root of the dispatcher run on its own (serves probes and metrics only). */
import { dispatcherConfigSpec, dispatcherSettings, masterKeysOf, runDataPlaneService } from '@roomcast/runtime';
import { createDispatcher } from './index.ts';

await runDataPlaneService('dispatcher', dispatcherConfigSpec, process.env, ({ config, runtime, routing, logger }) => {
  const dispatcher = createDispatcher({ runtime, routing, logger, masterKeys: masterKeysOf(config), ...dispatcherSettings(config), retentionMs: config.ROOMCAST_TOPIC_RETENTION_MS, devMode: config.ROOMCAST_DEV_MODE });
  return [{ name: 'dispatcher', start: () => dispatcher.start(), stop: () => dispatcher.stop() }];
});
