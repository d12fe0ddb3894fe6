/**
 * GovStack subscription routes against the real services: the spec's paths, status codes and
 * SubscriptionItem shape, Roomcast's options and secret rotation, bad items refused with the
 * pointer of each field, and who may do what — anonymous, an impersonating application, another
 * member's application, member admins and the global admin. The room owner's side (approval,
 * listing) and the endpoint allowlist: subscriptions-owner.int.test.ts; delivery:
 * subscriptions-delivery.int.test.ts.
 */
import type { RoutingContract } from '@roomcast/routing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { type Answer, caller, memberAdminKey, pointers } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

const SUBS = `${DEMO.roomPath}/api/v1/subs`;
const REG = DEMO.subscriberClient;
const TAX = 'DEV/GOV/TAX/tax-office';
const HOOK = 'http://127.0.0.1:9/death';

let t: TestPlatform;
let seeded: SeededDemo;
let call: ReturnType<typeof caller>;
let reg: string;
let tax: string;
let regAdmin: string;
let taxAdmin: string;

beforeAll(async () => {
  t = await startTestPlatform('subs');
  call = caller(t.platform.url);
  // Nothing is published in this file, so the demo subscription's endpoint is never called.
  seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  reg = seeded.subscriberKey;
  const member = await call('POST', '/api/admin/v1/members', { key: t.adminKey, body: { instance: 'DEV', memberClass: 'GOV', memberCode: 'TAX', name: 'Tax Office' } });
  const app = await call('POST', `/api/admin/v1/members/${String(member.body.id)}/applications`, { key: t.adminKey, body: { code: 'tax-office' } });
  tax = String(app.body.apiKey);
  const death = { eventType: 'death', schema: { type: 'object', properties: { personId: { type: 'string' } }, additionalProperties: false } };
  expect((await call('POST', `${DEMO.roomPath}/api/v1/eventType`, { key: t.adminKey, client: DEMO.publisherClient, body: death })).status).toBe(200);
  regAdmin = await memberAdminKey(t.platform, 'DEV', 'GOV', 'REG');
  taxAdmin = await memberAdminKey(t.platform, 'DEV', 'GOV', 'TAX');
});

afterAll(async () => {
  await t?.cleanup();
});

/** The routing contract once the data plane holds the newest generation. */
async function contract(): Promise<RoutingContract> {
  const latest = await t.platform.controlPlane.service.deps.db.routingGeneration.findFirstOrThrow({ orderBy: { id: 'desc' } });
  return (await t.platform.routing.waitFor(latest.id)).contract;
}

function expectProblem(a: Answer, status: number, code: string, fields?: string[]) {
  expect(a.contentType).toBe('application/problem+json');
  expect([a.status, a.body.code]).toEqual([status, code]);
  if (fields) expect(pointers(a)).toEqual([...fields].sort());
}

