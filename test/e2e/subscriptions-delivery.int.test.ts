/**
 * What subscriptions mean for delivery, every layer real: a subscription starts with the events
 * published after its approval (by the owner, by the room's auto-approve, or by a subscriber
 * grant); pausing and switching PUSH↔PULL keep its place; a rotated secret signs beside the new
 * one until its overlap ends, then drops out without a new routing generation.
 */
import { sealSigningSecrets } from '@roomcast/control-plane';
import { verifySignature } from '@roomcast/dispatcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { type Received, startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { caller } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

const SUBS = `${DEMO.roomPath}/api/v1/subs`;
const TAX = 'DEV/GOV/TAX/tax-office';

let t: TestPlatform;
let seeded: SeededDemo;
let call: ReturnType<typeof caller>;
let demoSink: Subscriber;
let sink: Subscriber;
let tax: string;
let taxBirth: string;
let taxSecret: string;

beforeAll(async () => {
  t = await startTestPlatform('subsdel');
  call = caller(t.platform.url);
  demoSink = await startSubscriber();
  sink = await startSubscriber('/tax');
  seeded = await seedDemo(t.platform.url, t.adminKey, demoSink.url);
  const member = await call('POST', '/api/admin/v1/members', { key: t.adminKey, body: { instance: 'DEV', memberClass: 'GOV', memberCode: 'TAX', name: 'Tax Office' } });
  tax = String((await call('POST', `/api/admin/v1/members/${String(member.body.id)}/applications`, { key: t.adminKey, body: { code: 'tax-office' } })).body.apiKey);
  const death = { eventType: 'death', keyAttribute: '/personId', schema: { type: 'object', properties: { personId: { type: 'string' } }, required: ['personId'] } };
  expect((await call('POST', `${DEMO.roomPath}/api/v1/eventType`, { key: t.adminKey, client: DEMO.publisherClient, body: death })).status).toBe(200);
  expect((await call('POST', `/api/admin/v1/rooms/${seeded.roomId}/publishers`, { key: t.adminKey, body: { clientId: DEMO.publisherClient, eventTypes: ['death'] } })).status).toBe(200);
});

afterAll(async () => {
  await sink?.close();
  await demoSink?.close();
  await t?.cleanup();
});

async function newest(): Promise<number> {
  const latest = await t.platform.controlPlane.service.deps.db.routingGeneration.findFirstOrThrow({ orderBy: { id: 'desc' } });
  await t.platform.routing.waitFor(latest.id);
  return latest.id;
}

