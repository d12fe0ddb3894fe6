/**
 * "Did event X reach all seven subscribers?" in one call: the publisher's event status route
 * answers the delivery state of every subscription to the event's type, as the dispatcher
 * recorded it — here six endpoints that accept, one that refuses, and a pull subscriber that
 * leases the event and acknowledges it.
 */
import { deliveryStatusStore } from '@roomcast/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { caller } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

let t: TestPlatform;
let seeded: SeededDemo;
let call: ReturnType<typeof caller>;
const sinks: Subscriber[] = [];
const subs: string[] = [];
let refusing = '';
let puller = { key: '', client: 'DEV/GOV/STAT/p1', id: '' };

beforeAll(async () => {
  t = await startTestPlatform('dstatus');
  call = caller(t.platform.url);
  const demo = await startSubscriber();
  sinks.push(demo);
  seeded = await seedDemo(t.platform.url, t.adminKey, demo.url);
  subs.push(seeded.subscriptionId);
  const m = await call('POST', '/api/admin/v1/members', { key: t.adminKey, body: { instance: 'DEV', memberClass: 'GOV', memberCode: 'STAT', name: 'Status' } });
  for (let i = 1; i <= 6; i++) {
    const sink = await startSubscriber(`/s${i}`);
    sinks.push(sink);
    if (i === 6) sink.respondWith(400);
    const app = await call('POST', `/api/admin/v1/members/${String(m.body.id)}/applications`, { key: t.adminKey, body: { code: `s${i}` } });
    const sub = await call('POST', `${DEMO.roomPath}/api/v1/subs/${DEMO.eventType}`, {
      key: String(app.body.apiKey),
      client: `DEV/GOV/STAT/s${i}`,
      body: { eventType: DEMO.eventType, delivery: 'PUSH', options: { pushUrl: sink.url } },
    });
    expect(sub.status).toBe(200);
    expect((await call('POST', `/api/admin/v1/subscriptions/${String(sub.body.id)}/approve`, { key: t.adminKey })).status).toBe(200);
    subs.push(String(sub.body.id));
    if (i === 6) refusing = String(sub.body.id);
  }
  // One PULL subscriber: handed out is SENT, acknowledged is DELIVERED.
  const app = await call('POST', `/api/admin/v1/members/${String(m.body.id)}/applications`, { key: t.adminKey, body: { code: 'p1' } });
  puller = { ...puller, key: String(app.body.apiKey) };
  const pullSub = await call('POST', `${DEMO.roomPath}/api/v1/subs/${DEMO.eventType}`, { key: puller.key, client: puller.client, body: { eventType: DEMO.eventType, delivery: 'PULL' } });
  expect(pullSub.status).toBe(200);
  puller.id = String(pullSub.body.id);
  subs.push(puller.id);
  const approved = await call('POST', `/api/admin/v1/subscriptions/${puller.id}/approve`, { key: t.adminKey });
  await t.platform.routing.waitFor(Number(approved.body.generation));
});

afterAll(async () => {
  for (const s of sinks) await s.close();
  await t?.cleanup();
});

