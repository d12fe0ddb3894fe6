/**
 * Produce batching against the real broker: concurrent publishes share Kafka requests, yet
 * every caller's `{partition, sequence}` names exactly its own record, and events with the same
 * key land on one partition in the order the platform accepted them.
 */
import { decodeHeaders } from '@roomcast/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

let t: TestPlatform;
let sub: Subscriber;
let seeded: SeededDemo;

beforeAll(async () => {
  t = await startTestPlatform('batch');
  sub = await startSubscriber();
  seeded = await seedDemo(t.platform.url, t.adminKey, sub.url);
  sub.setSecret(seeded.signingSecret);
  await t.platform.routing.waitFor(seeded.generation);
});

afterAll(async () => {
  await sub?.close();
  await t?.cleanup();
});

/** Every record of the topic, as `partition:offset` → rc-id header. */
async function readAll(topic: string, count: number): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  const consumer = t.platform.runtime.kafka.consumer({ groupId: `${t.prefix}.batch-probe` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${seen.size} of ${count} records found`)), 30_000);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          seen.set(`${partition}:${message.offset}`, String(decodeHeaders(message.headers)?.id));
          if (seen.size >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${t.platform.url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return Number(m?.[1] ?? Number.NaN);
}

describe('produce batching', () => {
  it('gives each of many concurrent publishers its own partition and offset, in fewer Kafka requests', async () => {
    const flushesBefore = await metric('roomcast_publish_batch_records_count');
    const n = 120;
    const keys = ['mother-a', 'mother-b', 'mother-c', 'mother-d'];
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId: keys[i % keys.length], weight: 1000 + i })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(n).fill(201));
    const placed = results.map((r) => r.body as { id: string; partition: number; sequence: number });
    // No two callers were handed the same record.
    expect(new Set(placed.map((p) => `${p.partition}:${p.sequence}`)).size).toBe(n);
    // Same key → same partition.
    for (const key of keys) {
      const parts = new Set(placed.filter((_, i) => keys[i % keys.length] === key).map((p) => p.partition));
      expect(parts.size).toBe(1);
    }
    // Each caller's (partition, sequence) holds its own event id (earlier tests' records are absent: own topic).
    const room = t.platform.routing.current().contract.rooms[0];
    const onTopic = await readAll(room?.topic ?? '', n);
    for (const p of placed) expect(onTopic.get(`${p.partition}:${p.sequence}`)).toBe(p.id);
    // Batched: fewer produce requests than events.
    const flushes = (await metric('roomcast_publish_batch_records_count')) - (Number.isNaN(flushesBefore) ? 0 : flushesBefore);
    expect(flushes).toBeGreaterThan(0);
    expect(flushes).toBeLessThan(n);
  });

  it('keeps the order of sequential publishes with one key', async () => {
    const sequences: number[] = [];
    const partitions = new Set<number>();
    for (let i = 0; i < 5; i++) {
      const res = await publish(t.platform.url, seeded.publisherKey, { ...DEMO.sampleEvent, motherId: 'mother-order', weight: 2000 + i });
      expect(res.status).toBe(201);
      sequences.push(Number(res.body.sequence));
      partitions.add(Number(res.body.partition));
    }
    expect(partitions.size).toBe(1);
    expect(sequences.every((s, i) => i === 0 || s > (sequences[i - 1] ?? 0))).toBe(true);
  });
});

describe('events larger than a Kafka record may be', () => {
  const BLOB = 'scan';
  const parts = (bytes: number) => Array.from({ length: Math.ceil(bytes / 60_000) }, (_, i) => 'x'.repeat(Math.min(60_000, bytes - i * 60_000)));
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${t.platform.url}${DEMO.roomPath}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${seeded.publisherKey}`, 'x-govstack-client': DEMO.publisherClient, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    const admin = (method: string, path: string, body: unknown, client?: string) =>
      fetch(`${t.platform.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/json', ...(client ? { 'x-govstack-client': client } : {}) },
        body: JSON.stringify(body),
      });
    const schema = { type: 'object', required: ['parts'], properties: { parts: { type: 'array', maxItems: 200, items: { type: 'string' } } } };
    expect((await admin('POST', `${DEMO.roomPath}/api/v1/eventType`, { eventType: BLOB, schema }, DEMO.publisherClient)).status).toBeLessThan(300);
    const granted = await admin('POST', `/api/admin/v1/rooms/${seeded.roomId}/publishers`, { clientId: DEMO.publisherClient, eventTypes: [DEMO.eventType, BLOB] });
    expect(granted.status).toBeLessThan(300);
    const { generation } = (await granted.json()) as { generation: number };
    await t.platform.routing.waitFor(generation);
  });

  it('answers 413 for that batch item alone, never a retryable 503, and stores the others', async () => {
    const small = { parts: ['fits'] };
    const res = await post(`/pub/v1/${BLOB}/batch`, { events: [{ eventType: BLOB, event: small }, { eventType: BLOB, event: { parts: parts(1_500_000) } }, { eventType: BLOB, event: small }] });
    expect(res.status).toBe(200);
    const results = res.body.results as { status: number; code?: string; errors?: { pointer: string }[] }[];
    expect(results.map((r) => r.status)).toEqual([201, 413, 201]);
    expect(results[1]).toMatchObject({ code: 'publish.event_too_large', errors: [{ pointer: '/events/1/event' }] });
    expect(res.retryAfter).toBeNull();
  });

  it('answers 413 for a single event that fits the body limit but not a Kafka record', async () => {
    // Just under the 1 MiB body limit: the record adds headers and the wire-format prefix.
    const res = await post(`/pub/v1/${BLOB}`, { eventType: BLOB, event: { parts: parts(1024 * 1024 - 200) } });
    expect([res.status, res.body.code, res.retryAfter]).toEqual([413, 'publish.event_too_large', null]);
    const ok = await post(`/pub/v1/${BLOB}`, { eventType: BLOB, event: { parts: parts(1024 * 1024 - 4000) } });
    expect(ok.status).toBe(201);
  });

  it('creates the dead-letter topic with room for a copy of the largest record plus its headers', async () => {
    const admin = t.platform.runtime.kafka.admin();
    await admin.connect();
    try {
      const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: t.platform.runtime.names.deadLetterTopic(), configNames: ['max.message.bytes'] }] });
      expect(resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue).toBe(String(8 * 1024 * 1024));
    } finally {
      await admin.disconnect();
    }
  });
});
