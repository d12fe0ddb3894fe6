/**
 * One event end to end, every layer real: seeded through the HTTP API, published through the
 * GovStack publish route, found on the room's Kafka topic with its key and headers, and POSTed
 * — signed — to a local subscriber.
 */
import { decodeHeaders, type KafkaMessage } from '@roomcast/kafka';
import { decodeWire } from '@roomcast/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

let t: TestPlatform;
let sub: Subscriber;
let seeded: SeededDemo;

beforeAll(async () => {
  t = await startTestPlatform('e2e');
  sub = await startSubscriber();
  seeded = await seedDemo(t.platform.url, t.adminKey, sub.url);
  sub.setSecret(seeded.signingSecret);
  await t.platform.routing.waitFor(seeded.generation);
});

afterAll(async () => {
  await sub?.close();
  await t?.cleanup();
});

async function readRecord(topic: string, partition: number, offset: number): Promise<KafkaMessage> {
  const consumer = t.platform.runtime.kafka.consumer({ groupId: `${t.prefix}.probe` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    return await new Promise<KafkaMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('record not found on the topic')), 20_000);
      void consumer.run({
        eachMessage: async ({ partition: p, message }) => {
          if (p === partition && Number(message.offset) === offset) {
            clearTimeout(timer);
            resolve(message);
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
}

describe('publish → Kafka → push', () => {
  it('acknowledges with an id, stores the record keyed and headed, and delivers it signed', async () => {
    const res = await publish(t.platform.url, seeded.publisherKey, DEMO.sampleEvent);
    expect(res.status).toBe(201);
    const { id, partition, sequence } = res.body as { id: string; partition: number; sequence: number };
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    const room = t.platform.routing.current().contract.rooms[0];
    expect(room?.topic).toBe(`${t.prefix}.rooms.DEV.GOV.MOH.births`);
    const record = await readRecord(room?.topic ?? '', partition, sequence);
    expect(record.key?.toString()).toBe(DEMO.sampleEvent.motherId);
    const headers = decodeHeaders(record.headers);
    expect(headers).toMatchObject({ id, eventType: DEMO.eventType, publisher: DEMO.publisherClient, priority: 'NORMAL', classification: 'INTERNAL' });
    const wire = decodeWire(record.value ?? Buffer.alloc(0));
    expect(wire?.schemaId).toBe(headers?.schemaId);
    expect(JSON.parse(wire?.payload.toString() ?? '')).toEqual(DEMO.sampleEvent);
    // The schema id in the record resolves in the registry to the event type's schema.
    expect(await t.platform.runtime.registry.getJsonSchema(wire?.schemaId ?? 0)).toEqual(DEMO.schema);

    const [delivery] = await sub.waitFor((r) => r.some((x) => x.headers['webhook-id'] === id));
    expect(delivery?.verified).toBe(true);
    expect(delivery?.json).toMatchObject({ id, sequence, partition, eventType: DEMO.eventType, key: DEMO.sampleEvent.motherId, event: DEMO.sampleEvent });
    expect(delivery?.json.publisherId).toEqual({ instanceId: 'DEV', memberClass: 'GOV', memberCode: 'MOH', applicationCode: 'clinic-a' });
  });

  it('keeps events with the same key on one partition, in publish order', async () => {
    const results = [];
    for (let i = 0; i < 5; i++) {
      results.push(await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId: 'mother-fifo', weight: 1000 + i }));
    }
    expect(new Set(results.map((r) => r.body.partition)).size).toBe(1);
    const sequences = results.map((r) => Number(r.body.sequence));
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
    const ids = results.map((r) => String(r.body.id));
    const got = await sub.waitFor((r) => ids.every((id) => r.some((x) => x.headers['webhook-id'] === id)));
    const order = got.filter((x) => ids.includes(String(x.headers['webhook-id']))).map((x) => (x.json.event as { weight: number }).weight);
    expect(order).toEqual([1000, 1001, 1002, 1003, 1004]);
  });
});
