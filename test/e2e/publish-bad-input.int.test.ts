/**
 * Every bad input of the publish path (issue 4, "Bad input") against the real services: each is
 * answered 4xx problem+json with its own stable code (and the pointer of each bad field where
 * there is one), nothing reaches Kafka — the room's end offsets, both lanes, are unchanged — and
 * the refusals are counted in roomcast_publish_validation_failures_total by reason.
 *
 * A replayed id with a different payload (409) belongs to the idempotency work and is tested
 * there; Kafka unavailable is publish-kafka-down.int.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

let t: TestPlatform;
let seeded: SeededDemo;

beforeAll(async () => {
  t = await startTestPlatform('badpub');
  seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  await t.platform.routing.waitFor(seeded.generation);
});

afterAll(async () => {
  await t?.cleanup();
});

/** Sum of the high-water marks of the room's topic and urgent lane. */
async function roomEnd(): Promise<number> {
  const admin = t.platform.runtime.kafka.admin();
  await admin.connect();
  try {
    const room = t.platform.routing.current().contract.rooms[0];
    let sum = 0;
    for (const topic of [room?.topic ?? '', room?.urgentTopic ?? '']) {
      for (const p of await admin.fetchTopicOffsets(topic)) sum += Number(p.high);
    }
    return sum;
  } finally {
    await admin.disconnect();
  }
}

interface Case {
  name: string;
  body: string | Uint8Array;
  status: number;
  code: string;
  pointers?: string[];
  headers?: Record<string, string>;
  path?: string;
}

const ev = (event: string) => `{"eventType":"${DEMO.eventType}","event":${event}}`;
const sample = JSON.stringify(DEMO.sampleEvent);
const withField = (field: string) => ev(`${sample.slice(0, -1)},${field}}`);

function cases(): Case[] {
  const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
  const latin1 = Buffer.concat([Buffer.from(ev(`{"place":"Caf`)), Buffer.from([0xe9]), Buffer.from('"}')]);
  const overlong = Buffer.concat([Buffer.from(ev(`{"place":"`)), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]);
  return [
    { name: 'invalid JSON', body: '{"eventType":', status: 400, code: 'request.invalid_json' },
    { name: 'wrong content type', body: ev(sample), status: 415, code: 'request.unsupported_media_type', headers: { 'content-type': 'text/plain' } },
    { name: 'body over the limit', body: ev(`{"pad":"${'x'.repeat(1024 * 1024)}"}`), status: 413, code: 'request.too_large' },
    { name: '10 000-level nesting', body: withField(`"deep":${deep}`), status: 400, code: 'publish.too_deep', pointers: [`/event/deep${'/0'.repeat(31)}`] },
    { name: '__proto__ key', body: withField('"__proto__":{"admin":true}'), status: 400, code: 'publish.forbidden_key', pointers: ['/event/__proto__'] },
    { name: 'constructor key, nested', body: withField('"meta":{"constructor":{"prototype":{"x":1}}}'), status: 400, code: 'publish.forbidden_key', pointers: ['/event/meta/constructor'] },
    { name: 'number beyond 2^53', body: withField('"big":9007199254740993'), status: 400, code: 'publish.unsafe_number', pointers: ['/event/big'] },
    { name: '1e400', body: withField('"huge":1e400,"neg":[-1e400]'), status: 400, code: 'publish.unsafe_number', pointers: ['/event/huge', '/event/neg/0'] },
    { name: 'string over the limit', body: withField(`"note":"${'n'.repeat(64 * 1024 + 1)}"`), status: 400, code: 'publish.string_too_long', pointers: ['/event/note'] },
    { name: 'invalid UTF-8 (Latin-1 byte)', body: latin1, status: 400, code: 'request.invalid_encoding' },
    { name: 'invalid UTF-8 (overlong sequence)', body: overlong, status: 400, code: 'request.invalid_encoding' },
    { name: 'missing event type', body: `{"event":${sample}}`, status: 400, code: 'publish.event_type_mismatch', pointers: ['/eventType'] },
    { name: 'mismatched event type', body: `{"eventType":"death","event":${sample}}`, status: 400, code: 'publish.event_type_mismatch', pointers: ['/eventType'] },
    { name: 'unknown type', body: `{"eventType":"death","event":${sample}}`, status: 404, code: 'event_type.not_found', path: `${DEMO.roomPath}/pub/v1/death` },
    { name: 'unknown room', body: ev(sample), status: 404, code: 'room.not_found', path: `/r1/DEV/GOV/MOH/nowhere/pub/v1/${DEMO.eventType}` },
    { name: 'schema violation', body: ev('{"weight":"heavy"}'), status: 400, code: 'publish.schema_violation' },
  ];
}

async function metric(reason: string): Promise<number> {
  const text = await (await fetch(`${t.platform.url}/metrics`)).text();
  const m = new RegExp(`^roomcast_publish_validation_failures_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('bad publish input', () => {
  it('answers every case 4xx problem+json with its own code and pointers, and produces nothing', async () => {
    const before = await roomEnd();
    const auth = { authorization: `Bearer ${seeded.publisherKey}`, 'x-govstack-client': DEMO.publisherClient, 'content-type': 'application/json' };
    for (const c of cases()) {
      const res = await fetch(`${t.platform.url}${c.path ?? `${DEMO.roomPath}/pub/v1/${DEMO.eventType}`}`, {
        method: 'POST',
        headers: { ...auth, ...c.headers },
        body: c.body,
      });
      const problem = (await res.json()) as { code: string; status: number; errors?: { pointer: string }[] };
      expect(res.status, c.name).toBe(c.status);
      expect(res.headers.get('content-type'), c.name).toBe('application/problem+json');
      expect(problem.code, c.name).toBe(c.code);
      if (c.pointers) expect((problem.errors ?? []).map((e) => e.pointer).sort(), c.name).toEqual(c.pointers);
    }
    // A publisher without a contract.
    const stranger = await fetch(`${t.platform.url}${DEMO.roomPath}/pub/v1/${DEMO.eventType}`, {
      method: 'POST',
      headers: { ...auth, authorization: `Bearer ${seeded.subscriberKey}`, 'x-govstack-client': DEMO.subscriberClient },
      body: ev(sample),
    });
    expect(stranger.status).toBe(403);
    expect(((await stranger.json()) as { code: string }).code).toBe('publish.not_allowed');

    expect(await roomEnd()).toBe(before);
  });

  it('counts refusals by reason', async () => {
    for (const reason of ['invalid_json', 'content_type', 'too_large', 'too_deep', 'forbidden_key', 'unsafe_number', 'string_too_long', 'invalid_utf8', 'event_type_mismatch', 'schema']) {
      expect(await metric(reason), reason).toBeGreaterThan(0);
    }
    expect(await metric('forbidden_key')).toBe(2);
  });

  it('still accepts a good event with non-ASCII text', async () => {
    const res = await fetch(`${t.platform.url}${DEMO.roomPath}/pub/v1/${DEMO.eventType}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${seeded.publisherKey}`, 'x-govstack-client': DEMO.publisherClient, 'content-type': 'application/json; charset=utf-8' },
      body: ev(JSON.stringify({ ...DEMO.sampleEvent, place: 'Café Hospital ✓' })),
    });
    expect(res.status).toBe(201);
  });
});
