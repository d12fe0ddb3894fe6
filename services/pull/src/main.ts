/** Composition root of the pull service run on its own. */
import { masterKeysOf, pullConfigSpec, runDataPlaneService, streamConfigSpec } from '@roomcast/runtime';
import { createPull, createPullQueues, pullSettings, streamSettingsFromConfig } from './index.ts';

await runDataPlaneService('pull', { ...pullConfigSpec, ...streamConfigSpec }, process.env, ({ config, runtime, routing, logger }) => [
  createPull({ routing, streams: { runtime, logger, masterKeys: masterKeysOf(config), settings: streamSettingsFromConfig(config), retentionMs: config.ROOMCAST_TOPIC_RETENTION_MS } }),
  createPullQueues({ runtime, routing, logger, masterKeys: masterKeysOf(config), settings: pullSettings(config) }),
]);
