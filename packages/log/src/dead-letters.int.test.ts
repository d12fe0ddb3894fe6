/** The dead-letter index and its claims against real PostgreSQL, in a log schema of this test's own. */
import { randomBytes, randomUUID } from 'node:crypto';
import { dropSchema } from '@roomcast/db/migrate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraEndpoints } from '../../../scripts/infra/config.ts';
import { appendDeadLetters, claimDeadLetters, countDeadLetters, type DeadLetterEntry, type OperationInput } from './dead-letters.ts';
import { LogStore, migrateLog } from './store.ts';

const adminUrl = infraEndpoints().databaseUrl;
const schema = `t_dlq_${randomBytes(5).toString('hex')}`;
const TOPIC = 'p.dead-letter';
let store: LogStore;

const entry = (offset: number, sub = 'sub_1'): DeadLetterEntry => ({
  topic: TOPIC,
  partition: 0,
  offset: String(offset),
  deadLetteredAt: new Date(Date.now() - 1000 + offset),
  subscriptionId: sub,
  roomId: 'room_1',
  mode: 'push',
  eventId: randomUUID(),
  eventType: 'newBirth',
  publisher: 'DEV/GOV/MOH/clinic-a',
  publishedAt: new Date(),
  classification: 'PUBLIC',
  reason: 'rejected',
  detail: 'HTTP 400',
  attempts: 1,
  httpStatus: 400,
  sourceTopic: 'p.rooms.births',
  sourcePartition: 0,
  sourceOffset: String(offset),
});
const op = (id: string, action: 'redrive' | 'purge' = 'redrive'): OperationInput => ({ id, subscriptionId: 'sub_1', action, actor: 'test', actorRole: 'APPLICATION', requestId: id, filter: {}, ratePerSec: null });
const takeAll = async (rows: { kpartition: number; koffset: string }[]) => ({ claims: rows.map((r) => ({ key: { partition: r.kpartition, offset: String(r.koffset) }, outcome: 'queued' })), failures: [] });

beforeAll(async () => {
  await migrateLog(adminUrl, schema);
  const url = new URL(adminUrl);
  url.username = 'roomcast_log';
  url.password = 'roomcast_log';
  store = new LogStore({ url: url.toString(), schema });
});

afterAll(async () => {
  await store?.close();
  await dropSchema(adminUrl, schema);
});

describe('dead-letter index', () => {
  it('indexes each record once, however often the sink reads it', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => entry(i));
    expect(await appendDeadLetters(store, rows)).toBe(50);
    expect(await appendDeadLetters(store, rows)).toBe(0);
    await appendDeadLetters(store, [entry(1000, 'sub_other')]);
    expect(await countDeadLetters(store, TOPIC, 'sub_1', { state: 'dead' })).toBe(50);
  });

  it('work that fails claims nothing; per-event failures stay dead', async () => {
    await expect(claimDeadLetters(store, TOPIC, op('rdr_fail'), { state: 'dead' }, 100, async () => Promise.reject(new Error('producer down')))).rejects.toThrow('producer down');
    const reported = await claimDeadLetters(store, TOPIC, op('rdr_partial'), { state: 'dead' }, 2, async (rows) => ({ claims: [], failures: rows.map((r) => ({ key: { partition: r.kpartition, offset: String(r.koffset) }, reason: 'undecryptable' })) }));
    expect(reported).toEqual({ matched: 2, claimed: 0, failed: 2 });
    expect(await countDeadLetters(store, TOPIC, 'sub_1', { state: 'dead' })).toBe(50);
  });

  it('two redrives at once take each dead letter once in total', async () => {
    const slow = async (rows: { kpartition: number; koffset: string }[]) => {
      await new Promise((r) => setTimeout(r, 200));
      return takeAll(rows);
    };
    const [a, b] = await Promise.all([claimDeadLetters(store, TOPIC, op('rdr_a'), { state: 'dead' }, 1000, slow), claimDeadLetters(store, TOPIC, op('rdr_b'), { state: 'dead' }, 1000, slow)]);
    expect(a.claimed + b.claimed).toBe(50);
    expect([a.claimed, b.claimed].sort()).toEqual([0, 50]);
    expect(await countDeadLetters(store, TOPIC, 'sub_1', { state: 'dead' })).toBe(0);
    expect(await countDeadLetters(store, TOPIC, 'sub_1', { state: 'redriven' })).toBe(50);
    // The other subscription's dead letter was not touched.
    expect(await countDeadLetters(store, TOPIC, 'sub_other', { state: 'dead' })).toBe(1);
  });

  it('refuses a second claim of the same dead letter, and changes to any of its tables', async () => {
    await expect(claimDeadLetters(store, TOPIC, op('rdr_again'), { state: 'all' }, 1, async () => ({ claims: [{ key: { partition: 0, offset: '0' }, outcome: 'queued' }], failures: [] }))).rejects.toThrow();
    await expect(store.query('UPDATE dead_letters SET reason = $1', ['x'])).rejects.toThrow();
    await expect(store.query('DELETE FROM dead_letter_claims', [])).rejects.toThrow();
  });
});
