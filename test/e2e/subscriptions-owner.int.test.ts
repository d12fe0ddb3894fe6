/**
 * The room owner's side of subscriptions and the endpoint allowlist, against the real
 * services: listing a room's subscriptions by status, approve / reject / pause / resume with
 * the routing contract following, non-disclosure (another member's admin gets the 404 of a
 * missing id), and the global admin's allowlist lifting the address policy at write time.
 */
import type { RoutingContract } from '@roomcast/routing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { type Answer, caller, memberAdminKey, pointers } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

const SUBS = `${DEMO.roomPath}/api/v1/subs`;
const ADMIN = '/api/admin/v1';
const REG = DEMO.subscriberClient;
const TAX = 'DEV/GOV/TAX/tax-office';

let t: TestPlatform;
let seeded: SeededDemo;
let call: ReturnType<typeof caller>;
let tax: string;
let mohAdmin: string;
let regAdmin: string;
let regDeath: string;
let taxDeath: string;

beforeAll(async () => {
  t = await startTestPlatform('subsown');
  call = caller(t.platform.url);
  // Nothing is published in this file: no endpoint is ever called.
  seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  const member = await call('POST', `${ADMIN}/members`, { key: t.adminKey, body: { instance: 'DEV', memberClass: 'GOV', memberCode: 'TAX', name: 'Tax Office' } });
  tax = String((await call('POST', `${ADMIN}/members/${String(member.body.id)}/applications`, { key: t.adminKey, body: { code: 'tax-office' } })).body.apiKey);
  const death = { eventType: 'death', schema: { type: 'object', properties: { personId: { type: 'string' } }, additionalProperties: false } };
  expect((await call('POST', `${DEMO.roomPath}/api/v1/eventType`, { key: t.adminKey, client: DEMO.publisherClient, body: death })).status).toBe(200);
  mohAdmin = await memberAdminKey(t.platform, 'DEV', 'GOV', 'MOH');
  regAdmin = await memberAdminKey(t.platform, 'DEV', 'GOV', 'REG');
  const a = await call('POST', `${SUBS}/death`, { key: seeded.subscriberKey, client: REG, body: { eventType: 'death', options: { pushUrl: 'http://127.0.0.1:9/reg' } } });
  const b = await call('POST', `${SUBS}/death`, { key: tax, client: TAX, body: { eventType: 'death', delivery: 'PULL' } });
  regDeath = String(a.body.id);
  taxDeath = String(b.body.id);
});

afterAll(async () => {
  await t?.cleanup();
});

/** The routing contract once the data plane holds `generation` (default: the newest one). */
async function contract(generation?: unknown): Promise<RoutingContract> {
  const latest = await t.platform.controlPlane.service.deps.db.routingGeneration.findFirstOrThrow({ orderBy: { id: 'desc' } });
  return (await t.platform.routing.waitFor(generation === undefined ? latest.id : Number(generation))).contract;
}

function expectProblem(a: Answer, status: number, code: string, fields?: string[]) {
  expect(a.contentType).toBe('application/problem+json');
  expect([a.status, a.body.code]).toEqual([status, code]);
  if (fields) expect(pointers(a)).toEqual([...fields].sort());
}

const list = (key: string | undefined, query = '') => call('GET', `${ADMIN}/rooms/${seeded.roomId}/subscriptions${query}`, { key });
const act = (key: string | undefined, id: string, action: string, body?: unknown) => call('POST', `${ADMIN}/subscriptions/${id}/${action}`, { key, ...(body ? { body } : {}) });
type Item = { id: string; status: string; subscriber: string; room: string; statusReason: string | null; eventType: string };

