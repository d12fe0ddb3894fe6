/** Composition root of the pull service run on its own. */
import { encryptionConfigSpec, masterKeysOf, runDataPlaneService, streamConfigSpec } from '@roomcast/runtime';
import { createPull, streamSettingsFromConfig } from './index.ts';

await runDataPlaneService('pull', { ...encryptionConfigSpec, ...streamConfigSpec }, process.env, ({ routing, runtime, logger, config }) => [
  createPull({ routing, streams: { runtime, logger, masterKeys: masterKeysOf(config), settings: streamSettingsFromConfig(config) } }),
]);