describe('GovStack subscription routes', () => {
  it('lists the caller’s subscriptions in the spec’s shape with Roomcast options, never the secret', async () => {
    const res = await call('GET', SUBS, { key: reg, client: REG });
    expect(res.status).toBe(200);
    const items = res.body as unknown as Record<string, unknown>[];
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      id: seeded.subscriptionId,
      subscriberId: { instanceId: 'DEV', memberClass: 'GOV', memberCode: 'REG', applicationCode: 'births-registry' },
      eventType: 'newBirth',
      delivery: 'PUSH',
      options: { TTL: 3600, FIFO: true, pushUrl: 'http://127.0.0.1:9/unused', retry: { maxAttempts: 50, initialDelayMs: 1000, maxDelayMs: 300_000, multiplier: 2 }, timeoutMs: 10_000, maxInFlight: 16, rateLimitPerSec: null },
      status: 'ACTIVE',
    });
    expect(JSON.stringify(res.body)).not.toContain('whsec_');
  });

  it('answers 404 to a caller with no subscription in the room, and for an unknown room', async () => {
    expectProblem(await call('GET', SUBS, { key: tax, client: TAX }), 404, 'subscription.not_found');
    expectProblem(await call('GET', '/r1/DEV/GOV/MOH/nowhere/api/v1/subs', { key: reg, client: REG }), 404, 'subscription.not_found');
  });

  it('subscribes: 200 with the secret shown once, PENDING and out of the routing contract until approved; 409 the second time', async () => {
    const res = await call('POST', `${SUBS}/death`, { key: reg, client: REG, body: { eventType: 'death', options: { pushUrl: HOOK } } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ eventType: 'death', delivery: 'PUSH', status: 'PENDING', approvedAt: null, options: { TTL: 3600, FIFO: false, pushUrl: HOOK, maxInFlight: 16 } });
    expect(res.body.id).toMatch(/^sub_/);
    expect(res.body.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const again = await call('GET', `${SUBS}/death`, { key: reg, client: REG });
    expect(again.body.signingSecret).toBeUndefined();
    expect((await contract()).subscriptions.map((s) => s.id)).not.toContain(res.body.id);
    expectProblem(await call('POST', `${SUBS}/death`, { key: reg, client: REG, body: { eventType: 'death', options: { pushUrl: HOOK } } }), 409, 'subscription.already_exists');
  });

  it('refuses bad items with 400 naming each field, and creates nothing', async () => {
    const post = (body: unknown, path = `${SUBS}/death`) => call('POST', path, { key: tax, client: TAX, body });
    const url = { pushUrl: 'https://hooks.tax.example/x' };
    expectProblem(await post({ eventType: 'death', status: 'ACTIVE', approved: true, owner: 'x', options: url }), 400, 'request.validation_failed', ['/approved', '/owner', '/status']);
    expectProblem(await post({ eventType: 'newBirth', options: url }), 400, 'request.validation_failed', ['/eventType']);
    expectProblem(await post({ eventType: 'death', id: 'sub_mine', subscriberId: { applicationCode: 'other' }, options: url }), 400, 'request.validation_failed', ['/id', '/subscriberId/applicationCode']);
    expectProblem(
      await post({ eventType: 'death', delivery: 'STREAM', options: { ...url, TTL: 0, timeoutMs: 60_001, maxInFlight: 0, rateLimitPerSec: 0, FIFO: 'yes', retry: { maxAttempts: 1001, multiplier: 0.5 } } }),
      400,
      'request.validation_failed',
      ['/delivery', '/options/FIFO', '/options/TTL', '/options/maxInFlight', '/options/rateLimitPerSec', '/options/retry/maxAttempts', '/options/retry/multiplier', '/options/timeoutMs'],
    );
    expectProblem(await post({ eventType: 'death', options: { ...url, retry: { initialDelayMs: 5000, maxDelayMs: 1000 } } }), 400, 'request.validation_failed', ['/options/retry/maxDelayMs']);
    expectProblem(await post({ eventType: 'death' }), 400, 'request.validation_failed', ['/options/pushUrl']);
    expectProblem(await post({ options: url }), 400, 'request.validation_failed', ['/eventType']);
    expectProblem(await post({ eventType: 'death', options: { pushUrl: 'x'.repeat(2049) } }), 400, 'request.validation_failed', ['/options/pushUrl']);
    for (const pushUrl of ['http://10.1.2.3/x', 'http://169.254.169.254/latest/meta-data', 'http://[fe80::1]/x', 'ftp://hooks.tax.example/', 'not a url']) {
      expectProblem(await post({ eventType: 'death', options: { pushUrl } }), 400, 'subscription.endpoint_rejected', ['/options/pushUrl']);
    }
    expectProblem(await call('POST', `${SUBS}/death`, { key: tax, client: TAX, raw: '{"eventType":' }), 400, 'request.invalid_json');
    expectProblem(await post({ eventType: 'nope', options: url }, `${SUBS}/nope`), 404, 'event_type.not_found');
    expectProblem(await post({ eventType: 'death', options: url }, '/r1/DEV/GOV/MOH/nowhere/api/v1/subs/death'), 404, 'room.not_found');
    expectProblem(await call('GET', SUBS, { key: tax, client: TAX }), 404, 'subscription.not_found');
  });

  it('gets one subscription and patches it: 201, only the fields sent change, the item echoed back is accepted', async () => {
    const got = await call('GET', `${SUBS}/death`, { key: reg, client: REG });
    expect(got.status).toBe(200);
    const { status: _s, statusReason: _r, previousSecretExpiresAt: _p, createdAt: _c, updatedAt: _u, approvedAt: _a, ...echo } = got.body;
    const options = { ...(echo.options as object), TTL: 120, FIFO: true, retry: { maxAttempts: 5, initialDelayMs: 200, maxDelayMs: 2000, multiplier: 3 }, timeoutMs: 2000, rateLimitPerSec: 2.5 };
    const patched = await call('PATCH', `${SUBS}/death`, { key: reg, client: REG, body: { ...echo, options } });
    expect(patched.status).toBe(201);
    expect(patched.body).toMatchObject({ id: got.body.id, status: 'PENDING', options });
    const partial = await call('PATCH', `${SUBS}/death`, { key: reg, client: REG, body: { options: { rateLimitPerSec: null, maxInFlight: 4 } } });
    expect(partial.body.options).toEqual({ ...options, rateLimitPerSec: null, maxInFlight: 4 });
    const pull = await call('PATCH', `${SUBS}/death`, { key: reg, client: REG, body: { delivery: 'PULL' } });
    expect(pull.body).toMatchObject({ delivery: 'PULL', options: { pushUrl: HOOK } });
    expect((await call('PATCH', `${SUBS}/death`, { key: reg, client: REG, body: { delivery: 'PUSH' } })).body.delivery).toBe('PUSH');
  });

  it('refuses read-only, mismatching and out-of-policy fields on PATCH and leaves the subscription as it was', async () => {
    const before = await call('GET', `${SUBS}/death`, { key: reg, client: REG });
    const patch = (body: unknown) => call('PATCH', `${SUBS}/death`, { key: reg, client: REG, body });
    expectProblem(await patch({ status: 'ACTIVE' }), 400, 'request.validation_failed', ['/status']);
    expectProblem(await patch({ approvedAt: '2026-01-01T00:00:00Z', signingSecret: 'whsec_x' }), 400, 'request.validation_failed', ['/approvedAt', '/signingSecret']);
    expectProblem(await patch({ id: 'sub_other', eventType: 'newBirth' }), 400, 'request.validation_failed', ['/eventType', '/id']);
    expectProblem(await patch({ subscriberId: { memberCode: 'TAX' } }), 400, 'request.validation_failed', ['/subscriberId/memberCode']);
    expectProblem(await patch({ options: { pushUrl: 'http://169.254.169.254/' } }), 400, 'subscription.endpoint_rejected', ['/options/pushUrl']);
    expectProblem(await patch({ options: { retry: { initialDelayMs: 5000 } } }), 400, 'request.validation_failed', ['/options/retry/maxDelayMs']);
    expectProblem(await patch({ options: { TTL: 604_801 } }), 400, 'request.validation_failed', ['/options/TTL']);
    expectProblem(await call('PATCH', `${SUBS}/newBirth`, { key: tax, client: TAX, body: {} }), 404, 'subscription.not_found');
    const after = await call('GET', `${SUBS}/death`, { key: reg, client: REG });
    expect(after.body).toEqual(before.body);
  });

  it('rotates the signing secret: a new one shown once, the old one kept for the overlap', async () => {
    const path = `${SUBS}/death/secret`;
    const started = Date.now();
    const rotated = await call('POST', path, { key: reg, client: REG });
    expect(rotated.status).toBe(200);
    expect(rotated.body.signingSecret).toMatch(/^whsec_/);
    const ends = Date.parse(String(rotated.body.previousSecretExpiresAt));
    expect(ends - started).toBeGreaterThan(86_390_000);
    expect(ends - started).toBeLessThan(86_410_000);
    expect((await call('GET', `${SUBS}/death`, { key: reg, client: REG })).body.previousSecretExpiresAt).toBe(rotated.body.previousSecretExpiresAt);
    expectProblem(await call('POST', path, { key: reg, client: REG, body: { overlapSeconds: -1 } }), 400, 'request.validation_failed', ['/overlapSeconds']);
    expectProblem(await call('POST', path, { key: reg, client: REG, body: { overlapSeconds: 604_801, now: 1 } }), 400, 'request.validation_failed', ['/now', '/overlapSeconds']);
    const immediate = await call('POST', path, { key: reg, client: REG, body: { overlapSeconds: 0 } });
    expect(immediate.body.previousSecretExpiresAt).toBeNull();
    expect(immediate.body.signingSecret).not.toBe(rotated.body.signingSecret);
  });
});