describe('listing a room’s subscriptions', () => {
  it('shows the owner its room’s subscriptions, filtered by status and paged', async () => {
    const pending = await list(mohAdmin, '?status=PENDING');
    expect(pending.status).toBe(200);
    const items = pending.body.subscriptions as Item[];
    expect(items.map((s) => s.id).sort()).toEqual([regDeath, taxDeath].sort());
    expect(items[0]).toMatchObject({ room: 'DEV/GOV/MOH/births', eventType: 'death', status: 'PENDING' });
    expect(JSON.stringify(pending.body)).not.toContain('whsec_');
    expect(((await list(mohAdmin, '?status=ACTIVE')).body.subscriptions as Item[]).map((s) => s.id)).toEqual([seeded.subscriptionId]);
    const first = await list(t.adminKey, '?pageSize=2');
    expect(first.body.subscriptions as Item[]).toHaveLength(2);
    const second = await list(t.adminKey, `?pageSize=2&nextPageToken=${String(first.body.nextPageToken)}`);
    expect(second.body).toMatchObject({ nextPageToken: null });
    const all = [...(first.body.subscriptions as Item[]), ...(second.body.subscriptions as Item[])].map((s) => s.id);
    expect(new Set(all)).toEqual(new Set([seeded.subscriptionId, regDeath, taxDeath]));
  });

  it('hides the room from other members (404 as for a missing room), refuses applications and anonymous callers, and bad filters', async () => {
    expectProblem(await list(regAdmin), 404, 'room.not_found');
    expectProblem(await call('GET', `${ADMIN}/rooms/room_missing/subscriptions`, { key: regAdmin }), 404, 'room.not_found');
    expectProblem(await list(seeded.publisherKey), 403, 'auth.forbidden');
    expectProblem(await list(undefined), 401, 'auth.missing_credentials');
    expectProblem(await list(mohAdmin, '?status=APPROVED&pageSize=0&x=1'), 400, 'request.validation_failed', ['/query/pageSize', '/query/status', '/query/x']);
  });
});

