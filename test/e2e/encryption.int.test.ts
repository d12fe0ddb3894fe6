/**
 * Classified payloads end to end: a PHI event is sealed before it reaches Kafka (the raw
 * record holds neither the plaintext nor a plain key, and names its data key in `rc-key-id`),
 * the push subscriber receives it decrypted; after a room-key rotation new events use the new
 * key while the old one keeps decrypting; a PUBLIC event type stays plaintext; Redis carries
 * the data keys only wrapped.
 */
import { randomBytes } from 'node:crypto';
import { DataKeyRing, masterKey, openEventPayload } from '@roomcast/core';
import { decodeHeaders, type KafkaMessage } from '@roomcast/kafka';
import { decodeWire } from '@roomcast/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { caller } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

const MASTER = randomBytes(32).toString('base64');
const CANARY = 'Zyxwvut-Canary-7731';
const PHI_TYPE = 'diagnosis';
const PUBLIC_TYPE = 'notice';
const schema = {
  type: 'object',
  required: ['patientName', 'code'],
  additionalProperties: false,
  properties: { patientName: { type: 'string', maxLength: 200 }, code: { type: 'string', maxLength: 20 } },
};

let t: TestPlatform;
let phiSub: Subscriber;
let publicSub: Subscriber;
let seeded: SeededDemo;
let call: ReturnType<typeof caller>;

async function subscribe(eventType: string, pushUrl: string): Promise<{ secret: string; generation: number }> {
  const sub = await call('POST', `${DEMO.roomPath}/api/v1/subs/${eventType}`, {
    key: seeded.subscriberKey,
    client: DEMO.subscriberClient,
    body: { eventType, delivery: 'PUSH', options: { pushUrl } },
  });
  expect(sub.status).toBe(200);
  const approved = await call('POST', `/api/admin/v1/subscriptions/${String(sub.body.id)}/approve`, { key: t.adminKey });
  expect(approved.status).toBe(200);
  return { secret: String(sub.body.signingSecret), generation: Number(approved.body.generation) };
}

beforeAll(async () => {
  t = await startTestPlatform('crypto', { ROOMCAST_MASTER_KEY: MASTER });
  call = caller(t.platform.url);
  phiSub = await startSubscriber();
  publicSub = await startSubscriber();
  seeded = await seedDemo(t.platform.url, t.adminKey, phiSub.url);
  for (const [eventType, classification] of [
    [PHI_TYPE, 'PHI'],
    [PUBLIC_TYPE, 'PUBLIC'],
  ] as const) {
    const created = await call('POST', `${DEMO.roomPath}/api/v1/eventType`, { key: t.adminKey, client: DEMO.publisherClient, body: { eventType, schema, classification } });
    expect(created.status).toBe(200);
  }
  const granted = await call('POST', `/api/admin/v1/rooms/${seeded.roomId}/publishers`, { key: t.adminKey, body: { clientId: DEMO.publisherClient, eventTypes: [PHI_TYPE, PUBLIC_TYPE] } });
  expect(granted.status).toBeLessThan(300);
  phiSub.setSecret((await subscribe(PHI_TYPE, phiSub.url)).secret);
  const last = await subscribe(PUBLIC_TYPE, publicSub.url);
  publicSub.setSecret(last.secret);
  await t.platform.routing.waitFor(last.generation);
});

afterAll(async () => {
  await phiSub?.close();
  await publicSub?.close();
  await t?.cleanup();
});

