/**
 * Replay / seek of a paused subscription, every layer real (decision 0027): a dry run counts the
 * records of the room's lanes from the chosen place and moves nothing; the real call moves only
 * that subscription's consumer group, and after resume it receives again exactly the events of
 * its type from there, in per-key order; `earliest` and `latest` move to the ends. A pull
 * subscription (on an urgent-lane event type) hands out exactly the re-read events, nothing that
 * was queued before. Refused unless PAUSED, and for bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { type Answer, caller, memberAdminKey, pointers } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

const A = '/api/admin/v1';
const TAX = 'DEV/GOV/TAX/tax-office';
const TAX_PULL = 'DEV/GOV/TAX/tax-alerts';
const ALERTS = `${DEMO.roomPath}/pull/v1/alert`;

let t: TestPlatform;
let seeded: SeededDemo;
let call: ReturnType<typeof caller>;
let demoSink: Subscriber;
let taxSink: Subscriber;
let taxSub: string;
let pullKey: string;
let pullSub: string;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const admin = (method: string, path: string, body?: unknown) => call(method, path, { key: t.adminKey, body });
const mothers = new Map<string, string>();

async function birth(motherId: string): Promise<string> {
  const res = await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId });
  expect(res.status).toBe(201);
  mothers.set(String(res.body.id), motherId);
  return String(res.body.id);
}

/** An alert (urgent lane); all share one key, hence one partition. */
async function alert(): Promise<string> {
  const res = await publish(t.platform.url, seeded.publisherKey, { code: 'one-key' }, { eventType: 'alert' });
  expect(res.status).toBe(201);
  return String(res.body.id);
}

/** A time strictly between the events published before and after it (record times are ms). */
async function mark(): Promise<string> {
  await pause(30);
  const at = new Date().toISOString();
  await pause(30);
  return at;
}

async function newest(): Promise<void> {
  const latest = await t.platform.controlPlane.service.deps.db.routingGeneration.findFirstOrThrow({ orderBy: { id: 'desc' } });
  await t.platform.routing.waitFor(latest.id);
}

async function transition(id: string, name: 'pause' | 'resume'): Promise<void> {
  const r = await admin('POST', `${A}/subscriptions/${id}/${name}`);
  expect(r.status).toBe(200);
  await newest();
}

/** The real replay; retried while the stopped consumers are still leaving the group (409 consumers_active). */
async function replay(id: string, from: string): Promise<Answer> {
  for (const deadline = Date.now() + 30_000; ; await pause(300)) {
    const r = await admin('POST', `${A}/subscriptions/${id}/replay`, { from });
    if (r.status !== 409 || r.body.code !== 'subscription.consumers_active' || Date.now() > deadline) return r;
  }
}

/** The subscription group's committed offsets, `lane topic|partition` → offset. */
async function committed(id: string): Promise<Record<string, string>> {
  const kafka = t.platform.runtime.kafka.admin();
  await kafka.connect();
  try {
    const room = await t.platform.controlPlane.service.deps.db.room.findUniqueOrThrow({ where: { id: seeded.roomId }, include: { member: true } });
    const { topic, urgentTopic } = t.platform.controlPlane.service.topicsOf(room);
    const out: Record<string, string> = {};
    for (const x of await kafka.fetchOffsets({ groupId: t.platform.runtime.names.subscriptionGroup(id), topics: [topic, urgentTopic] })) {
      for (const p of x.partitions) out[`${x.topic === urgentTopic ? 'u' : 'n'}${p.partition}`] = p.offset;
    }
    return out;
  } finally {
    await kafka.disconnect();
  }
}

const idsAt = (s: Subscriber, from = 0) => s.received.slice(from).map((r) => String(r.headers['webhook-id']));

/** Waits until the sink has all `ids` after position `from`, then a while longer for anything extra. */
async function receivedAfter(s: Subscriber, from: number, ids: string[]): Promise<string[]> {
  await s.waitFor((r) => ids.every((id) => r.slice(from).some((x) => x.headers['webhook-id'] === id)), 45_000);
  await pause(2000);
  return idsAt(s, from);
}

