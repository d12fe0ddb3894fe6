/**
 * Pull queues, every layer real (Kafka, Redis, the feeder, the routes): switching PUSH↔PULL keeps
 * the place; GovStack pull and confirm per the specification; the lease route's batch, long-poll,
 * ack/nack/extend and their refusals; lease expiry hands an event out again; FIFO heads; the
 * delivery limit dead-letters; the queue metrics.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { type Answer, caller } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

const PULL = `${DEMO.roomPath}/pull/v1/${DEMO.eventType}`;
const SUB = `${DEMO.roomPath}/api/v1/subs/${DEMO.eventType}`;
const LEASE_SECONDS = 3;

let t: TestPlatform;
let seeded: SeededDemo;
let sink: Subscriber;
let call: ReturnType<typeof caller>;

interface Item {
  id: string;
  receipt: string;
  deliveryCount: number;
  key: string;
  event: Record<string, unknown>;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const asSubscriber = (method: string, path: string, body?: unknown) => call(method, path, { key: seeded.subscriberKey, client: DEMO.subscriberClient, body });
const lease = async (body: Record<string, unknown> = {}): Promise<Item[]> => {
  const r = await asSubscriber('POST', `${PULL}/lease`, body);
  expect(r.status).toBe(200);
  return r.body.items as Item[];
};
const settle = (op: 'ack' | 'nack' | 'extend', receipts: string[], extra: Record<string, unknown> = {}) => asSubscriber('POST', `${PULL}/${op}`, { receipts, ...extra });

interface LoggedDelivery {
  outcome: string;
  state: string;
  attempt: number;
  mode: string;
  subscriptionId: string;
  errorClass: string | null;
  publishedAt: string | null;
  time: string;
}
/** An event's delivery rows in the message log (as the central admin sees them), once one has `outcome`. */
async function loggedUntil(id: string, outcome: string): Promise<LoggedDelivery[]> {
  let rows: LoggedDelivery[] = [];
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await pause(200)) {
    const h = await fetch(`${t.platform.url}/api/v1/log/events/${id}`, { headers: { authorization: `Bearer ${t.adminKey}` } });
    rows = h.status === 200 ? ((await h.json()) as { deliveries: LoggedDelivery[] }).deliveries : [];
    if (rows.some((r) => r.outcome === outcome)) return rows;
  }
  throw new Error(`no ${outcome} row for ${id} in the message log: ${JSON.stringify(rows)}`);
}

async function birth(motherId: string): Promise<string> {
  const res = await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId });
  expect(res.status).toBe(201);
  return String(res.body.id);
}