describe('who may call the GovStack subscription routes', () => {
  /** Every GovStack subscription route, as calls not yet made. */
  const routes = (client: string | undefined, key: string | undefined) => [
    () => call('GET', SUBS, { key, client }),
    () => call('POST', `${SUBS}/death`, { key, client, body: { eventType: 'death', options: { pushUrl: HOOK } } }),
    () => call('GET', `${SUBS}/death`, { key, client }),
    () => call('PATCH', `${SUBS}/death`, { key, client, body: { options: { TTL: 1 } } }),
    () => call('DELETE', `${SUBS}/death`, { key, client }),
    () => call('POST', `${SUBS}/death/secret`, { key, client, body: {} }),
  ];
  const all = (calls: (() => Promise<Answer>)[]) => Promise.all(calls.map((f) => f()));

  it('refuses anonymous callers (401) and an application naming another client (403), changing nothing', async () => {
    const before = await call('GET', `${SUBS}/death`, { key: reg, client: REG });
    for (const res of await all(routes(REG, undefined))) expectProblem(res, 401, 'auth.missing_credentials');
    for (const res of await all(routes(TAX, reg))) expectProblem(res, 403, 'auth.client_mismatch');
    for (const res of await all(routes(undefined, reg))) expectProblem(res, 400, 'request.validation_failed', ['/headers/X-GovStack-Client']);
    expect((await call('GET', `${SUBS}/death`, { key: reg, client: REG })).body).toEqual(before.body);
  });

  it('gives another member’s application exactly the 404 of a missing subscription: it cannot read, change, rotate or delete it', async () => {
    const missing = await call('GET', `${SUBS}/nope`, { key: tax, client: TAX });
    expectProblem(missing, 404, 'subscription.not_found');
    // Reading, changing, rotating and deleting: every route but subscribing (which would create one).
    const [list, , ...own] = routes(TAX, tax);
    for (const res of await all([list as () => Promise<Answer>, ...own])) expectProblem(res, 404, 'subscription.not_found');
    const still = await call('GET', `${SUBS}/death`, { key: reg, client: REG });
    expect(still.body.options).toMatchObject({ TTL: 120 });
  });

  it('lets a member admin act for its own member’s applications only, and the global admin for any', async () => {
    const asAdmin = await call('GET', SUBS, { key: regAdmin, client: REG });
    expect((asAdmin.body as unknown as { eventType: string }[]).map((s) => s.eventType).sort()).toEqual(['death', 'newBirth']);
    expectProblem(await call('GET', SUBS, { key: regAdmin, client: TAX }), 403, 'auth.client_mismatch');
    expectProblem(await call('PATCH', `${SUBS}/death`, { key: taxAdmin, client: REG, body: {} }), 403, 'auth.client_mismatch');
    expect((await call('GET', `${SUBS}/death`, { key: t.adminKey, client: REG })).status).toBe(200);
    expectProblem(await call('POST', `${SUBS}/death`, { key: t.adminKey, client: 'DEV/GOV/REG/ghost', body: { eventType: 'death', options: { pushUrl: HOOK } } }), 400, 'request.validation_failed', [
      '/headers/X-GovStack-Client',
    ]);
    expectProblem(await call('GET', SUBS, { key: t.adminKey, client: 'not-a-client' }), 400, 'request.validation_failed', ['/headers/X-GovStack-Client']);
    // An application its member admin applied for stays PENDING and cannot be subscribed for yet.
    const regMember = await t.platform.controlPlane.service.deps.db.member.findFirstOrThrow({ where: { memberCode: 'REG' } });
    const pending = await call('POST', `/api/admin/v1/members/${regMember.id}/applications`, { key: regAdmin, body: { code: 'pending-app' } });
    expect([pending.status, pending.body.status]).toEqual([201, 'PENDING']);
    expectProblem(await call('POST', `${SUBS}/death`, { key: regAdmin, client: 'DEV/GOV/REG/pending-app', body: { eventType: 'death', options: { pushUrl: HOOK } } }), 409, 'application.invalid_state');
  });
});

