/**
 * The shared access suite: every route of the OpenAPI document is called as anonymous, as an
 * application and a member admin of another member, as an application and a member admin of
 * the room's owner, and as a global admin, in that order (least privileged first, so a refused
 * call has the chance to change something before an allowed one would). Each route's expected
 * answers are one row of the table below; the suite fails when a route is missing from it.
 *
 * Refusals must be 401 (anonymous), 403 (role may never do this) or 404 (an id the caller may
 * not see looks missing); allowed calls answer their success status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { request } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';
import { ACCESS_CASES, type AccessContext, PERSONAS, type Persona } from './access-cases.ts';

let t: TestPlatform;
let seeded: SeededDemo;
const ctx = {} as AccessContext;

const METRICS_TOKEN = 'scrape-token-of-the-access-suite';

async function call(method: string, path: string, key: string | undefined, client: string | undefined, body: unknown) {
  const r = await request(t.platform.url, method, path, { ...(key ? { key } : {}), ...(client ? { client } : {}), body });
  return { status: r.status, body: r.body as Record<string, unknown> };
}

beforeAll(async () => {
  t = await startTestPlatform('access', { ROOMCAST_LOG_CHECKPOINT_INTERVAL_MS: '500', ROOMCAST_METRICS_TOKEN: METRICS_TOKEN });
  seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  const db = t.platform.controlPlane.service.deps.db;
  const moh = await db.member.findFirstOrThrow({ where: { memberCode: DEMO.owner.memberCode } });
  const reg = await db.member.findFirstOrThrow({ where: { memberCode: DEMO.subscriberMember.memberCode } });
  const clinic = await db.application.findFirstOrThrow({ where: { clientId: DEMO.publisherClient } });
  const adminKeyOf = async (memberId: string) => {
    const r = await call('POST', `/api/admin/v1/members/${memberId}/keys`, t.adminKey, undefined, { label: 'access suite' });
    expect(r.status).toBe(201);
    return String(r.body.apiKey);
  };
  Object.assign(ctx, {
    call: (method: string, path: string, body?: unknown, client?: string) => call(method, path, t.adminKey, client, body),
    keys: {
      anonymous: undefined,
      otherApp: seeded.subscriberKey,
      otherAdmin: await adminKeyOf(reg.id),
      ownerApp: seeded.publisherKey,
      ownerAdmin: await adminKeyOf(moh.id),
      globalAdmin: t.adminKey,
    },
    ids: { roomId: seeded.roomId, subscriptionId: seeded.subscriptionId, ownerMemberId: moh.id, otherMemberId: reg.id, clinicAppId: clinic.id },
    state: { baseUrl: t.platform.url },
  } satisfies Partial<AccessContext>);
}, 90_000);

afterAll(async () => {
  await t?.cleanup();
});

describe('who may call each route', () => {
  it('has a row for every documented operation', async () => {
    const doc = (await (await fetch(`${t.platform.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId?: string; security?: unknown[] }>> };
    const documented: string[] = [];
    for (const item of Object.values(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) documented.push(op.operationId ?? `(no operationId) ${method}`);
      }
    }
    const covered = new Set(ACCESS_CASES.map((c) => c.op));
    expect(documented.filter((op) => !covered.has(op)).sort()).toEqual([]);
  });

  it('answers every caller as the access rules say, for every route', async () => {
    const mismatches: string[] = [];
    for (const c of ACCESS_CASES) {
      await c.prepare?.(ctx);
      const got: number[] = [];
      for (const [i, persona] of PERSONAS.entries()) {
        const req = c.request(ctx, persona as Persona);
        const res = await call(req.method, req.path, ctx.keys[persona as Persona], req.client, req.body);
        got.push(res.status);
        c.after?.(ctx, persona as Persona, res);
        const want = c.expect[i];
        if (res.status !== want) {
          mismatches.push(`${c.op} as ${persona}: expected ${want}, got ${res.status} ${JSON.stringify(res.body)?.slice(0, 160)}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  }, 120_000);

  it('serves /metrics to the scrape token only', async () => {
    const scrape = (authorization?: string) => fetch(`${t.platform.url}/metrics`, authorization ? { headers: { authorization } } : {});
    const open = await scrape(`Bearer ${METRICS_TOKEN}`);
    expect(open.status).toBe(200);
    expect(await open.text()).toContain('roomcast_http_requests_total');
    for (const [authorization, code] of [
      [undefined, 'auth.missing_credentials'],
      ['Bearer wrong-token-of-the-same-length!', 'auth.invalid_credentials'],
      [`Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}`, 'auth.missing_credentials'],
    ] as const) {
      const refused = await scrape(authorization);
      expect([refused.status, refused.headers.get('www-authenticate'), ((await refused.json()) as { code: string }).code]).toEqual([401, 'Bearer realm="metrics"', code]);
    }
  });
});
