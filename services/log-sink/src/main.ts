/**
 * Composition root of the message-log service run on its own: the sink (delivery log → PostgreSQL)
 * and the log API (search, event history, reports, proofs, public keys), as in the all-in-one process.
 */
import { migrateLog } from '@roomcast/log';
import { masterKeysOf, runDataPlaneService } from '@roomcast/runtime';
import { logSinkConfigSpec, monitoringSettingsOf } from './config.ts';
import { createLogApi, redriveSettings } from './api.ts';
import { logParts, logSinkUnit } from './unit.ts';

await runDataPlaneService('log-sink', logSinkConfigSpec, process.env, async (config, ctx) => {
  if (config.ROOMCAST_LOG_MIGRATE_URL) await migrateLog(config.ROOMCAST_LOG_MIGRATE_URL, config.ROOMCAST_LOG_SCHEMA);
  const parts = logParts(ctx.runtime, config, config.ROOMCAST_DEV_MODE);
  return [logSinkUnit(config, { ...ctx, parts }), createLogApi({ ...ctx, parts, monitoring: monitoringSettingsOf(config), masterKeys: masterKeysOf(config), redrive: redriveSettings(config) })];
});
