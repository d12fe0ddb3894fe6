/** `npm run migrate`: applies pending control-plane migrations to ROOMCAST_DATABASE_URL. */
import { loadConfig } from '@roomcast/core';
import { migrate } from '@roomcast/db';
import { databaseConfigSpec, runMain } from '@roomcast/runtime';

await runMain(async () => {
  const config = loadConfig(databaseConfigSpec, process.env);
  const result = await migrate({ databaseUrl: config.ROOMCAST_DATABASE_URL, schema: config.ROOMCAST_DATABASE_SCHEMA });
  for (const m of result.applied) console.log(`applied  ${m}`);
  console.log(`${result.applied.length} applied, ${result.alreadyApplied.length} already applied`);
});