describe('approval', () => {
  it('gives another member’s admin and applications nothing: 404 as for a missing id, or 403 for not being an admin', async () => {
    const missing = await act(mohAdmin, 'sub_missing', 'approve');
    expectProblem(missing, 404, 'subscription.not_found');
    for (const action of ['approve', 'reject', 'pause', 'resume']) expectProblem(await act(regAdmin, regDeath, action), 404, 'subscription.not_found');
    expectProblem(await call('GET', `${ADMIN}/subscriptions/${regDeath}`, { key: regAdmin }), 404, 'subscription.not_found');
    expectProblem(await act(seeded.publisherKey, regDeath, 'approve'), 403, 'auth.forbidden');
    expectProblem(await act(seeded.subscriberKey, regDeath, 'approve'), 403, 'auth.forbidden');
    expectProblem(await act(undefined, regDeath, 'approve'), 401, 'auth.missing_credentials');
    expect(((await call('GET', `${ADMIN}/subscriptions/${regDeath}`, { key: mohAdmin })).body as Item).status).toBe('PENDING');
  });

  it('activates on the owner’s approval and puts the subscription, with its settings, into the routing contract', async () => {
    const res = await act(mohAdmin, regDeath, 'approve');
    expect(res.status).toBe(200);
    expect(res.body.subscription).toMatchObject({ id: regDeath, status: 'ACTIVE', subscriber: REG });
    const route = (await contract(res.body.generation)).subscriptions.find((s) => s.id === regDeath);
    expect(route).toMatchObject({
      status: 'ACTIVE',
      mode: 'PUSH',
      eventType: 'death',
      clientId: REG,
      pushUrl: 'http://127.0.0.1:9/reg',
      ttlSeconds: 3600,
      retry: { maxAttempts: 50, initialDelayMs: 1000, maxDelayMs: 300_000, multiplier: 2 },
      timeoutMs: 10_000,
      maxInFlight: 16,
      rateLimitPerSec: null,
      group: `${t.prefix}.sub.${regDeath}`,
    });
    // Sealed under the master key (decision 0008); it opens to the whsec_ secret.
    expect(route?.signingSecrets).toEqual([{ secret: expect.stringMatching(/^enc1:mk1:/), notAfter: null }]);
    expect(t.platform.controlPlane.service.secrets.open(regDeath, route?.signingSecrets[0]?.secret ?? '')).toMatch(/^whsec_/);
    expect((await call('GET', `${SUBS}/death`, { key: seeded.subscriberKey, client: REG })).body).toMatchObject({ status: 'ACTIVE', approvedAt: expect.any(String) });
    const again = await act(mohAdmin, regDeath, 'approve');
    expect([again.status, (again.body.subscription as Item).status]).toEqual([200, 'ACTIVE']);
  });

  it('republishes every subscriber change: PATCH reaches the routing contract, PUSH↔PULL keeps the consumer group', async () => {
    const before = (await contract()).subscriptions.find((s) => s.id === regDeath);
    const patched = await call('PATCH', `${SUBS}/death`, { key: seeded.subscriberKey, client: REG, body: { delivery: 'PULL', options: { TTL: 60, retry: { maxAttempts: 3 }, rateLimitPerSec: 10 } } });
    expect(patched.status).toBe(201);
    const after = (await contract()).subscriptions.find((s) => s.id === regDeath);
    expect(after).toMatchObject({ mode: 'PULL', ttlSeconds: 60, retry: { maxAttempts: 3 }, rateLimitPerSec: 10, group: before?.group, status: 'ACTIVE' });
    expect(t.platform.routing.current().subscriptions('PUSH').map((s) => s.id)).not.toContain(regDeath);
    expect(t.platform.routing.current().subscriptions('PULL').map((s) => s.id)).toContain(regDeath);
    await call('PATCH', `${SUBS}/death`, { key: seeded.subscriberKey, client: REG, body: { delivery: 'PUSH' } });
  });

  it('pauses and resumes an ACTIVE subscription (kept in the contract, out of delivery) and refuses them in other states', async () => {
    expectProblem(await act(mohAdmin, taxDeath, 'pause'), 409, 'subscription.invalid_state');
    expectProblem(await act(mohAdmin, taxDeath, 'resume'), 409, 'subscription.invalid_state');
    expectProblem(await act(mohAdmin, regDeath, 'pause', { reason: 'x'.repeat(501) }), 400, 'request.validation_failed', ['/reason']);
    const paused = await act(mohAdmin, regDeath, 'pause', { reason: 'endpoint maintenance' });
    expect(paused.body.subscription).toMatchObject({ status: 'PAUSED', statusReason: 'endpoint maintenance' });
    await contract(paused.body.generation);
    expect(t.platform.routing.current().contract.subscriptions.find((s) => s.id === regDeath)?.status).toBe('PAUSED');
    expect(t.platform.routing.current().subscriptions('PUSH').map((s) => s.id)).not.toContain(regDeath);
    expect((await call('GET', `${SUBS}/death`, { key: seeded.subscriberKey, client: REG })).body).toMatchObject({ status: 'PAUSED', statusReason: 'endpoint maintenance' });
    expectProblem(await act(mohAdmin, regDeath, 'approve'), 409, 'subscription.invalid_state');
    const resumed = await act(mohAdmin, regDeath, 'resume');
    expect(resumed.body.subscription).toMatchObject({ status: 'ACTIVE', statusReason: null });
    await contract(resumed.body.generation);
    expect(t.platform.routing.current().subscriptions('PUSH').map((s) => s.id)).toContain(regDeath);
  });

  it('rejects with a reason the subscriber sees, refuses a second rejection, and may approve later', async () => {
    expectProblem(await act(mohAdmin, taxDeath, 'reject', { status: 'ACTIVE' }), 400, 'request.validation_failed', ['/status']);
    const rejected = await act(mohAdmin, taxDeath, 'reject', { reason: 'not entitled to death records' });
    expect(rejected.body.subscription).toMatchObject({ status: 'DISABLED', statusReason: 'not entitled to death records' });
    expect((await call('GET', `${SUBS}/death`, { key: tax, client: TAX })).body).toMatchObject({ status: 'DISABLED', statusReason: 'not entitled to death records' });
    // A PATCH does not re-enable it: approval is the owner's.
    expect((await call('PATCH', `${SUBS}/death`, { key: tax, client: TAX, body: { options: { FIFO: true } } })).body.status).toBe('DISABLED');
    expectProblem(await act(mohAdmin, taxDeath, 'reject'), 409, 'subscription.invalid_state');
    expect(((await list(mohAdmin, '?status=DISABLED')).body.subscriptions as Item[]).map((s) => s.id)).toEqual([taxDeath]);
    const approved = await act(t.adminKey, taxDeath, 'approve');
    expect((approved.body.subscription as Item).status).toBe('ACTIVE');
  });

  it('audits approvals under the room owner’s member', async () => {
    const res = await call('GET', `${ADMIN}/audit?action=subscription.approve&outcome=SUCCESS`, { key: mohAdmin });
    const entries = res.body.entries as { target: string; member: string }[];
    expect(entries.map((e) => e.target)).toContain(regDeath);
    for (const e of entries) expect(e.member).toBe('DEV/GOV/MOH');
  });
});