/** Reads one record with a plain kafkajs consumer, as any tool with access to the topic could. */
async function readRecord(topic: string, partition: number, offset: number): Promise<KafkaMessage> {
  const consumer = t.platform.runtime.kafka.consumer({ groupId: `${t.prefix}.probe.${randomBytes(4).toString('hex')}` });
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

function rawBytes(record: KafkaMessage): Buffer {
  const headers = Object.entries(record.headers ?? {}).flatMap(([k, v]) => [Buffer.from(k), ...(Array.isArray(v) ? v : [v]).map((x) => Buffer.from(x ?? ''))]);
  return Buffer.concat([record.key ?? Buffer.alloc(0), record.value ?? Buffer.alloc(0), ...headers]);
}

async function publishOne(eventType: string, patientName: string) {
  const res = await publish(t.platform.url, seeded.publisherKey, { patientName, code: 'J45' }, { eventType });
  expect(res.status).toBe(201);
  const { id, partition, sequence } = res.body as { id: string; partition: number; sequence: number };
  const room = t.platform.routing.current().roomById(seeded.roomId);
  const record = await readRecord(room?.topic ?? '', partition, sequence);
  return { id, record, headers: decodeHeaders(record.headers), wire: decodeWire(record.value ?? Buffer.alloc(0)) };
}

async function currentKeyId(): Promise<string> {
  const keys = await call('GET', `/api/admin/v1/rooms/${seeded.roomId}/data-keys`, { key: t.adminKey });
  expect(keys.status).toBe(200);
  const list = keys.body.keys as { keyId: string; current: boolean }[];
  return list.find((k) => k.current)?.keyId ?? '';
}

describe('classified payloads', () => {
  let first: Awaited<ReturnType<typeof publishOne>>;

  it('seals a PHI event before Kafka: no plaintext in the record, key id header, Confluent prefix kept', async () => {
    first = await publishOne(PHI_TYPE, `${CANARY} first`);
    const bytes = rawBytes(first.record);
    expect(bytes.includes(Buffer.from(CANARY))).toBe(false);
    expect(bytes.includes(Buffer.from('patientName'))).toBe(false);
    expect(first.headers).toMatchObject({ id: first.id, eventType: PHI_TYPE, classification: 'PHI', keyId: await currentKeyId() });
    expect(first.headers?.keyId).toMatch(/^dk_/);
    // Magic byte + schema id of the event type, then the envelope (version 1, nonce, ciphertext, tag).
    expect(first.record.value?.[0]).toBe(0);
    expect(first.wire?.schemaId).toBe(first.headers?.schemaId);
    expect(first.wire?.payload[0]).toBe(1);
  });

  it('delivers the PHI event decrypted to the push subscriber', async () => {
    const [got] = (await phiSub.waitFor((r) => r.some((x) => x.headers['webhook-id'] === first.id), 20_000)).filter((x) => x.headers['webhook-id'] === first.id);
    expect(got?.verified).toBe(true);
    expect(got?.json.event).toEqual({ patientName: `${CANARY} first`, code: 'J45' });
  });

  it('rotates the room key (owner or admin only): new events use the new key, both stay decryptable', async () => {
    const foreign = await call('POST', `/api/admin/v1/rooms/${seeded.roomId}/data-keys/rotate`, { key: seeded.subscriberKey });
    expect(foreign.status).toBe(404);
    const rotated = await call('POST', `/api/admin/v1/rooms/${seeded.roomId}/data-keys/rotate`, { key: seeded.publisherKey });
    expect(rotated.status).toBe(201);
    const key = rotated.body.key as { keyId: string; version: number; current: boolean };
    expect(key).toMatchObject({ version: 2, current: true });
    await t.platform.routing.waitFor(Number(rotated.body.generation));

    const second = await publishOne(PHI_TYPE, `${CANARY} second`);
    expect(rawBytes(second.record).includes(Buffer.from(CANARY))).toBe(false);
    expect(second.headers?.keyId).toBe(key.keyId);
    expect(second.headers?.keyId).not.toBe(first.headers?.keyId);
    const [got] = (await phiSub.waitFor((r) => r.some((x) => x.headers['webhook-id'] === second.id), 20_000)).filter((x) => x.headers['webhook-id'] === second.id);
    expect(got?.json.event).toEqual({ patientName: `${CANARY} second`, code: 'J45' });

    // The contract after the rotation still opens the first record with its (older) key.
    const room = t.platform.routing.current().roomById(seeded.roomId);
    if (!room || !first.headers || !first.wire) throw new Error('room or first record missing');
    expect(room.dataKeys?.map((k) => k.id)).toEqual([key.keyId, first.headers.keyId]);
    const ring = new DataKeyRing([masterKey('mk1', MASTER)]);
    expect(JSON.parse(openEventPayload(ring, room, first.headers, first.wire.payload).toString())).toEqual({ patientName: `${CANARY} first`, code: 'J45' });

    // Redis holds the keys only wrapped: no plain data key appears in the stored contract.
    const stored = (await t.platform.runtime.redis.get(t.platform.runtime.keys.routingContract)) ?? '';
    expect(stored).toContain(key.keyId);
    for (const k of room.dataKeys ?? []) {
      const plain = ring.get(room, k.id)?.export();
      expect(plain?.length).toBe(32);
      expect(stored.includes(plain?.toString('base64') ?? 'x')).toBe(false);
      expect(stored.includes(plain?.toString('hex') ?? 'x')).toBe(false);
    }
    const audit = await call('GET', '/api/admin/v1/audit?action=room.data_key_rotate', { key: t.adminKey });
    // Newest first: the owner's rotation, and the foreign caller's refusal (audited as a failure).
    expect((audit.body.entries as { outcome: string; target: string; code: string | null }[]).map((e) => [e.outcome, e.target, e.code])).toEqual([
      ['SUCCESS', seeded.roomId, null],
      ['FAILURE', seeded.roomId, 'room.not_found'],
    ]);
  });

  it('leaves a PUBLIC event type in plain, without a key id', async () => {
    const pub = await publishOne(PUBLIC_TYPE, `${CANARY} public`);
    expect(pub.headers?.keyId).toBeUndefined();
    expect(pub.headers?.classification).toBe('PUBLIC');
    expect(JSON.parse(pub.wire?.payload.toString() ?? '')).toEqual({ patientName: `${CANARY} public`, code: 'J45' });
    const [got] = (await publicSub.waitFor((r) => r.some((x) => x.headers['webhook-id'] === pub.id), 20_000)).filter((x) => x.headers['webhook-id'] === pub.id);
    expect(got?.json.event).toEqual({ patientName: `${CANARY} public`, code: 'J45' });
  });
});
