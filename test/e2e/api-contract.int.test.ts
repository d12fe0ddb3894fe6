/**
 * The HTTP surface against real services: probes, OpenAPI, metrics, and every bad publish
 * answered with problem+json and a stable code — with nothing written to Kafka.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

let t: TestPlatform;
let seeded: SeededDemo;

beforeAll(async () => {
  t = await startTestPlatform('api');
  // No one listens here: this file never waits for a delivery.
  seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  await t.platform.routing.waitFor(seeded.generation);
});

afterAll(async () => {
  await t?.cleanup();
});

async function topicEnd(): Promise<number> {
  const admin = t.platform.runtime.kafka.admin();
  await admin.connect();
  try {
    const room = t.platform.routing.current().contract.rooms[0];
    const offsets = await admin.fetchTopicOffsets(room?.topic ?? '');
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

describe('probes and documents', () => {
  it('is ready when Kafka, the registry, PostgreSQL and Redis answer', async () => {
    const res = await fetch(`${t.platform.url}/readyz`);
    const body = (await res.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(res.status).toBe(200);
    for (const name of ['kafka', 'registry', 'redis', 'postgres']) expect(body.checks[name]?.status).toBe('ok');
  });

  it('serves OpenAPI 3.1 with the GovStack publish route, and Prometheus metrics', async () => {
    const doc = (await (await fetch(`${t.platform.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/pub/v1/{eventType}');
    await publish(t.platform.url, seeded.publisherKey, DEMO.sampleEvent);
    const metrics = await (await fetch(`${t.platform.url}/metrics`)).text();
    expect(metrics).toMatch(/roomcast_publish_requests_total\{room="[^"]+",event_type="newBirth",outcome="accepted"\} [1-9]/);
  });
});

describe('one OpenAPI document for every route', () => {
  it('documents exactly the routes the process serves, each with an operation id', async () => {
    const doc = (await (await fetch(`${t.platform.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId?: string }>> };
    const served = new Set(
      t.platform.app.routes
        .filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`),
    );
    const documented = new Set<string>();
    const ids: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        documented.add(`${method} ${path}`);
        if (op.operationId) ids.push(op.operationId);
      }
    }
    expect([...served].filter((r) => !documented.has(r)).sort()).toEqual([]);
    expect([...documented].filter((r) => !served.has(r)).sort()).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('bad publishes change nothing', () => {
  it('answers each with its own code and writes no record', async () => {
    const before = await topicEnd();
    const url = `${t.platform.url}${DEMO.roomPath}/pub/v1/${DEMO.eventType}`;
    const post = (headers: Record<string, string>, body: string) => fetch(url, { method: 'POST', headers, body });
    const auth = { authorization: `Bearer ${seeded.publisherKey}`, 'x-govstack-client': DEMO.publisherClient, 'content-type': 'application/json' };
    const good = JSON.stringify({ eventType: DEMO.eventType, event: DEMO.sampleEvent });

    const cases: Array<[string, Promise<Response>, number, string]> = [
      ['no key', post({ 'content-type': 'application/json' }, good), 401, 'auth.missing_credentials'],
      ['unknown key', post({ ...auth, authorization: 'Bearer rck_nope' }, good), 401, 'auth.invalid_credentials'],
      ['client mismatch', post({ ...auth, 'x-govstack-client': DEMO.subscriberClient }, good), 403, 'auth.client_mismatch'],
      ['no contract', post({ ...auth, authorization: `Bearer ${seeded.subscriberKey}`, 'x-govstack-client': DEMO.subscriberClient }, good), 403, 'publish.not_allowed'],
      ['unknown type', fetch(`${t.platform.url}${DEMO.roomPath}/pub/v1/death`, { method: 'POST', headers: auth, body: good }), 404, 'event_type.not_found'],
      ['unknown room', fetch(`${t.platform.url}/r1/DEV/GOV/MOH/nope/pub/v1/x`, { method: 'POST', headers: auth, body: good }), 404, 'room.not_found'],
      ['not json', post(auth, '{"eventType":'), 400, 'request.invalid_json'],
      ['wrong type', post({ ...auth, 'content-type': 'text/plain' }, good), 415, 'request.unsupported_media_type'],
      ['type mismatch', post(auth, JSON.stringify({ eventType: 'other', event: DEMO.sampleEvent })), 400, 'publish.event_type_mismatch'],
      ['too large', post(auth, JSON.stringify({ eventType: DEMO.eventType, event: { pad: 'x'.repeat(1024 * 1024) } })), 413, 'request.too_large'],
    ];
    for (const [name, pending, status, code] of cases) {
      const res = await pending;
      expect(res.headers.get('content-type'), name).toBe('application/problem+json');
      const body = (await res.json()) as { code: string; status: number };
      expect([name, res.status, body.code]).toEqual([name, status, code]);
    }

    const invalid = await publish(t.platform.url, seeded.publisherKey, { dateTime: 'x', gender: 'Q', place: 7, extra: true, weight: 99999 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe('publish.schema_violation');
    const pointers = (invalid.body.errors as Array<{ pointer: string }>).map((e) => e.pointer).sort();
    expect(pointers).toEqual(['/event/dateTime', '/event/extra', '/event/gender', '/event/motherId', '/event/place', '/event/weight']);

    expect(await topicEnd()).toBe(before);
  });
});