describe('endpoint allowlist', () => {
  const base = `${ADMIN}/endpoint-allowlist`;
  const subscribe = (pushUrl: string) => call('POST', `${SUBS}/newBirth`, { key: tax, client: TAX, body: { eventType: 'newBirth', options: { pushUrl } } });

  it('is for the global admin only', async () => {
    expectProblem(await call('GET', base, { key: mohAdmin }), 403, 'auth.forbidden');
    expectProblem(await call('POST', base, { key: tax, body: { pattern: '10.0.0.0/8' } }), 403, 'auth.forbidden');
    expectProblem(await call('DELETE', `${base}/alw_x`, { key: regAdmin }), 403, 'auth.forbidden');
    expectProblem(await call('GET', base, {}), 401, 'auth.missing_credentials');
    expect((await call('GET', base, { key: t.adminKey })).body).toEqual({ entries: [] });
  });

  it('lifts the address policy for a listed network at write time, and only while listed', async () => {
    expectProblem(await subscribe('http://10.20.30.40/hook'), 400, 'subscription.endpoint_rejected', ['/options/pushUrl']);
    const added = await call('POST', base, { key: t.adminKey, body: { pattern: '10.1.2.3/8', reason: 'partner VPN' } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ pattern: '10.0.0.0/8', reason: 'partner VPN', createdBy: expect.stringMatching(/^global-admin key:/) });
    expectProblem(await call('POST', base, { key: t.adminKey, body: { pattern: '10.0.0.0/8' } }), 409, 'allowlist.already_exists');
    expectProblem(await call('POST', base, { key: t.adminKey, body: { pattern: 'not a host!' } }), 400, 'request.validation_failed', ['/pattern']);
    expectProblem(await call('POST', base, { key: t.adminKey, body: { pattern: '10.0.0.0/33', approved: true } }), 400, 'request.validation_failed', ['/approved']);
    expectProblem(await call('POST', base, { key: t.adminKey, body: {} }), 400, 'request.validation_failed', ['/pattern']);

    // Accepted but never delivered: the subscription stays PENDING and is removed below.
    const accepted = await subscribe('http://10.20.30.40/hook');
    expect([accepted.status, accepted.body.status]).toEqual([200, 'PENDING']);
    expectProblem(
      await call('PATCH', `${SUBS}/newBirth`, { key: tax, client: TAX, body: { options: { pushUrl: 'http://192.168.1.1/x' } } }),
      400,
      'subscription.endpoint_rejected',
      ['/options/pushUrl'],
    );
    expect((await call('DELETE', `${SUBS}/newBirth`, { key: tax, client: TAX })).status).toBe(204);

    const listed = await call('GET', base, { key: t.adminKey });
    expect((listed.body.entries as { id: string; pattern: string }[]).map((e) => e.pattern)).toEqual(['10.0.0.0/8']);
    const removed = await call('DELETE', `${base}/${String(added.body.id)}`, { key: t.adminKey });
    expect(removed.status).toBe(204);
    expectProblem(await call('DELETE', `${base}/${String(added.body.id)}`, { key: t.adminKey }), 404, 'allowlist.not_found');
    expectProblem(await subscribe('http://10.20.30.40/hook'), 400, 'subscription.endpoint_rejected', ['/options/pushUrl']);
  });

  it('refuses a block that would switch the guard off unless forced, and audits the override', async () => {
    for (const pattern of ['0.0.0.0/0', '::/0', '::/96', '64:ff9b::/96', '2002::/16', '8.0.0.0/5']) {
      const res = await call('POST', base, { key: t.adminKey, body: { pattern, reason: 'everything' } });
      expectProblem(res, 422, 'allowlist.pattern_too_broad');
    }
    expect((await call('GET', base, { key: t.adminKey })).body).toEqual({ entries: [] });
    // NAT64 and 6to4 spellings of a private address are refused like the address itself.
    for (const pushUrl of ['http://[64:ff9b::10.20.30.40]/hook', 'http://[2002:a14:1e28::1]/hook', 'http://[::10.20.30.40]/hook', 'http://[fec0::1]/hook']) {
      expectProblem(await subscribe(pushUrl), 400, 'subscription.endpoint_rejected', ['/options/pushUrl']);
    }

    const forced = await call('POST', base, { key: t.adminKey, body: { pattern: '0.0.0.0/0', reason: 'lab network', force: true } });
    expect([forced.status, forced.body.pattern]).toEqual([201, '0.0.0.0/0']);
    const audit = await call('GET', `${ADMIN}/audit?action=allowlist.add&outcome=SUCCESS`, { key: t.adminKey });
    const entry = (audit.body.entries as { target: string; detail?: Record<string, unknown> }[]).find((e) => e.target === '0.0.0.0/0');
    expect(entry?.detail).toMatchObject({ forced: true, why: expect.stringMatching(/wider than \/8/) });
    expect((await call('DELETE', `${base}/${String(forced.body.id)}`, { key: t.adminKey })).status).toBe(204);
  });
});
