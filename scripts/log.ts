/**
 * `npm run log -- <command>`: the message log's operator tool.
 *
 *   keygen                              a new Ed25519 signing key (ROOMCAST_LOG_SIGNING_KEY) and its public key
 *   verify [--room I/C/M/R] [--from ISO]  recompute the hash chains, check the signed checkpoints; exit 1 on a break
 *   archive --before YYYY-MM-DD         archive every day partition before that day, then drop it
 *   restore <manifest.json>…            put archived rows back (checked against each manifest)
 *
 * Reads ROOMCAST_LOG_DATABASE_URL and ROOMCAST_LOG_SCHEMA, and the public keys from
 * ROOMCAST_LOG_SIGNING_KEY (its own) and ROOMCAST_LOG_RETIRED_KEYS, or from a running
 * Roomcast's /api/v1/log/keys given with --keys-url.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '@roomcast/core';
import { kafkaNames, urgentTopicOf } from '@roomcast/kafka';
import { archiveDay, generateSigningKey, logConfigSpec, LogStore, logSigner, parseKeyList, restoreArchive, verifyLog } from '@roomcast/log';
import { commonConfigSpec, runMain } from '@roomcast/runtime';

await runMain(async () => {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { room: { type: 'string' }, from: { type: 'string' }, 'keys-url': { type: 'string' }, before: { type: 'string' } },
  });
  const command = positionals[0];
  if (command === 'keygen') {
    const k = generateSigningKey();
    console.log(`ROOMCAST_LOG_SIGNING_KEY=${k.privateKey}`);
    console.log(`# public key (SPKI, base64), for ROOMCAST_LOG_RETIRED_KEYS once this key is retired: ${k.publicKey}`);
    return;
  }
  if (!['verify', 'archive', 'restore'].includes(command ?? '')) {
    console.error('usage: npm run log -- keygen | verify [--room INSTANCE/CLASS/MEMBER/ROOM] [--from ISO-8601] [--keys-url URL] | archive --before YYYY-MM-DD | restore MANIFEST…');
    process.exit(2);
  }
  const config = loadConfig({ ...commonConfigSpec, ...logConfigSpec }, process.env);
  if (command === 'archive' || command === 'restore') {
    const store = new LogStore({ url: config.ROOMCAST_LOG_DATABASE_URL, schema: config.ROOMCAST_LOG_SCHEMA, statementTimeoutMs: 600_000 });
    try {
      if (command === 'restore') {
        for (const m of positionals.slice(1)) console.log(`${m}: ${await restoreArchive(store, m)} rows restored`);
        return;
      }
      if (!values.before || !/^\d{4}-\d{2}-\d{2}$/.test(values.before)) throw Object.assign(new Error('archive needs --before YYYY-MM-DD'), { name: 'ConfigError' });
      const days = await store.query<{ d: string }>("SELECT DISTINCT to_char(logged_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS d FROM (SELECT logged_at FROM events UNION ALL SELECT logged_at FROM deliveries) x WHERE logged_at < $1::date ORDER BY 1", [values.before]);
      for (const { d } of days) {
        for (const table of ['events', 'deliveries'] as const) {
          const m = await archiveDay(store, table, d, config.ROOMCAST_LOG_ARCHIVE_DIR);
          if (m) console.log(`${table} ${d}: ${m.rows} rows → ${m.file} (sha256 ${m.sha256})`);
        }
      }
    } finally {
      await store.close();
    }
    return;
  }
  let keys: Record<string, string> = config.ROOMCAST_LOG_RETIRED_KEYS ? parseKeyList(config.ROOMCAST_LOG_RETIRED_KEYS) : {};
  if (config.ROOMCAST_LOG_SIGNING_KEY) keys = { ...keys, ...logSigner(config.ROOMCAST_LOG_SIGNING_KEY_ID, config.ROOMCAST_LOG_SIGNING_KEY).publicKeys() };
  if (values['keys-url']) keys = { ...keys, ...((await (await fetch(values['keys-url'])).json()) as { keys: Record<string, string> }).keys };
  let topics: string[] | undefined;
  if (values.room) {
    const [instance = '', memberClass = '', memberCode = '', room = ''] = values.room.split('/');
    const names = kafkaNames(config.ROOMCAST_NAME_PREFIX);
    const address = { instance, memberClass, memberCode, room };
    // A room has one of the two names (decision 0024): the log holds rows under whichever it has.
    topics = [names.roomTopic(address), names.urgentTopic(address), names.legacyRoomTopic(address), urgentTopicOf(names.legacyRoomTopic(address))];
  }
  const from = values.from ? new Date(values.from) : undefined;
  if (from && Number.isNaN(from.getTime())) throw Object.assign(new Error('--from must be an ISO-8601 time'), { name: 'ConfigError' });
  const store = new LogStore({ url: config.ROOMCAST_LOG_DATABASE_URL, schema: config.ROOMCAST_LOG_SCHEMA });
  try {
    const r = await verifyLog(store, { ...(topics ? { topics } : {}), ...(from ? { from } : {}), publicKeys: keys });
    for (const n of r.notes) console.log(`note  ${n}`);
    for (const b of r.breaks) console.log(`BREAK ${b.stream} at offset ${b.offset}: ${b.problem}`);
    console.log(`${r.streams} streams, ${r.rows} rows, ${r.checkpoints} checkpoints verified; ${r.breaks.length === 0 ? 'no break' : `${r.breaks.length} broken`}`);
    if (r.breaks.length > 0) process.exitCode = 1;
  } finally {
    await store.close();
  }
});
