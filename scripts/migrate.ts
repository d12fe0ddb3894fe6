/**
 * `npm run migrate`: applies pending control-plane migrations to ROOMCAST_DATABASE_URL, and the
 * message log's to ROOMCAST_LOG_MIGRATE_URL (default: the same database, as its owner).
 */
import { loadConfig } from '@roomcast/core';
import { migrate } from '@roomcast/db';
import { logConfigSpec, migrateLog } from '@roomcast/log';
import { databaseConfigSpec, runMain } from '@roomcast/runtime';

await runMain(async () => {
  const config = loadConfig({ ...databaseConfigSpec, ...logConfigSpec }, process.env);
  const result = await migrate({ databaseUrl: config.ROOMCAST_DATABASE_URL, schema: config.ROOMCAST_DATABASE_SCHEMA });
  const log = await migrateLog(config.ROOMCAST_LOG_MIGRATE_URL ?? config.ROOMCAST_DATABASE_URL, config.ROOMCAST_LOG_SCHEMA);
  for (const m of [...result.applied, ...log.applied]) console.log(`applied  ${m}`);
  console.log(`${result.applied.length + log.applied.length} applied, ${result.alreadyApplied.length + log.alreadyApplied.length} already applied`);
});
