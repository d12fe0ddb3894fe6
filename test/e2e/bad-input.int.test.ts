/**
 * Bad input on every route that takes a body, driven by the OpenAPI document: malformed JSON,
 * a wrong content type, a body over the limit, and — where the body is a closed object — the
 * fields a caller must never set (`approved`, `owner`, `status`, `__proto__`). Each answer is
 * 4xx problem+json with a stable code (and the pointer of each refused field), and the
 * database is unchanged afterwards: no row count moves, no audit entry says SUCCESS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, seedDemo } from '../../scripts/lib/demo.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

let t: TestPlatform;

interface Operation {
  method: string;
  path: string;
  operationId: string;
  closed: boolean;
}

const operations: Operation[] = [];

beforeAll(async () => {
  t = await startTestPlatform('badinput');
  await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  const doc = (await (await fetch(`${t.platform.url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { operationId: string; requestBody?: { content: Record<string, { schema: { type?: string; additionalProperties?: boolean } }> } }>>;
  };
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const schema = op.requestBody?.content['application/json']?.schema;
      // The publish routes have their own bad-input suites (api-contract, publish-bad-input and
      // publish-batch .int.test.ts): they refuse non-application callers before reading a body.
      if (!schema || op.operationId === 'publishEvent' || op.operationId === 'publishEventBatch') continue;
      operations.push({ method: method.toUpperCase(), path, operationId: op.operationId, closed: schema.type === 'object' && schema.additionalProperties === false });
    }
  }
}, 60_000);

afterAll(async () => {
  await t?.cleanup();
});

/** Fills path parameters with values of the demo (validation happens before any lookup). */
function concrete(path: string): string {
  const values: Record<string, string> = { instanceId: 'DEV', memberClass: 'GOV', memberCode: 'MOH', applicationCode: DEMO.room, eventType: DEMO.eventType };
  return path.replace(/\{([A-Za-z]+)\}/g, (_, name: string) => values[name] ?? 'x_unknown');
}

async function send(op: Operation, body: string, contentType = 'application/json') {
  const res = await fetch(`${t.platform.url}${concrete(op.path)}`, {
    method: op.method,
    headers: { authorization: `Bearer ${t.adminKey}`, 'x-govstack-client': DEMO.publisherClient, 'content-type': contentType },
    body,
  });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as { code: string; errors?: { pointer: string }[] } };
}

async function counts(): Promise<Record<string, number>> {
  const db = t.platform.controlPlane.service.deps.db;
  return {
    members: await db.member.count(),
    applications: await db.application.count(),
    keys: await db.apiKey.count(),
    rooms: await db.room.count(),
    eventTypes: await db.eventType.count(),
    contracts: await db.publisherContract.count(),
    subscriptions: await db.subscription.count(),
    grants: await db.subscriberGrant.count(),
    allowlist: await db.endpointAllowlist.count(),
    instance: await db.instanceConfig.count(),
    successes: await db.auditEntry.count({ where: { outcome: 'SUCCESS' } }),
  };
}

describe('bad input on every route with a body', () => {
  it('finds the routes to try', () => {
    expect(operations.length).toBeGreaterThan(20);
    expect(operations.filter((o) => o.closed).length).toBeGreaterThan(15);
  });

  it('answers malformed JSON, wrong content types and oversized bodies with 4xx problems, changing nothing', async () => {
    const before = await counts();
    const wrong: string[] = [];
    for (const op of operations) {
      const cases: [string, Promise<Awaited<ReturnType<typeof send>>>, number, string][] = [
        ['malformed', send(op, '{"a":'), 400, 'request.invalid_json'],
        ['text/plain', send(op, '{}', 'text/plain'), 415, 'request.unsupported_media_type'],
        ['oversized', send(op, JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) })), 413, 'request.too_large'],
      ];
      for (const [name, pending, status, code] of cases) {
        const r = await pending;
        if (r.status !== status || r.body.code !== code || r.type !== 'application/problem+json') wrong.push(`${op.operationId} ${name}: ${r.status} ${r.body.code}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(await counts()).toEqual(before);
  });

  it('refuses fields a caller must never set, naming each by its pointer', async () => {
    const before = await counts();
    const wrong: string[] = [];
    for (const op of operations.filter((o) => o.closed)) {
      const r = await send(op, '{"approved":true,"owner":"DEV/GOV/REG","status":"ACTIVE","__proto__":{"admin":true}}');
      const pointers = (r.body.errors ?? []).map((e) => e.pointer);
      const missing = ['/approved', '/owner', '/status', '/__proto__'].filter((p) => !pointers.includes(p));
      if (r.status !== 400 || r.body.code !== 'request.validation_failed' || missing.length > 0) wrong.push(`${op.operationId}: ${r.status} ${r.body.code} missing ${missing.join(',')}`);
    }
    expect(wrong).toEqual([]);
    expect(await counts()).toEqual(before);
  });
});