/** Per key, the order in which ids arrived. */
function byKey(ids: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const id of ids) {
    const key = mothers.get(id) ?? '?';
    out[key] = [...(out[key] ?? []), id];
  }
  return out;
}

beforeAll(async () => {
  t = await startTestPlatform('replay');
  call = caller(t.platform.url);
  demoSink = await startSubscriber();
  taxSink = await startSubscriber('/tax');
  seeded = await seedDemo(t.platform.url, t.adminKey, demoSink.url);
  demoSink.setSecret(seeded.signingSecret);
  const alertType = { eventType: 'alert', keyAttribute: '/code', priority: 'HIGH', schema: { type: 'object', properties: { code: { type: 'string' } }, required: ['code'] } };
  expect((await call('POST', `${DEMO.roomPath}/api/v1/eventType`, { key: t.adminKey, client: DEMO.publisherClient, body: alertType })).status).toBe(200);
  expect((await admin('POST', `${A}/rooms/${seeded.roomId}/publishers`, { clientId: DEMO.publisherClient, eventTypes: [DEMO.eventType, 'alert'] })).status).toBe(200);
  const member = await admin('POST', `${A}/members`, { instance: 'DEV', memberClass: 'GOV', memberCode: 'TAX', name: 'Tax Office' });
  const taxKey = String((await admin('POST', `${A}/members/${String(member.body.id)}/applications`, { code: 'tax-office' })).body.apiKey);
  pullKey = String((await admin('POST', `${A}/members/${String(member.body.id)}/applications`, { code: 'tax-alerts' })).body.apiKey);
  const tax = await call('POST', `${DEMO.roomPath}/api/v1/subs/${DEMO.eventType}`, { key: taxKey, client: TAX, body: { eventType: DEMO.eventType, options: { pushUrl: taxSink.url } } });
  taxSub = String(tax.body.id);
  taxSink.setSecret(String(tax.body.signingSecret));
  const pull = await call('POST', `${DEMO.roomPath}/api/v1/subs/alert`, { key: pullKey, client: TAX_PULL, body: { eventType: 'alert', delivery: 'PULL' } });
  pullSub = String(pull.body.id);
  for (const id of [taxSub, pullSub]) expect((await admin('POST', `${A}/subscriptions/${id}/approve`)).status).toBe(200);
  await newest();
});

afterAll(async () => {
  await taxSink?.close();
  await demoSink?.close();
  await t?.cleanup();
});

