/**
 * The message log end to end, every layer real: published events and their deliveries land in
 * PostgreSQL through the sink; event status answers from the log and Kafka after the dedup
 * window has let go of the id; Redis keeps nothing per event; the log role cannot change a row;
 * a superuser's change is found by verify; a proof bundle verifies offline with the standalone
 * script; search refuses bad parameters with their pointers and scopes what it shows.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { archiveDay, LogStore, type ProofBundle, restoreArchive, verifyLog, verifyProof } from '@roomcast/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { caller, pointers } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

const VERIFIER = fileURLToPath(new URL('../../scripts/log-verify-proof.mjs', import.meta.url));
const LOG_TOOL = fileURLToPath(new URL('../../scripts/log.ts', import.meta.url));

let t: TestPlatform;
let sub: Subscriber;
let seeded: SeededDemo;
let call: ReturnType<typeof caller>;
/** The log schema's owner (a superuser here), and the log role the services use. */
let admin: LogStore;
let logRole: LogStore;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  t = await startTestPlatform('msglog', { ROOMCAST_DEDUP_WINDOW_MS: '1500', ROOMCAST_LOG_CHECKPOINT_INTERVAL_MS: '500', ROOMCAST_LOG_CHECKPOINT_EVERY: '5' });
  call = caller(t.platform.url);
  sub = await startSubscriber();
  seeded = await seedDemo(t.platform.url, t.adminKey, sub.url);
  sub.setSecret(seeded.signingSecret);
  await t.platform.routing.waitFor(seeded.generation);
  admin = new LogStore({ url: t.config.ROOMCAST_DATABASE_URL, schema: t.config.ROOMCAST_LOG_SCHEMA, maxConnections: 2 });
  logRole = t.platform.log.store;
});

afterAll(async () => {
  await admin?.close();
  await sub?.close();
  await t?.cleanup();
});

