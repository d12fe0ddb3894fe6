/**
 * Batch publish against the real services: a batch mixing good and bad items answers 200 with
 * one result per item in request order — 201 with id, partition and sequence for each stored
 * event, the single route's problem (pointers made absolute) for each refused one — and only
 * the good items are on the room's topic. Envelope errors refuse the whole batch.
 */
import { decodeHeaders } from '@roomcast/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

let t: TestPlatform;
let seeded: SeededDemo;

beforeAll(async () => {
  t = await startTestPlatform('batch', { ROOMCAST_PUBLISH_BATCH_MAX_ITEMS: '10', ROOMCAST_PUBLISH_BATCH_BODY_LIMIT_BYTES: '65536' });
  seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  await t.platform.routing.waitFor(seeded.generation);
});

afterAll(async () => {
  await t?.cleanup();
});

const batchUrl = () => `${t.platform.url}${DEMO.roomPath}/pub/v1/${DEMO.eventType}/batch`;

async function postBatch(body: string, key = seeded.publisherKey, client: string = DEMO.publisherClient, contentType = 'application/json') {
  const res = await fetch(batchUrl(), {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'x-govstack-client': client, 'content-type': contentType },
    body,
  });
  return { status: res.status, contentType: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
}

/** Ids (rc id header) of every record on the room's topic and urgent lane. */
async function idsOnTopic(): Promise<string[]> {
  const admin = t.platform.runtime.kafka.admin();
  const room = t.platform.routing.current().contract.rooms[0];
  const topics = [room?.topic ?? '', room?.urgentTopic ?? ''];
  await admin.connect();
  let total = 0;
  try {
    for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high);
  } finally {
    await admin.disconnect();
  }
  const ids: string[] = [];
  if (total === 0) return ids;
  const consumer = t.platform.runtime.kafka.consumer({ groupId: `${t.prefix}.probe.${Date.now()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${ids.length} of ${total} records`)), 20_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          ids.push(decodeHeaders(message.headers)?.id ?? '?');
          if (ids.length === total) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return ids;
}

const good = (motherId: string) => ({ eventType: DEMO.eventType, event: { ...DEMO.sampleEvent, motherId } });

describe('batch publish', () => {
  it('answers one result per item in order, stores only the good ones', async () => {
    const items = [
      good('m-1'),
      { eventType: DEMO.eventType, event: { ...DEMO.sampleEvent, weight: 'heavy' } },
      { eventType: 'death', event: DEMO.sampleEvent },
      good('m-2'),
      { eventType: DEMO.eventType, event: { ...DEMO.sampleEvent }, extra: null },
      'not an object',
      good('m-1'),
    ];
    // A forbidden key cannot be written with JSON.stringify of an object literal: splice it in.
    const text = JSON.stringify({ events: items }).replace('"extra":null', '"constructor":{"prototype":{}}');
    const res = await postBatch(text);
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^application\/json/);
    const results = res.body.results as Array<Record<string, unknown>>;
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(results.map((r) => r.status)).toEqual([201, 400, 400, 201, 400, 400, 201]);
    expect(results.map((r) => r.code ?? null)).toEqual([
      null,
      'publish.schema_violation',
      'publish.event_type_mismatch',
      null,
      'publish.forbidden_key',
      'request.validation_failed',
      null,
    ]);
    expect(results[1]?.errors).toEqual([{ pointer: '/events/1/event/weight', message: 'must be integer' }]);
    const firstPointer = (r: Record<string, unknown> | undefined) => (r?.errors as Array<{ pointer: string }> | undefined)?.[0]?.pointer;
    expect(firstPointer(results[2])).toBe('/events/2/eventType');
    expect(firstPointer(results[4])).toBe('/events/4/constructor');
    expect(res.body.accepted).toBe(3);
    expect(res.body.failed).toBe(4);
    for (const i of [0, 3, 6]) {
      expect(results[i]?.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(typeof results[i]?.partition).toBe('number');
      expect(typeof results[i]?.sequence).toBe('number');
    }
    // Same key (motherId) → same partition, later item at a later offset.
    expect(results[6]?.partition).toBe(results[0]?.partition);
    expect(Number(results[6]?.sequence)).toBeGreaterThan(Number(results[0]?.sequence));

    const stored = await idsOnTopic();
    expect(stored.sort()).toEqual([results[0]?.id, results[3]?.id, results[6]?.id].sort());
  });

  it('refuses a bad envelope as a whole and produces nothing', async () => {
    const before = (await idsOnTopic()).length;
    const tooMany = await postBatch(JSON.stringify({ events: Array.from({ length: 11 }, (_, i) => good(`m-${i}`)) }));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.code).toBe('publish.batch_too_large');
    const empty = await postBatch('{"events":[]}');
    expect([empty.status, empty.body.code]).toEqual([400, 'request.validation_failed']);
    const extra = await postBatch(`{"events":[${JSON.stringify(good('m-9'))}],"owner":"x","__proto__":{"admin":true}}`);
    expect([extra.status, extra.body.code]).toEqual([400, 'request.validation_failed']);
    expect(extra.body.errors).toEqual([
      { pointer: '/owner', message: 'is not allowed' },
      { pointer: '/__proto__', message: 'is not allowed' },
    ]);
    const plain = await postBatch(JSON.stringify({ events: [good('m-9')] }), seeded.publisherKey, DEMO.publisherClient, 'text/plain');
    expect([plain.status, plain.body.code]).toEqual([415, 'request.unsupported_media_type']);
    const big = await postBatch(JSON.stringify({ events: [{ ...good('m-9'), pad: 'x'.repeat(70_000) }] }));
    expect([big.status, big.body.code]).toEqual([413, 'request.too_large']);
    const badUtf8 = await fetch(batchUrl(), {
      method: 'POST',
      headers: { authorization: `Bearer ${seeded.publisherKey}`, 'x-govstack-client': DEMO.publisherClient, 'content-type': 'application/json' },
      body: Buffer.concat([Buffer.from('{"events":[{"eventType":"x","event":{"a":"'), Buffer.from([0xff]), Buffer.from('"}}]}')]),
    });
    expect(((await badUtf8.json()) as { code: string }).code).toBe('request.invalid_encoding');
    const admin = await postBatch(JSON.stringify({ events: [good('m-9')] }), t.adminKey);
    expect([admin.status, admin.body.code]).toEqual([403, 'auth.forbidden']);
    const notJson = await postBatch('{"events":[');
    expect(notJson.body.code).toBe('request.invalid_json');
    const stranger = await postBatch(JSON.stringify({ events: [good('m-9')] }), seeded.subscriberKey, DEMO.subscriberClient);
    expect([stranger.status, stranger.body.code]).toEqual([403, 'publish.not_allowed']);
    expect((await idsOnTopic()).length).toBe(before);
  });
});