describe('replaying a push subscription', () => {
  const N = 8;
  const K = 3;
  const published: string[] = [];
  let between = '';

  it('is refused while ACTIVE, and moves nothing', async () => {
    for (let i = 0; i < N; i++) {
      published.push(await birth(`mother-${i % 2}`));
      if (i === K - 1) between = await mark();
      // Two alerts after the mark: counted (the room's lanes) but not delivered (another type).
      if (i === K) await alert();
      if (i === K + 1) await alert();
    }
    await receivedAfter(demoSink, 0, published);
    await receivedAfter(taxSink, 0, published);
    await pause(1500); // let the dispatcher commit past the deliveries
    const before = await committed(seeded.subscriptionId);
    const r = await admin('POST', `${A}/subscriptions/${seeded.subscriptionId}/replay`, { from: between });
    expect([r.status, r.body.code]).toEqual([409, 'subscription.not_paused']);
    expect(await committed(seeded.subscriptionId)).toEqual(before);
  });

  it('counts in a dry run without moving, then re-delivers exactly the events after the time, in per-key order', async () => {
    await transition(seeded.subscriptionId, 'pause');
    const before = await committed(seeded.subscriptionId);
    const dry = await admin('POST', `${A}/subscriptions/${seeded.subscriptionId}/replay`, { from: between, dryRun: true });
    expect(dry.status).toBe(200);
    // N−K births of the normal lane, and the two alerts of the urgent lane (all event types).
    expect(dry.body).toMatchObject({ subscriptionId: seeded.subscriptionId, dryRun: true, from: between, records: N - K + 2, skipped: 0 });
    const lanes = dry.body.partitions as { lane: string; records: number }[];
    expect(lanes.filter((p) => p.lane === 'normal').reduce((n, p) => n + p.records, 0)).toBe(N - K);
    expect(lanes.filter((p) => p.lane === 'urgent').reduce((n, p) => n + p.records, 0)).toBe(2);
    expect(await committed(seeded.subscriptionId)).toEqual(before);

    const moved = await replay(seeded.subscriptionId, between);
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ dryRun: false, records: N - K + 2 });
    expect(await committed(seeded.subscriptionId)).not.toEqual(before);
    const demoAt = demoSink.received.length;
    const taxAt = taxSink.received.length;
    await transition(seeded.subscriptionId, 'resume');
    const again = await receivedAfter(demoSink, demoAt, published.slice(K));
    expect([...again].sort()).toEqual([...published.slice(K)].sort());
    expect(byKey(again)).toEqual(byKey(published.slice(K)));
    // The other subscription of the room received nothing new.
    expect(taxSink.received.length).toBe(taxAt);
    const audited = await t.platform.controlPlane.service.deps.db.auditEntry.findMany({ where: { action: 'subscription.replay', target: seeded.subscriptionId }, orderBy: { id: 'asc' } });
    expect(audited.map((e) => [e.outcome, e.code, (e.detail as { dryRun?: boolean; records?: number } | null)?.dryRun])).toEqual([
      ['FAILURE', 'subscription.not_paused', undefined],
      ['SUCCESS', null, true],
      ...audited.slice(2, -1).map(() => ['FAILURE', 'subscription.consumers_active', undefined]),
      ['SUCCESS', null, false],
    ]);
    expect(audited.at(-1)?.detail).toMatchObject({ from: between, records: N - K + 2, skipped: 0 });
  });

  it('re-delivers every retained event from earliest', async () => {
    await transition(seeded.subscriptionId, 'pause');
    const dry = await admin('POST', `${A}/subscriptions/${seeded.subscriptionId}/replay`, { from: 'earliest', dryRun: true });
    expect(dry.body).toMatchObject({ records: N + 2, skipped: 0 });
    expect((await replay(seeded.subscriptionId, 'earliest')).status).toBe(200);
    const at = demoSink.received.length;
    const taxAt = taxSink.received.length;
    await transition(seeded.subscriptionId, 'resume');
    const again = await receivedAfter(demoSink, at, published);
    expect([...again].sort()).toEqual([...published].sort());
    expect(byKey(again)).toEqual(byKey(published));
    expect(taxSink.received.length).toBe(taxAt);
  });

  it('skips what was published during the pause with latest', async () => {
    await transition(seeded.subscriptionId, 'pause');
    const missed = [await birth('mother-0'), await birth('mother-1'), await birth('mother-0')];
    await receivedAfter(taxSink, 0, missed);
    const dry = await admin('POST', `${A}/subscriptions/${seeded.subscriptionId}/replay`, { from: 'latest', dryRun: true });
    expect(dry.body.records).toBe(0);
    const normal = (dry.body.partitions as { lane: string; skipped: number }[]).filter((p) => p.lane === 'normal');
    expect(normal.reduce((n, p) => n + p.skipped, 0)).toBe(3);
    expect((await replay(seeded.subscriptionId, 'latest')).status).toBe(200);
    const at = demoSink.received.length;
    await transition(seeded.subscriptionId, 'resume');
    const fresh = await birth('mother-1');
    expect(await receivedAfter(demoSink, at, [fresh])).toEqual([fresh]);
  });
});