describe('unsubscribing', () => {
  it('deletes with 204, after which the subscription is gone from the API and the routing contract', async () => {
    const { body } = await call('GET', `${SUBS}/death`, { key: reg, client: REG });
    const removed = await call('DELETE', `${SUBS}/death`, { key: reg, client: REG });
    expect(removed.status).toBe(204);
    expectProblem(await call('GET', `${SUBS}/death`, { key: reg, client: REG }), 404, 'subscription.not_found');
    expectProblem(await call('DELETE', `${SUBS}/death`, { key: reg, client: REG }), 404, 'subscription.not_found');
    expect((await contract()).subscriptions.map((s) => s.id)).not.toContain(body.id);
    expect((await call('GET', SUBS, { key: reg, client: REG })).status).toBe(200);
  });

  it('audits every change with its outcome and target, and never a secret', async () => {
    const res = await call('GET', '/api/admin/v1/audit?pageSize=500', { key: t.adminKey });
    const entries = res.body.entries as { action: string; outcome: string; member: string | null; code: string | null; target: string }[];
    const actions = new Set(entries.filter((e) => e.action.startsWith('subscription.')).map((e) => `${e.action} ${e.outcome}`));
    for (const a of ['create', 'update', 'delete', 'rotate_secret']) {
      expect(actions).toContain(`subscription.${a} SUCCESS`);
      expect(actions).toContain(`subscription.${a} FAILURE`);
    }
    expect(entries.find((e) => e.action === 'subscription.delete' && e.outcome === 'SUCCESS')).toMatchObject({ member: 'DEV/GOV/REG', target: expect.stringMatching(/^sub_/) });
    expect(JSON.stringify(res.body)).not.toContain('whsec_');
  });
});
