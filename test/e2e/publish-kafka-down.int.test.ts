/**
 * Kafka unavailable → 503 `publish.kafka_unavailable` with Retry-After within the configured
 * publish timeout, never a hang and never a 201 without a durable write; Kafka back → 201.
 *
 * The shared test broker cannot be stopped while other test files run in parallel, so the
 * broker is made unavailable to ONE ingress process only: that process reaches Kafka through a
 * gate (test/support/kafka-gate.ts, a Kafka-aware proxy that also rewrites the advertised
 * broker addresses). Closing the gate cuts every connection and refuses new ones — to the
 * ingress, exactly a stopped broker — while the platform and every other test keep theirs.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraEndpoints } from '../../scripts/infra/config.ts';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { type KafkaGate, startKafkaGate } from '../support/kafka-gate.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { type ServiceProcess, startService } from '../support/process.ts';
import { topicEventIds } from '../support/topic.ts';

const TIMEOUT_MS = 1500;

let t: TestPlatform;
let seeded: SeededDemo;
let gate: KafkaGate;
let ingress: ServiceProcess | undefined;

beforeAll(async () => {
  t = await startTestPlatform('kdown');
  seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  await t.platform.routing.waitFor(seeded.generation);
  const ep = infraEndpoints();
  gate = await startKafkaGate(ep.kafkaBrokers[0] as string);
  ingress = await startService('ingress', {
    ROOMCAST_KAFKA_BROKERS: gate.broker,
    ROOMCAST_REGISTRY_URL: ep.registryUrl,
    ROOMCAST_REDIS_URL: ep.redisUrl,
    ROOMCAST_NAME_PREFIX: t.prefix,
    ROOMCAST_PUBLISH_TIMEOUT_MS: String(TIMEOUT_MS),
    ROOMCAST_LOG_LEVEL: 'error',
    ROOMCAST_DATABASE_URL: 'postgresql://nobody:nothing@127.0.0.1:9/none',
  });
}, 120_000);

afterAll(async () => {
  await ingress?.kill('SIGKILL');
  await gate?.stop();
  await t?.cleanup();
});

async function roomEnd(): Promise<number> {
  const admin = t.platform.runtime.kafka.admin();
  await admin.connect();
  try {
    const room = t.platform.routing.current().contract.rooms[0];
    return (await admin.fetchTopicOffsets(room?.topic ?? '')).reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

describe('Kafka unavailable', () => {
  it('publishes through the gate while Kafka is there', async () => {
    const before = await roomEnd();
    const res = await publish(ingress?.url as string, seeded.publisherKey, DEMO.sampleEvent);
    expect(res.status).toBe(201);
    expect(await roomEnd()).toBe(before + 1);
  });

  it('answers 503 with Retry-After within the timeout while the broker is gone, then 201 once it is back', async () => {
    gate.close();
    const url = `${ingress?.url}${DEMO.roomPath}/pub/v1/${DEMO.eventType}`;
    const headers = { authorization: `Bearer ${seeded.publisherKey}`, 'x-govstack-client': DEMO.publisherClient, 'content-type': 'application/json' };
    const body = JSON.stringify({ eventType: DEMO.eventType, event: DEMO.sampleEvent });
    for (let i = 0; i < 2; i++) {
      const started = Date.now();
      const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(TIMEOUT_MS * 4) });
      const elapsed = Date.now() - started;
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.headers.get('retry-after')).toBe('1');
      expect(((await res.json()) as { code: string }).code).toBe('publish.kafka_unavailable');
      expect(elapsed).toBeLessThan(TIMEOUT_MS + 1500);
    }
    // A batch answers per item, with Retry-After.
    const batch = await fetch(`${url}/batch`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ events: [{ eventType: DEMO.eventType, event: DEMO.sampleEvent }, { eventType: DEMO.eventType, event: {} }] }),
      signal: AbortSignal.timeout(TIMEOUT_MS * 4),
    });
    expect(batch.status).toBe(200);
    expect(batch.headers.get('retry-after')).toBe('1');
    const results = ((await batch.json()) as { results: Array<{ status: number; code?: string }> }).results;
    expect(results.map((r) => [r.status, r.code])).toEqual([
      [503, 'publish.kafka_unavailable'],
      [400, 'publish.schema_violation'],
    ]);

    gate.open();
    const deadline = Date.now() + 30_000;
    let status = 0;
    while (Date.now() < deadline) {
      const res = await publish(ingress?.url as string, seeded.publisherKey, DEMO.sampleEvent);
      status = res.status;
      if (status === 201) break;
      expect(status).toBe(503);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe(201);
  });

  it('frees a chosen id whose produce failed: the same id once Kafka is back is stored exactly once, never stuck at 409', async () => {
    const id = randomUUID();
    const url = `${ingress?.url}${DEMO.roomPath}/pub/v1/${DEMO.eventType}`;
    const headers = { authorization: `Bearer ${seeded.publisherKey}`, 'x-govstack-client': DEMO.publisherClient, 'content-type': 'application/json', 'idempotency-key': id };
    const body = JSON.stringify({ eventType: DEMO.eventType, event: DEMO.sampleEvent });
    const post = async () => {
      const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(TIMEOUT_MS * 4) });
      return { status: res.status, replayed: res.headers.get('idempotent-replayed'), body: (await res.json()) as { id?: string; code?: string } };
    };
    gate.close();
    const failed = await post();
    expect(failed.status).toBe(503);
    expect(failed.body.code).toBe('publish.kafka_unavailable');
    gate.open();
    const seen: string[] = [];
    const deadline = Date.now() + 30_000;
    let last = failed;
    while (Date.now() < deadline) {
      last = await post();
      seen.push(`${last.status} ${last.body.code ?? ''}`.trim());
      if (last.status !== 503 && last.status !== 409) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    // 201: the failed send was dropped and the retry stored the event. 200 + Idempotent-Replayed:
    // the send that timed out was stored late (a 503 means "not known to be stored") and the
    // retry answers its result. Either way the id is usable again and the event is there once.
    expect(last.status === 201 || (last.status === 200 && last.replayed === 'true'), seen.join(', ')).toBe(true);
    expect(last.body.id).toBe(id);
    const room = t.platform.routing.current().contract.rooms[0];
    const ids = await topicEventIds(t.platform, t.prefix, room?.topic ?? '');
    expect(ids.filter((x) => x === id)).toHaveLength(1);
  });
});
