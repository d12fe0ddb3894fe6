/**
 * GovStack event status and cancel, every layer real: the publisher reads its event's
 * EventItem; any other application gets the 404 of a missing event; a cancelled event that was
 * published while its subscription was paused is never attempted after the resume, while the
 * next event on the same key (same partition, after it) is delivered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { caller } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

let t: TestPlatform;
let sub: Subscriber;
let seeded: SeededDemo;
let call: ReturnType<typeof caller>;

beforeAll(async () => {
  t = await startTestPlatform('evstatus');
  call = caller(t.platform.url);
  sub = await startSubscriber();
  seeded = await seedDemo(t.platform.url, t.adminKey, sub.url);
  sub.setSecret(seeded.signingSecret);
  await t.platform.routing.waitFor(seeded.generation);
});

afterAll(async () => {
  await sub?.close();
  await t?.cleanup();
});

const eventPath = (id: string, type: string = DEMO.eventType) => `${DEMO.roomPath}/pub/v1/${type}/${id}`;
const asPublisher = { get key() { return seeded.publisherKey; }, client: DEMO.publisherClient };
const asSubscriber = { get key() { return seeded.subscriberKey; }, client: DEMO.subscriberClient };
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function birth(motherId: string): Promise<string> {
  const res = await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId });
  expect(res.status).toBe(201);
  return String(res.body.id);
}

async function newest(): Promise<void> {
  const latest = await t.platform.controlPlane.service.deps.db.routingGeneration.findFirstOrThrow({ orderBy: { id: 'desc' } });
  await t.platform.routing.waitFor(latest.id);
}

async function groupLeft(subscriptionId: string): Promise<void> {
  const admin = t.platform.runtime.kafka.admin();
  await admin.connect();
  try {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await pause(100)) {
      const [group] = (await admin.describeGroups([t.platform.runtime.names.subscriptionGroup(subscriptionId)])).groups;
      if (group?.state === 'Empty') return;
    }
    throw new Error('the dispatcher did not leave the consumer group');
  } finally {
    await admin.disconnect();
  }
}

describe('event status', () => {
  it('gives the publisher its EventItem and everyone else the 404 of a missing event', async () => {
    const res = await publish(t.platform.url, seeded.publisherKey, DEMO.sampleEvent);
    const { id, partition, sequence } = res.body as { id: string; partition: number; sequence: number };
    const mine = await call('GET', eventPath(id), { key: asPublisher.key, client: asPublisher.client });
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ id, sequence, partition, eventType: DEMO.eventType, event: DEMO.sampleEvent, status: 'PUBLISHED' });
    expect(mine.body.publisherId).toEqual({ instanceId: 'DEV', memberClass: 'GOV', memberCode: 'MOH', applicationCode: 'clinic-a' });

    const missing = await call('GET', eventPath('0193a5f1-2b3c-7d4e-8f60-123456789abc'), { key: asPublisher.key, client: asPublisher.client });
    const foreign = await call('GET', eventPath(id), { key: asSubscriber.key, client: asSubscriber.client });
    const wrongType = await call('GET', eventPath(id, 'death'), { key: asPublisher.key, client: asPublisher.client });
    for (const a of [missing, foreign, wrongType]) {
      expect(a.status).toBe(404);
      expect(a.body.code).toBe('event.not_found');
      expect(a.body.detail).toBe(missing.body.detail);
    }
    expect((await call('DELETE', eventPath(id), { key: asSubscriber.key, client: asSubscriber.client })).status).toBe(404);
    expect((await call('GET', eventPath(id))).status).toBe(401);
  });
});

describe('event cancel', () => {
  it('stops delivery of an event published while the subscription was paused', async () => {
    expect((await call('POST', `/api/admin/v1/subscriptions/${seeded.subscriptionId}/pause`, { key: t.adminKey, body: { reason: 'test' } })).status).toBe(200);
    await newest();
    await groupLeft(seeded.subscriptionId);

    const cancelled = await birth('mother-cancel');
    const del = await call('DELETE', eventPath(cancelled), { key: asPublisher.key, client: asPublisher.client });
    expect(del.status).toBe(204);
    // Cancelling again is harmless; the status shows the cancellation.
    expect((await call('DELETE', eventPath(cancelled), { key: asPublisher.key, client: asPublisher.client })).status).toBe(204);
    expect((await call('GET', eventPath(cancelled), { key: asPublisher.key, client: asPublisher.client })).body.status).toBe('CANCELLED');
    // Same key, so the same partition and after the cancelled one.
    const next = await birth('mother-cancel');

    expect((await call('POST', `/api/admin/v1/subscriptions/${seeded.subscriptionId}/resume`, { key: t.adminKey })).status).toBe(200);
    await sub.waitFor((r) => r.some((x) => x.headers['webhook-id'] === next), 45_000);
    const ids = sub.received.map((r) => String(r.headers['webhook-id']));
    expect(ids).toContain(next);
    expect(ids).not.toContain(cancelled);
  });
});