const asPublisher = { get key() { return seeded.publisherKey; }, client: DEMO.publisherClient };
const asSubscriber = { get key() { return seeded.subscriberKey; }, client: DEMO.subscriberClient };
const statusPath = (id: string) => `${DEMO.roomPath}/pub/v1/${DEMO.eventType}/${id}`;

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await pause(100)) {
    const v = await fn();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('message log', () => {
  it('logs the event (no payload) and its delivery, and answers status after the dedup window let go of the id', async () => {
    const id = randomUUID();
    const res = await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId: 'log-1' }, {});
    expect(res.status).toBe(201);
    const chosen = await call('POST', `${DEMO.roomPath}/pub/v1/${DEMO.eventType}`, { ...asPublisher, body: { eventType: DEMO.eventType, event: { ...DEMO.sampleEvent, motherId: 'log-2' }, id } });
    expect(chosen.status).toBe(201);

    // Right after the 201 the status answers (a miss waits for the sink).
    const first = await call('GET', statusPath(String(res.body.id)), asPublisher);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: res.body.id, event: { motherId: 'log-1' }, status: 'PUBLISHED' });

    const row = (await admin.pool.query('SELECT * FROM events WHERE event_id = $1', [id])).rows[0];
    expect(row).toMatchObject({ publisher: DEMO.publisherClient, event_type: DEMO.eventType, classification: 'INTERNAL', schema_version: 1 });
    expect(row.schema_id).toEqual(expect.any(Number));
    expect(row.payload_sha256).toHaveLength(32);
    expect(row.key_sha256).toHaveLength(32);
    expect(JSON.stringify(row)).not.toContain('log-2'); // no payload, no plain key

    // The dedup record of the chosen id expires with the 1.5 s window …
    const ledgerKey = t.platform.runtime.keys.eventRecord(t.platform.routing.current().room({ instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'births' })?.id ?? '', DEMO.publisherClient, id);
    await until('the dedup record to expire', async () => ((await t.platform.runtime.redis.exists(ledgerKey)) === 0 ? true : undefined));
    // … and the status still answers, payload read back from Kafka, delivery from the log.
    const later = await until('the delivery to be logged', async () => {
      const s = await call('GET', statusPath(id), asPublisher);
      return (s.body.deliveries as { delivered: number } | undefined)?.delivered === 1 ? s : undefined;
    });
    expect(later.body).toMatchObject({ id, event: { motherId: 'log-2' }, deliveries: { subscribers: 1, delivered: 1, pending: 0 } });
    const attempts = (await admin.pool.query("SELECT outcome, state, http_status, subscriber, mode FROM deliveries WHERE event_id = $1 ORDER BY koffset", [id])).rows;
    expect(attempts).toEqual([{ outcome: 'delivered', state: 'DELIVERED', http_status: 204, subscriber: DEMO.subscriberClient, mode: 'push' }]);
  });

  it('keeps nothing per generated-id event in Redis, and no final delivery state', async () => {
    const before = await t.platform.runtime.redis.keys(`${t.prefix}:*`);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId: `redis-${i}` });
      expect(r.status).toBe(201);
      ids.push(String(r.body.id));
    }
    await until('the 20 deliveries to be logged', async () => {
      const n = Number((await admin.pool.query("SELECT count(*) AS n FROM deliveries WHERE event_id = ANY($1::uuid[]) AND state = 'DELIVERED'", [ids])).rows[0].n);
      return n === 20 ? true : undefined;
    });
    const after = await t.platform.runtime.redis.keys(`${t.prefix}:*`);
    const added = after.filter((k) => !before.includes(k));
    expect(added.filter((k) => k.includes(':eid:') || k.includes(':delivery:'))).toEqual([]);
  });

  it('refuses UPDATE, DELETE and TRUNCATE by the log role', async () => {
    for (const sql of ["UPDATE events SET publisher = 'x'", 'DELETE FROM deliveries', 'TRUNCATE events', "UPDATE checkpoints SET key_id = 'x'", 'DELETE FROM archives']) {
      await expect(logRole.pool.query(sql), sql).rejects.toThrow(/permission denied|append-only/);
    }
    // The table's owner hits the trigger too.
    await expect(admin.pool.query("UPDATE events SET publisher = 'x'")).rejects.toThrow(/append-only/);
  });

  it('gives the publisher and the subscriber a proof bundle that verifies offline; an altered bundle does not', async () => {
    const r = await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId: 'proof-1' });
    const id = String(r.body.id);
    const proofPath = `/api/v1/log/events/${id}/proof`;
    const got = await until('a checkpoint covering the event', async () => {
      const a = await call('GET', proofPath, asPublisher);
      if (a.status === 409 || a.status === 404) return undefined; // not logged, or not checkpointed, yet
      return a;
    });
    expect(got.status).toBe(200);
    const bundle = got.body as unknown as ProofBundle;
    expect(verifyProof(bundle)).toBeUndefined();
    const keys = await call('GET', '/api/v1/log/keys');
    expect(keys.status).toBe(200);
    expect(verifyProof(bundle, (keys.body as { keys: Record<string, string> }).keys)).toBeUndefined();

    const dir = mkdtempSync(join(tmpdir(), 'rc-proof-'));
    writeFileSync(join(dir, 'bundle.json'), JSON.stringify(bundle));
    const ok = await promisify(execFile)(process.execPath, [VERIFIER, join(dir, 'bundle.json'), bundle.publicKey.spki]);
    expect(ok.stdout).toContain(`PROVEN: event ${id}`);
    // One altered field and the standalone verifier says no.
    const forged = { ...bundle, entry: bundle.entry.map((v, i) => (bundle.fields[i - 1] === 'publisher' ? 'DEV/GOV/MOH/someone-else' : v)) };
    writeFileSync(join(dir, 'forged.json'), JSON.stringify(forged));
    await expect(promisify(execFile)(process.execPath, [VERIFIER, join(dir, 'forged.json')])).rejects.toMatchObject({ code: 1, stdout: expect.stringContaining('NOT PROVEN') });
    expect(verifyProof(forged)).toMatch(/altered/);

    // The subscriber received it: it may fetch the proof; an unrelated member admin may not.
    await until('the delivery to be logged', async () => ((await call('GET', proofPath, asSubscriber)).status === 200 ? true : undefined));
    expect((await call('GET', proofPath)).status).toBe(401);

    // The delivery entry has its own bundle: the subscriber proves what the platform recorded of it.
    const deliveryProofs = `/api/v1/log/events/${id}/deliveries/proof`;
    const proofs = await until('a checkpoint covering the delivery', async () => {
      const a = await call('GET', deliveryProofs, asSubscriber);
      return a.status === 200 && (a.body.bundles as unknown[]).length > 0 && a.body.notCheckpointed === 0 ? a : undefined;
    });
    const delivered = (proofs.body.bundles as ProofBundle[]).at(-1) as ProofBundle;
    expect(delivered.kind).toBe('delivery');
    expect(verifyProof(delivered)).toBeUndefined();
    writeFileSync(join(dir, 'delivery.json'), JSON.stringify(delivered));
    const okDelivery = await promisify(execFile)(process.execPath, [VERIFIER, join(dir, 'delivery.json')]);
    expect(okDelivery.stdout).toContain(`PROVEN: delivery ${id}`);
    const field = (name: string) => delivered.entry[delivered.fields.indexOf(name as never) + 1];
    expect([field('subscriber'), field('outcome'), field('state'), field('http_status')]).toEqual([DEMO.subscriberClient, 'delivered', 'DELIVERED', '204']);
    // The publisher sees the subscriber's entries too; a bad limit is a 400 with its pointer.
    expect(((await call('GET', deliveryProofs, asPublisher)).body.bundles as unknown[]).length).toBe((proofs.body.bundles as unknown[]).length);
    const bad = await call('GET', `${deliveryProofs}?limit=1000`, asSubscriber);
    expect([bad.status, pointers(bad)]).toEqual([400, ['/query/limit']]);
    expect((await call('GET', `/api/v1/log/events/${randomUUID()}/deliveries/proof`, asSubscriber)).status).toBe(404);
  });

  it('verify finds a row a superuser altered behind the trigger, naming its offset', async () => {
    const keys = t.platform.log.signer.publicKeys();
    const clean = await verifyLog(t.platform.log.store, { publicKeys: keys });
    expect(clean.breaks).toEqual([]);
    expect(clean.rows).toBeGreaterThan(20);
    expect(clean.checkpoints).toBeGreaterThan(0);

    const victim = (await admin.pool.query('SELECT topic, kpartition, koffset FROM events ORDER BY koffset LIMIT 1 OFFSET 2')).rows[0];
    const superuser = await admin.pool.connect();
    try {
      await superuser.query('BEGIN');
      await superuser.query('SET LOCAL session_replication_role = replica');
      await superuser.query("UPDATE events SET publisher = 'DEV/GOV/MOH/forged' WHERE topic = $1 AND kpartition = $2 AND koffset = $3", [victim.topic, victim.kpartition, victim.koffset]);
      await superuser.query('COMMIT');
    } finally {
      superuser.release();
    }
    const report = await verifyLog(t.platform.log.store, { publicKeys: keys });
    expect(report.breaks).toContainEqual({ stream: `${victim.topic}/${victim.kpartition}`, offset: String(victim.koffset), problem: expect.stringMatching(/altered/) });

    // The operator's tool says the same, with the keys the platform publishes, and exits 1.
    const env = { PATH: process.env.PATH ?? '', ROOMCAST_LOG_DATABASE_URL: t.config.ROOMCAST_LOG_DATABASE_URL, ROOMCAST_LOG_SCHEMA: t.config.ROOMCAST_LOG_SCHEMA, ROOMCAST_NAME_PREFIX: t.prefix };
    const cli = promisify(execFile)(process.execPath, [LOG_TOOL, 'verify', '--room', 'DEV/GOV/MOH/births', '--keys-url', `${t.platform.url}/api/v1/log/keys`], { env });
    await expect(cli).rejects.toMatchObject({ code: 1, stdout: expect.stringContaining(`BREAK ${victim.topic}/${victim.kpartition} at offset ${victim.koffset}: row content altered`) });
  });

  it('searches events and deliveries in scope, with cursor paging', async () => {
    const from = new Date(Date.now() - 3600_000).toISOString();
    const page1 = await call('GET', `/api/v1/log/events?from=${encodeURIComponent(from)}&limit=5&room=DEV/GOV/MOH/births`, { key: t.adminKey });
    expect(page1.status).toBe(200);
    expect(page1.body.items as unknown[]).toHaveLength(5);
    const page2 = await call('GET', `/api/v1/log/events?from=${encodeURIComponent(from)}&limit=5&room=DEV/GOV/MOH/births&cursor=${String(page1.body.next)}`, { key: t.adminKey });
    const ids1 = (page1.body.items as { id: string }[]).map((i) => i.id);
    const ids2 = (page2.body.items as { id: string }[]).map((i) => i.id);
    expect(ids2).toHaveLength(5);
    expect(ids1.filter((i) => ids2.includes(i))).toEqual([]);

    // The publisher sees its events; the subscriber sees none of them, but its deliveries.
    const mine = await call('GET', `/api/v1/log/events?from=${encodeURIComponent(from)}`, asPublisher);
    expect((mine.body.items as unknown[]).length).toBeGreaterThan(20);
    const theirs = await call('GET', `/api/v1/log/events?from=${encodeURIComponent(from)}`, asSubscriber);
    expect(theirs.body.items).toEqual([]);
    const delivered = await call('GET', `/api/v1/log/deliveries?from=${encodeURIComponent(from)}&state=DELIVERED`, asSubscriber);
    expect((delivered.body.items as { subscriber: string }[]).every((d) => d.subscriber === DEMO.subscriberClient)).toBe(true);
    expect((delivered.body.items as unknown[]).length).toBeGreaterThan(20);

    const history = await call('GET', `/api/v1/log/events/${ids1[0]}`, asPublisher);
    expect(history.status).toBe(200);
    expect(history.body).toMatchObject({ event: { id: ids1[0], publisher: DEMO.publisherClient } });

    const report = await call('GET', `/api/v1/log/reports/deliveries?from=${encodeURIComponent(from)}&groupBy=subscriber,state&bucket=hour`, { key: t.adminKey });
    expect(report.status).toBe(200);
    // One row per hour bucket: a run that crosses the hour has two.
    const rows = (report.body.rows as { subscriber: string; state: string; count: number; latencyMs: { p99: number } | null }[]).filter((r) => r.state === 'DELIVERED');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row).toMatchObject({ subscriber: DEMO.subscriberClient });
      expect(row.latencyMs?.p99).toBeGreaterThan(0);
    }
    expect(rows.reduce((n, r) => n + r.count, 0)).toBeGreaterThan(20);
  });

  it('refuses bad search parameters with the pointer of each, changing nothing', async () => {
    const a = await call('GET', '/api/v1/log/events?limit=0&classification=SECRET&room=nope&extra=1', { key: t.adminKey });
    expect(a.status).toBe(400);
    expect(a.body.code).toBe('request.validation_failed');
    expect(pointers(a)).toEqual(['/query/classification', '/query/extra', '/query/from', '/query/limit', '/query/room']);
    const wide = await call('GET', '/api/v1/log/events?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', { key: t.adminKey });
    expect(pointers(wide)).toEqual(['/query/to']);
    const backwards = await call('GET', '/api/v1/log/deliveries?from=2026-03-01T00:00:00Z&to=2026-02-01T00:00:00Z', { key: t.adminKey });
    expect(pointers(backwards)).toEqual(['/query/to']);
    const cursor = await call('GET', `/api/v1/log/events?from=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}&cursor=bogus`, { key: t.adminKey });
    expect(pointers(cursor)).toEqual(['/query/cursor']);
    const group = await call('GET', `/api/v1/log/reports/events?from=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}&groupBy=room,password`, { key: t.adminKey });
    expect(pointers(group)).toEqual(['/query/groupBy']);
    expect((await call('GET', '/api/v1/log/events?from=2026-01-01T00:00:00Z')).status).toBe(401);
  });
  it('archives a day (file, manifest, SHA-256), drops its partition, and rebuilds it from the archive', async () => {
    await t.platform.logSink?.stop(); // nothing more arrives while the day is archived
    const store = t.platform.log.store;
    const keys = t.platform.log.signer.publicKeys();
    const before = await verifyLog(store, { publicKeys: keys });
    const count = async (table: string) => Number((await store.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`, []))[0]?.n);
    const rows = { events: await count('events'), deliveries: await count('deliveries') };
    const day = (await store.query<{ d: string }>("SELECT to_char(min(logged_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS d FROM events", []))[0]?.d ?? '';
    const dir = mkdtempSync(join(tmpdir(), 'rc-archive-'));
    const manifests: string[] = [];
    for (const table of ['events', 'deliveries'] as const) {
      const m = await archiveDay(store, table, day, dir);
      expect(m).toMatchObject({ table, day, rows: rows[table] });
      const file = join(dir, store.schema, `${table}-${day}.manifest.json`);
      expect(existsSync(file)).toBe(true);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(m);
      manifests.push(file);
    }
    expect(await count('events')).toBe(0);
    expect(await count('deliveries')).toBe(0);
    const recorded = await store.query<{ table_name: string; rows: string }>('SELECT table_name, rows FROM archives ORDER BY 1', []);
    expect(recorded.map((r) => [r.table_name, Number(r.rows)])).toEqual([['deliveries', rows.deliveries], ['events', rows.events]]);

    // A damaged archive is refused; the intact ones rebuild the log exactly.
    const gz = join(dir, store.schema, `events-${day}.jsonl.gz`);
    const original = readFileSync(gz);
    writeFileSync(gz, Buffer.concat([original, Buffer.from([0])]));
    await expect(restoreArchive(store, manifests[0] as string)).rejects.toThrow(/SHA-256/);
    writeFileSync(gz, original);
    for (const m of manifests) await restoreArchive(store, m);
    expect(await count('events')).toBe(rows.events);
    expect(await count('deliveries')).toBe(rows.deliveries);
    const after = await verifyLog(store, { publicKeys: keys });
    expect({ rows: after.rows, checkpoints: after.checkpoints, breaks: after.breaks }).toEqual({ rows: before.rows, checkpoints: before.checkpoints, breaks: before.breaks });
  });
});