describe('replaying a pull subscription', () => {
  interface Item {
    id: string;
    receipt: string;
  }
  const asPuller = (path: string, body: unknown) => call('POST', path, { key: pullKey, client: TAX_PULL, body });
  async function leaseAll(waitSeconds = 2): Promise<Item[]> {
    const r = await asPuller(`${ALERTS}/lease`, { max: 100, waitSeconds });
    expect(r.status).toBe(200);
    return r.body.items as Item[];
  }
  async function leaseUntil(n: number): Promise<Item[]> {
    const got: Item[] = [];
    for (const deadline = Date.now() + 30_000; got.length < n && Date.now() < deadline; ) got.push(...(await leaseAll()));
    return got;
  }

  it('hands out exactly the re-read events: nothing queued, leased or acked before the move', async () => {
    // The two alerts of the push tests reached this queue first.
    const earlier = await leaseUntil(2);
    expect((await asPuller(`${ALERTS}/ack`, { receipts: earlier.map((i) => i.receipt) })).status).toBe(200);
    const first = [await alert(), await alert(), await alert()];
    const between = await mark();
    const later = [await alert(), await alert()];
    await birth('mother-9'); // another type: counted, never queued
    // One partition: the leased first[2] holds the feeder's commit point, so the ack of later[0]
    // is a tombstone above it; without clearing the queue that tombstone would hide later[0]
    // when it is read again, and later[1] would stay leased until its old lease ran out.
    const items = await leaseUntil(5);
    expect(items.map((i) => i.id).sort()).toEqual([...first, ...later].sort());
    const ackIds = new Set([first[0], first[1], later[0]]);
    const acked = await asPuller(`${ALERTS}/ack`, { receipts: items.filter((i) => ackIds.has(i.id)).map((i) => i.receipt) });
    expect(acked.status).toBe(200);

    await transition(pullSub, 'pause');
    const dry = await admin('POST', `${A}/subscriptions/${pullSub}/replay`, { from: between, dryRun: true });
    // Every alert of the test file after the mark is in the urgent lane; the birth in the normal lane.
    const urgent = (dry.body.partitions as { lane: string; records: number }[]).filter((p) => p.lane === 'urgent').reduce((n, p) => n + p.records, 0);
    expect(urgent).toBe(later.length);
    expect(dry.body.records).toBe(later.length + 1);
    expect((await replay(pullSub, between)).status).toBe(200);
    await transition(pullSub, 'resume');

    const again = await leaseUntil(later.length);
    expect(again.map((i) => i.id).sort()).toEqual([...later].sort());
    expect((await asPuller(`${ALERTS}/ack`, { receipts: again.map((i) => i.receipt) })).status).toBe(200);
    // A receipt from before the move no longer holds anything.
    const old = items.find((i) => i.id === first[2]) as Item;
    expect(((await asPuller(`${ALERTS}/ack`, { receipts: [old.receipt] })).body.failed as { code: string }[]).map((f) => f.code)).toEqual(['pull.lease_not_held']);
    expect(await leaseAll(3)).toEqual([]);
  });
});

describe('bad input', () => {
  const path = () => `${A}/subscriptions/${seeded.subscriptionId}/replay`;

  it('answers 400 with the pointer of each bad field', async () => {
    await transition(seeded.subscriptionId, 'pause');
    const future = new Date(Date.now() + 3_600_000).toISOString();
    for (const body of [{ from: 'yesterday' }, { from: future }, { from: '2026-13-01T00:00:00Z' }, {}, { from: 12 }]) {
      const r = await admin('POST', path(), body);
      expect([r.status, r.body.code, pointers(r)[0]], JSON.stringify(body)).toEqual([400, 'request.validation_failed', '/from']);
    }
    const extra = await admin('POST', path(), { from: 'earliest', to: 'latest', dryRun: 'yes' });
    expect([extra.status, pointers(extra)]).toEqual([400, ['/dryRun', '/to']]);
    await transition(seeded.subscriptionId, 'resume');
  });

  it('looks missing to another member’s admin and to an unknown id', async () => {
    const other = await memberAdminKey(t.platform, 'DEV', 'GOV', 'TAX');
    const r = await call('POST', path(), { key: other, body: { from: 'earliest', dryRun: true } });
    expect([r.status, r.body.code]).toEqual([404, 'subscription.not_found']);
    const missing = await admin('POST', `${A}/subscriptions/sub_missing/replay`, { from: 'earliest' });
    expect([missing.status, missing.body.code]).toEqual([404, 'subscription.not_found']);
  });
});