describe('delivery status', () => {
  it('answers every subscriber state of an event in one call', async () => {
    const res = await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId: 'status-1' });
    expect(res.status).toBe(201);
    const path = `${DEMO.roomPath}/pub/v1/${DEMO.eventType}/${String(res.body.id)}`;
    interface Item {
      subscriptionId: string;
      state: string;
      attempts: number;
    }
    interface Status {
      id: string;
      deliveries: { subscribers: number; pending: number; items: Item[] };
    }
    const status = async () => (await call('GET', path, { key: seeded.publisherKey, client: DEMO.publisherClient })).body as unknown as Status;

    const first = await status();
    expect(first.deliveries.subscribers).toBe(8);
    const stateOf = (b: Status, id: string) => b.deliveries.items.find((i) => i.subscriptionId === id);
    expect(stateOf(first, puller.id)).toMatchObject({ state: 'QUEUED', attempts: 0 });
    const pullPath = `${DEMO.roomPath}/pull/v1/${DEMO.eventType}`;
    const leased = await call('POST', `${pullPath}/lease`, { key: puller.key, client: puller.client, body: { max: 10, waitSeconds: 10 } });
    expect(leased.status).toBe(200);
    const items = leased.body.items as { id: string; receipt: string }[];
    expect(items.map((i) => i.id)).toEqual([res.body.id]);
    for (let i = 0; stateOf(await status(), puller.id)?.state !== 'SENT'; i++) {
      if (i > 50) throw new Error('the hand-out was not recorded as SENT');
      await new Promise((r) => setTimeout(r, 100));
    }
    const acked = await call('POST', `${pullPath}/ack`, { key: puller.key, client: puller.client, body: { receipts: items.map((i) => i.receipt) } });
    expect(acked.status).toBe(200);
    let body = first;
    for (let i = 0; body.deliveries.pending > 0; i++) {
      if (i > 150) throw new Error(`still pending: ${JSON.stringify(body.deliveries)}`);
      await new Promise((r) => setTimeout(r, 100));
      body = await status();
    }
    expect(body.id).toBe(res.body.id);
    expect(body.deliveries).toMatchObject({ subscribers: 8, delivered: 7, failed: 1, cancelled: 0, pending: 0 });
    expect(stateOf(body, puller.id)).toMatchObject({ subscriberId: puller.client, mode: 'PULL', state: 'DELIVERED', attempts: 1 });
    expect(body.deliveries.items.map((i) => i.subscriptionId).sort()).toEqual([...subs].sort());
    const failed = body.deliveries.items.find((i) => i.subscriptionId === refusing);
    expect(failed).toMatchObject({ subscriberId: 'DEV/GOV/STAT/s6', mode: 'PUSH', state: 'FAILED', attempts: 1, lastStatus: 400 });
    expect(body.deliveries.items.filter((i) => i.state === 'DELIVERED' && i.attempts === 1)).toHaveLength(7);
  });

  it('keeps Redis state only while a delivery is not final, with the highest attempt count', async () => {
    const store = deliveryStatusStore(t.platform.runtime.redis, t.platform.runtime.keys);
    const at = new Date().toISOString();
    const key = t.platform.runtime.keys.deliveryStatus('room_x', 'ev_1');
    await store.record('room_x', 'ev_1', 'sub_a', { state: 'ERRORED', attempts: 2, lastStatus: 503, lastError: 'HTTP 503', updatedAt: at });
    expect(await t.platform.runtime.redis.pttl(key)).toBeGreaterThan(7 * 24 * 3600 * 1000);
    await store.record('room_x', 'ev_1', 'sub_a', { state: 'DELIVERED', attempts: 3, lastStatus: 204, lastError: null, updatedAt: at });
    // Final: nothing of the event is left in Redis (the message log has the attempt).
    expect(await t.platform.runtime.redis.exists(key)).toBe(0);
    await store.record('room_x', 'ev_1', 'sub_b', { state: 'ERRORED', attempts: 4, lastStatus: null, lastError: 'ECONNREFUSED', updatedAt: at });
    // A redelivery after a crash starts counting at 1 again and passes through SENT.
    await store.record('room_x', 'ev_1', 'sub_b', { state: 'SENT', attempts: 1, lastStatus: null, lastError: null, updatedAt: at });
    const got = await store.read('room_x', 'ev_1');
    expect([...got.keys()]).toEqual(['sub_b']);
    expect(got.get('sub_b')).toMatchObject({ state: 'SENT', attempts: 4 });
    await store.record('room_x', 'ev_1', 'sub_b', { state: 'FAILED', attempts: 5, lastStatus: null, lastError: 'ECONNREFUSED', updatedAt: at });
    expect(await t.platform.runtime.redis.exists(key)).toBe(0);
  });
});