/** Leases (long-poll) until every wanted id was handed out; returns what was handed out. */
async function leaseUntil(wanted: string[], body: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<Item[]> {
  const got: Item[] = [];
  for (const deadline = Date.now() + timeoutMs; !wanted.every((id) => got.some((i) => i.id === id)); ) {
    if (Date.now() > deadline) throw new Error(`not handed out within ${timeoutMs} ms: ${wanted.filter((id) => !got.some((i) => i.id === id)).join(', ')}`);
    got.push(...(await lease({ max: 100, waitSeconds: 2, ...body })));
  }
  return got;
}

async function switchTo(delivery: 'PUSH' | 'PULL'): Promise<void> {
  const r = await asSubscriber('PATCH', SUB, { delivery });
  expect(r.status).toBe(201);
  const latest = await t.platform.controlPlane.service.deps.db.routingGeneration.findFirstOrThrow({ orderBy: { id: 'desc' } });
  await t.platform.routing.waitFor(latest.id);
}

const code = (a: Answer) => a.body.code;

beforeAll(async () => {
  t = await startTestPlatform('pull', { ROOMCAST_PULL_LEASE_SECONDS: String(LEASE_SECONDS) });
  call = caller(t.platform.url);
  sink = await startSubscriber();
  seeded = await seedDemo(t.platform.url, t.adminKey, sink.url);
  sink.setSecret(seeded.signingSecret);
  await t.platform.routing.waitFor(seeded.generation);
});

afterAll(async () => {
  await sink?.close();
  await t?.cleanup();
});

describe('switching PUSH↔PULL', () => {
  it('keeps the place both ways: pull gets what was published after the switch, push gets back what pull did not ack', async () => {
    const pushed = await birth('mother-push-1');
    await sink.waitFor((r) => r.some((x) => x.headers['webhook-id'] === pushed));
    await switchTo('PULL');
    const [acked, open] = [await birth('mother-pull-2'), await birth('mother-pull-3')];
    const got = await leaseUntil([acked, open]);
    expect(got.map((i) => i.id)).not.toContain(pushed);
    const ack = await settle('ack', got.filter((i) => i.id === acked).map((i) => i.receipt));
    expect(ack.body).toMatchObject({ acked: 1, failed: [] });
    await switchTo('PUSH');
    await sink.waitFor((r) => r.some((x) => x.headers['webhook-id'] === open), 30_000);
    await pause(1000);
    expect(sink.received.filter((x) => x.headers['webhook-id'] === acked)).toHaveLength(0);
    await switchTo('PULL');
  }, 90_000);
});

describe('GovStack pull and confirm', () => {
  it('hands out the next event (200 EventItem), 404 when none, confirms with 204, then 404 for it', async () => {
    const id = await birth('mother-gov-1');
    let got: Answer | undefined;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await pause(200)) {
      got = await asSubscriber('GET', PULL);
      if (got.status === 200) break;
      expect(code(got)).toBe('pull.no_event');
    }
    expect(got?.status).toBe(200);
    expect(got?.body).toMatchObject({ id, eventType: DEMO.eventType, event: { ...DEMO.sampleEvent, motherId: 'mother-gov-1' }, deliveryCount: 1 });
    expect(got?.body.publisherId).toEqual({ instanceId: 'DEV', memberClass: 'GOV', memberCode: 'MOH', applicationCode: 'clinic-a' });
    expect(typeof got?.body.sequence).toBe('number');
    // Leased: nobody gets it again meanwhile.
    const none = await asSubscriber('GET', PULL);
    expect([none.status, code(none)]).toEqual([404, 'pull.no_event']);
    expect((await asSubscriber('DELETE', `${PULL}/${id}`)).status).toBe(204);
    expect(code(await asSubscriber('DELETE', `${PULL}/${id}`))).toBe('event.not_found');
    expect((await asSubscriber('DELETE', `${PULL}/${randomUUID()}`)).status).toBe(404);
  });

  it('answers 409 to a confirm after the lease expired, and hands the event out again', async () => {
    const id = await birth('mother-gov-2');
    const [first] = await leaseUntil([id], { leaseSeconds: 1 });
    expect(first?.deliveryCount).toBe(1);
    await pause(1200);
    const late = await asSubscriber('DELETE', `${PULL}/${id}`);
    expect([late.status, code(late)]).toEqual([409, 'pull.lease_expired']);
    const again = await asSubscriber('GET', PULL);
    expect(again.body).toMatchObject({ id, deliveryCount: 2 });
    expect((await asSubscriber('DELETE', `${PULL}/${id}`)).status).toBe(204);
  });

  it('refuses admins (403), a client without a subscription (404) and a push subscription (409)', async () => {
    const admin = await call('GET', PULL, { key: t.adminKey, client: DEMO.subscriberClient });
    expect([admin.status, code(admin)]).toEqual([403, 'auth.forbidden']);
    const other = await call('GET', PULL, { key: seeded.publisherKey, client: DEMO.publisherClient });
    expect([other.status, code(other)]).toEqual([404, 'subscription.not_found']);
    const mismatch = await call('GET', PULL, { key: seeded.publisherKey, client: DEMO.subscriberClient });
    expect(mismatch.status).toBe(403);
  });
});