const birth = async (motherId: string) => {
  const res = await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId });
  expect(res.status).toBe(201);
  return String(res.body.id);
};
const death = async (personId: string) => {
  const res = await publish(t.platform.url, seeded.publisherKey, { personId }, { eventType: 'death' });
  expect(res.status).toBe(201);
  return String(res.body.id);
};
const idsAt = (s: Subscriber) => s.received.map((r) => String(r.headers['webhook-id']));
const delivered = (s: Subscriber, id: string) => s.waitFor((r) => r.some((x) => x.headers['webhook-id'] === id), 45_000);
const find = (s: Subscriber, id: string) => s.received.find((r) => r.headers['webhook-id'] === id) as Received;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the group is stable with one member (other than `not`) and returns its id. */
async function soleMember(subscriptionId: string, not?: string): Promise<string> {
  const admin = t.platform.runtime.kafka.admin();
  await admin.connect();
  try {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await pause(100)) {
      const [group] = (await admin.describeGroups([t.platform.runtime.names.subscriptionGroup(subscriptionId)])).groups;
      const [member, ...more] = group?.members ?? [];
      if (group?.state === 'Stable' && member && more.length === 0 && member.memberId !== not) return member.memberId;
    }
    throw new Error('the consumer group did not settle on one new member');
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the dispatcher has left the subscription's consumer group. */
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

describe('where a subscription starts', () => {
  it('delivers only the events published after the owner’s approval', async () => {
    const created = await call('POST', `${SUBS}/newBirth`, { key: tax, client: TAX, body: { eventType: 'newBirth', options: { pushUrl: sink.url, FIFO: true } } });
    expect(created.body.status).toBe('PENDING');
    taxBirth = String(created.body.id);
    taxSecret = String(created.body.signingSecret);
    sink.setSecret(taxSecret);
    // Same key: both land on one partition, so an early start would deliver `before` first.
    const before = await birth('mother-start');
    const approved = await call('POST', `/api/admin/v1/subscriptions/${taxBirth}/approve`, { key: t.adminKey });
    expect(approved.status).toBe(200);
    const after = await birth('mother-start');
    await delivered(sink, after);
    expect(idsAt(sink)).toEqual([after]);
    expect(find(sink, after).verified).toBe(true);
    // The demo subscription, approved long before, received both.
    await demoSink.waitFor((r) => [before, after].every((id) => r.some((x) => x.headers['webhook-id'] === id)));
    expect(idsAt(sink)).not.toContain(before);
  });

  it('starts at once, at the same place, when the room auto-approves', async () => {
    const db = t.platform.controlPlane.service.deps.db;
    await db.room.update({ where: { id: seeded.roomId }, data: { autoApprove: true } });
    try {
      const before = await death('person-auto');
      const created = await call('POST', `${SUBS}/death`, { key: tax, client: TAX, body: { eventType: 'death', options: { pushUrl: sink.url } } });
      expect(created.body).toMatchObject({ status: 'ACTIVE', approvedAt: expect.any(String) });
      await newest();
      const after = await death('person-auto');
      await delivered(sink, after);
      expect(idsAt(sink)).not.toContain(before);
      expect((await call('DELETE', `${SUBS}/death`, { key: tax, client: TAX })).status).toBe(204);
    } finally {
      await db.room.update({ where: { id: seeded.roomId }, data: { autoApprove: false } });
    }
  });

  it('starts at once when the owner granted the client the event type, and waits for approval otherwise', async () => {
    const db = t.platform.controlPlane.service.deps.db;
    const app = await db.application.findUniqueOrThrow({ where: { clientId: DEMO.subscriberClient } });
    const type = await db.eventType.findFirstOrThrow({ where: { roomId: seeded.roomId, name: 'death' } });
    const pending = await call('POST', `${SUBS}/death`, { key: tax, client: TAX, body: { eventType: 'death', delivery: 'PULL' } });
    expect(pending.body.status).toBe('PENDING');
    await db.subscriberGrant.create({ data: { id: 'grant_test_1', roomId: seeded.roomId, applicationId: app.id, eventTypeId: type.id } });
    const granted = await call('POST', `${SUBS}/death`, { key: seeded.subscriberKey, client: DEMO.subscriberClient, body: { eventType: 'death', delivery: 'PULL' } });
    expect(granted.body.status).toBe('ACTIVE');
    await newest();
    const pulls = t.platform.routing.current().subscriptions('PULL').map((s) => s.id);
    expect(pulls).toContain(granted.body.id);
    expect(pulls).not.toContain(pending.body.id);
  });
});

describe('keeping the place', () => {
  it('delivers what was published during a pause once resumed', async () => {
    const paused = await call('POST', `/api/admin/v1/subscriptions/${taxBirth}/pause`, { key: t.adminKey, body: { reason: 'maintenance' } });
    expect(paused.status).toBe(200);
    await newest();
    await groupLeft(taxBirth);
    const during = await birth('mother-pause');
    await pause(1500);
    expect(idsAt(sink)).not.toContain(during);
    expect((await call('POST', `/api/admin/v1/subscriptions/${taxBirth}/resume`, { key: t.adminKey })).status).toBe(200);
    await delivered(sink, during);
  });

  it('switches PUSH→PULL→PUSH on the same consumer group: what was published meanwhile arrives after switching back', async () => {
    const group = t.platform.routing.current().contract.subscriptions.find((s) => s.id === taxBirth)?.group;
    const pusher = await soleMember(taxBirth);
    expect((await call('PATCH', `${SUBS}/newBirth`, { key: tax, client: TAX, body: { delivery: 'PULL' } })).status).toBe(201);
    await newest();
    expect(t.platform.routing.current().contract.subscriptions.find((s) => s.id === taxBirth)).toMatchObject({ mode: 'PULL', group });
    // The dispatcher leaves the group and the pull feeder takes its place (never acked here).
    await soleMember(taxBirth, pusher);
    const meanwhile = await birth('mother-switch');
    await pause(1500);
    expect(idsAt(sink)).not.toContain(meanwhile);
    expect((await call('PATCH', `${SUBS}/newBirth`, { key: tax, client: TAX, body: { delivery: 'PUSH' } })).status).toBe(201);
    await delivered(sink, meanwhile);
    expect(idsAt(sink).filter((id) => id === meanwhile)).toHaveLength(1);
  });
});

describe('secret rotation', () => {
  it('signs with both secrets during the overlap and with the new one only after it, without a new generation', async () => {
    const rotated = await call('POST', `${SUBS}/newBirth/secret`, { key: tax, client: TAX, body: { overlapSeconds: 15 } });
    expect(rotated.status).toBe(200);
    const fresh = String(rotated.body.signingSecret);
    const overlapEnds = Date.parse(String(rotated.body.previousSecretExpiresAt));
    await newest();
    // Both are carried sealed under the master key, never in clear: in the contract (Redis) and in PostgreSQL.
    const carried = t.platform.routing.current().contract.subscriptions.find((s) => s.id === taxBirth)?.signingSecrets ?? [];
    expect(carried.map((c) => c.notAfter)).toEqual([null, rotated.body.previousSecretExpiresAt]);
    const box = t.platform.controlPlane.service.secrets;
    expect(carried.map((c) => box.open(taxBirth, c.secret))).toEqual([fresh, taxSecret]);
    const raw = `${await t.platform.runtime.redis.get(t.platform.runtime.keys.routingContract)}${JSON.stringify(await t.platform.controlPlane.service.deps.db.subscription.findUnique({ where: { id: taxBirth } }))}`;
    for (const secret of [fresh, taxSecret]) expect(raw).not.toContain(secret.replace(/^whsec_/, ''));
    for (const c of carried) expect(c.secret).toMatch(/^enc1:/);

    const during = await birth('mother-rotate');
    await delivered(sink, during);
    const d = find(sink, during);
    const sig = String(d.headers['webhook-signature']);
    const ts = Number(d.headers['webhook-timestamp']);
    expect(ts * 1000).toBeLessThan(overlapEnds);
    expect(sig.split(' ')).toHaveLength(2);
    expect(verifySignature(taxSecret, during, ts, d.body, sig)).toBe(true);
    expect(verifySignature(fresh, during, ts, d.body, sig)).toBe(true);

    const generation = t.platform.routing.current().contract.generation;
    await pause(Math.max(0, overlapEnds - Date.now() + 500));
    const later = await birth('mother-rotate');
    await delivered(sink, later);
    const l = find(sink, later);
    const single = String(l.headers['webhook-signature']);
    expect(single.split(' ')).toHaveLength(1);
    expect(verifySignature(fresh, later, Number(l.headers['webhook-timestamp']), l.body, single)).toBe(true);
    expect(verifySignature(taxSecret, later, Number(l.headers['webhook-timestamp']), l.body, single)).toBe(false);
    expect(t.platform.routing.current().contract.generation).toBe(generation);
  });

  it('seals a secret stored in clear before sealing existed, at start, and deliveries still verify', async () => {
    const service = t.platform.controlPlane.service;
    const plain = `whsec_${Buffer.from('a legacy secret of 32 bytes long!').toString('base64')}`;
    await service.deps.db.subscription.update({ where: { id: taxBirth }, data: { signingSecret: plain, previousSigningSecret: null, previousSecretExpiresAt: null } });
    await sealSigningSecrets(service);
    const row = await service.deps.db.subscription.findUniqueOrThrow({ where: { id: taxBirth } });
    expect(row.signingSecret).toMatch(/^enc1:mk1:/);
    expect(service.secrets.open(taxBirth, row.signingSecret)).toBe(plain);
    sink.setSecret(plain);
    await service.deps.routing.republish('test: legacy secret sealed');
    await newest();
    const id = await birth('mother-legacy');
    await delivered(sink, id);
    const d = find(sink, id);
    expect(verifySignature(plain, id, Number(d.headers['webhook-timestamp']), d.body, String(d.headers['webhook-signature']))).toBe(true);
  });
});
