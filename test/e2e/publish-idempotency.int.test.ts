/**
 * Publisher-chosen event ids, every layer real: a replay answers the original result with
 * 200 and `Idempotent-Replayed: true` and puts nothing more on the topic; the same id with
 * another payload is refused; concurrent duplicates produce one record. Counted by reading
 * the room topic itself.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { request } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { topicEventIds } from '../support/topic.ts';

let t: TestPlatform;
let sub: Subscriber;
let seeded: SeededDemo;

beforeAll(async () => {
  t = await startTestPlatform('idem');
  sub = await startSubscriber();
  seeded = await seedDemo(t.platform.url, t.adminKey, sub.url);
  await t.platform.routing.waitFor(seeded.generation);
});

afterAll(async () => {
  await sub?.close();
  await t?.cleanup();
});

async function post(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.platform.url}${DEMO.roomPath}/pub/v1/${DEMO.eventType}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${seeded.publisherKey}`, 'content-type': 'application/json', 'x-govstack-client': DEMO.publisherClient, ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, replayed: res.headers.get('idempotent-replayed'), body: (await res.json()) as Record<string, unknown> };
}

const topic = () => t.platform.routing.current().contract.rooms[0]?.topic ?? '';
const count = async (id: string) => (await topicEventIds(t.platform, t.prefix, topic())).filter((x) => x === id).length;

describe('publisher-chosen event ids', () => {
  it('replays the original result with 200 and Idempotent-Replayed, producing nothing more', async () => {
    const id = randomUUID();
    const first = await post({ id, eventType: DEMO.eventType, event: DEMO.sampleEvent });
    expect(first.status).toBe(201);
    expect(first.replayed).toBeNull();
    expect(first.body.id).toBe(id);
    // Same id through the header, same payload with its keys in another order.
    const reordered = Object.fromEntries(Object.entries(DEMO.sampleEvent).reverse());
    const again = await post({ eventType: DEMO.eventType, event: reordered }, { 'idempotency-key': id.toUpperCase() });
    expect(again.status).toBe(200);
    expect(again.replayed).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await count(id)).toBe(1);
    const metrics = String((await request(t.platform.url, 'GET', '/metrics')).body);
    expect(metrics).toMatch(/roomcast_publish_dedup_hits_total\{room="[^"]+",outcome="replayed"\} 1/);
  });

  it('refuses the same id with another payload (409) and produces nothing', async () => {
    const id = randomUUID();
    expect((await post({ id, eventType: DEMO.eventType, event: DEMO.sampleEvent })).status).toBe(201);
    const other = await post({ id, eventType: DEMO.eventType, event: { ...DEMO.sampleEvent, weight: 3300 } });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('publish.id_conflict');
    const otherKey = await post({ id, eventType: DEMO.eventType, event: DEMO.sampleEvent, key: 'another-key' });
    expect(otherKey.body.code).toBe('publish.id_conflict');
    expect(await count(id)).toBe(1);
  });

  it('produces one record for concurrent duplicates', async () => {
    const id = randomUUID();
    const answers = await Promise.all(Array.from({ length: 8 }, () => post({ id, eventType: DEMO.eventType, event: DEMO.sampleEvent })));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    // The others waited for the first one's result (or, if it took too long, were told to retry).
    for (const a of answers.filter((x) => x.status !== 201)) {
      if (a.status === 200) expect(a.body).toEqual(answers.find((x) => x.status === 201)?.body);
      else expect(a.body.code).toBe('publish.id_in_progress');
    }
    expect(await count(id)).toBe(1);
  });

  it('refuses ids that are not UUIDs, naming the field, and produces nothing', async () => {
    const bad = await post({ id: 'order-17', eventType: DEMO.eventType, event: DEMO.sampleEvent });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ pointer: '/id', message: 'must be a UUID' }]);
    const header = await post({ eventType: DEMO.eventType, event: DEMO.sampleEvent }, { 'idempotency-key': 'not-a-uuid' });
    expect(header.status).toBe(400);
    const before = (await topicEventIds(t.platform, t.prefix, topic())).length;
    const generated = await post({ eventType: DEMO.eventType, event: DEMO.sampleEvent });
    expect(generated.status).toBe(201);
    expect((await topicEventIds(t.platform, t.prefix, topic())).length).toBe(before + 1);
  });

  it('batch publish answers a replayed id per item: 200 with replayed: true and the original result, nothing produced again', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const batch = async (ids: string[]) => {
      const res = await fetch(`${t.platform.url}${DEMO.roomPath}/pub/v1/${DEMO.eventType}/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${seeded.publisherKey}`, 'content-type': 'application/json', 'x-govstack-client': DEMO.publisherClient },
        body: JSON.stringify({ events: ids.map((id) => ({ eventType: DEMO.eventType, event: DEMO.sampleEvent, id })) }),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { accepted: number; results: Array<Record<string, unknown>> }).results;
    };
    const [first] = await batch([a]);
    expect(first?.status).toBe(201);
    expect(first?.replayed).toBeUndefined();
    const again = await batch([a, b]);
    expect(again[0]).toEqual({ index: 0, status: 200, replayed: true, id: a, partition: first?.partition, sequence: first?.sequence });
    expect(again[1]?.status).toBe(201);
    expect(again[1]?.replayed).toBeUndefined();
    expect(await count(a)).toBe(1);
    expect(await count(b)).toBe(1);
  });
});