describe('the lease route', () => {
  it('acks, nacks, extends, and refuses expired and foreign receipts with their own codes', async () => {
    const ids = [await birth('m-l1'), await birth('m-l2'), await birth('m-l3'), await birth('m-l4')];
    const got = await leaseUntil(ids, { leaseSeconds: 2 });
    const by = (id: string) => got.find((i) => i.id === id) as Item;
    const [a, b, c, d] = ids.map(by) as [Item, Item, Item, Item];
    expect(a.receipt).toMatch(/\./);
    expect((await settle('ack', [a.receipt])).body).toEqual({ acked: 1, failed: [] });
    expect((await settle('nack', [b.receipt])).body).toEqual({ nacked: 1, failed: [] });
    const ext = await settle('extend', [c.receipt], { leaseSeconds: 60 });
    expect((ext.body.extended as unknown[]).length).toBe(1);
    // b is available again at once; d's lease runs out and it comes back; c stays out.
    await pause(2200);
    const again = await leaseUntil([b.id, d.id]);
    expect(again.map((i) => i.id)).not.toContain(c.id);
    expect(again.find((i) => i.id === d.id)?.deliveryCount).toBe(2);
    const refused = await settle('ack', [d.receipt, a.receipt, 'not-a-receipt']);
    expect(refused.body.acked).toBe(0);
    expect((refused.body.failed as { index: number; code: string }[]).map((f) => [f.index, f.code])).toEqual([
      [0, 'pull.lease_expired'],
      [1, 'pull.lease_not_held'],
      [2, 'pull.lease_not_held'],
    ]);
    const all = await settle('ack', [...again.map((i) => i.receipt), c.receipt]);
    expect(all.body).toMatchObject({ acked: again.length + 1, failed: [] });
    // The message log has every transition: the lapsed lease, the nack, the acks.
    const dRows = await loggedUntil(d.id, 'acked');
    expect(dRows.map((r) => [r.outcome, r.state, r.attempt])).toEqual([
      ['leased', 'SENT', 1],
      ['lease-expired', 'QUEUED', 1],
      ['leased', 'SENT', 2],
      ['acked', 'DELIVERED', 2],
    ]);
    expect(dRows[1]?.errorClass).toBe('lease_expired');
    expect((await loggedUntil(b.id, 'acked')).map((r) => r.outcome)).toEqual(['leased', 'nacked', 'leased', 'acked']);
    const acked = (await loggedUntil(a.id, 'acked')).at(-1);
    expect(Date.parse(acked?.time ?? '') - Date.parse(acked?.publishedAt ?? '')).toBeGreaterThanOrEqual(0); // reports' publish → delivered
  });

  it('long-polls: an empty wait lasts its time; a publish wakes the waiting puller', async () => {
    const started = Date.now();
    expect(await lease({ waitSeconds: 1 })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    const waiting = lease({ waitSeconds: 20 });
    await pause(500);
    const id = await birth('m-wake');
    const woken = Date.now();
    const items = await waiting;
    expect(items.map((i) => i.id)).toEqual([id]);
    expect(Date.now() - woken).toBeLessThan(10_000);
    await settle('ack', items.map((i) => i.receipt));
  });

  it('FIFO: hands out only the head of each key until it is acked', async () => {
    const [k1a, k1b, k2a] = [await birth('m-fifo-1'), await birth('m-fifo-1'), await birth('m-fifo-2')];
    const heads = await leaseUntil([k1a, k2a]);
    expect(heads.map((i) => i.id)).not.toContain(k1b);
    expect((await lease({ waitSeconds: 1 })).map((i) => i.id)).not.toContain(k1b);
    await settle('ack', heads.filter((i) => i.id === k1a).map((i) => i.receipt));
    const next = await leaseUntil([k1b]);
    await settle('ack', [...next, ...heads.filter((i) => i.id === k2a)].map((i) => i.receipt));
  });

  it('validates its body: max ≤ 100, waitSeconds ≤ 20, known fields only', async () => {
    const r = await asSubscriber('POST', `${PULL}/lease`, { max: 101, waitSeconds: 21, extra: 1 });
    expect(r.status).toBe(400);
    expect((r.body.errors ?? []).map((e) => e.pointer).sort()).toEqual(['/extra', '/max', '/waitSeconds']);
  });
});

describe('limits and metrics', () => {
  it('dead-letters an event handed out maxAttempts times, and reports the queue in /metrics', async () => {
    expect((await asSubscriber('PATCH', SUB, { options: { retry: { maxAttempts: 2 } } })).status).toBe(201);
    const latest = await t.platform.controlPlane.service.deps.db.routingGeneration.findFirstOrThrow({ orderBy: { id: 'desc' } });
    await t.platform.routing.waitFor(latest.id);
    const id = await birth('m-dead');
    for (const count of [1, 2]) {
      const [item] = await leaseUntil([id]);
      expect(item?.deliveryCount).toBe(count);
      await settle('nack', [item?.receipt as string]);
    }
    expect(await lease({ waitSeconds: 1 })).toEqual([]);
    const metrics = await (await fetch(`${t.platform.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`roomcast_pull_dead_lettered_total\\{subscription="${seeded.subscriptionId}",reason="delivery_limit"\\} 1`));
    expect(metrics).toMatch(new RegExp(`roomcast_pull_queue_depth\\{subscription="${seeded.subscriptionId}",state="total"\\} \\d+`));
    expect(metrics).toMatch(/roomcast_pull_lease_expiries_total\{subscription="[^"]+"\} [1-9]/);
    expect(metrics).toMatch(/roomcast_pull_oldest_unacked_age_seconds/);
    // On the dead-letter topic, with the reason.
    const consumer = t.platform.runtime.kafka.consumer({ groupId: `${t.prefix}.dlq-check` });
    const seen: Record<string, string>[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: t.platform.runtime.names.deadLetterTopic(), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])));
      },
    });
    for (const deadline = Date.now() + 20_000; !seen.some((h) => h['rc-id'] === id) && Date.now() < deadline; ) await pause(200);
    await consumer.disconnect();
    expect(seen.find((h) => h['rc-id'] === id)).toMatchObject({ 'rc-dead-reason': 'delivery_limit', 'rc-subscription': seeded.subscriptionId });
    // In the message log: each hand-out and its nack, then the dead letter, final.
    const rows = await loggedUntil(id, 'dead-lettered');
    expect(rows.map((r) => [r.outcome, r.state, r.attempt])).toEqual([
      ['leased', 'SENT', 1],
      ['nacked', 'QUEUED', 1],
      ['leased', 'SENT', 2],
      ['nacked', 'QUEUED', 2],
      ['dead-lettered', 'FAILED', 2],
    ]);
    expect(rows.at(-1)?.errorClass).toBe('delivery_limit');
    expect(rows.every((r) => r.mode === 'pull' && r.subscriptionId === seeded.subscriptionId)).toBe(true);
  }, 60_000);
});
