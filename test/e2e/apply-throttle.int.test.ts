/**
 * The anonymous member application is throttled: at most ROOMCAST_APPLY_PER_HOUR per client
 * network (here 3 from 127.0.0.1), and none while ROOMCAST_APPLY_MAX_PENDING members wait for a
 * decision (here 4). Refusals are 429 with Retry-After, create nothing, and add no audit row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, apiAs, outcome } from '../support/api-as.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

const A = '/api/admin/v1';
let t: TestPlatform;
let admin: Api;
let anonymous: Api;

beforeAll(async () => {
  t = await startTestPlatform('applythrottle', { ROOMCAST_APPLY_PER_HOUR: '3', ROOMCAST_APPLY_MAX_PENDING: '4' });
  admin = apiAs(t.platform.url, t.adminKey);
  anonymous = apiAs(t.platform.url, undefined);
});

afterAll(async () => {
  await t?.cleanup();
});

const applicant = (code: string) => ({ instance: 'DEV', memberClass: 'GOV', memberCode: code, name: `Agency ${code}` });
const db = () => t.platform.controlPlane.service.deps.db;
const auditRows = () => db().auditEntry.count({ where: { action: 'member.apply' } });
/** Starts a new window for this client, as the passing hour would. */
const nextWindow = () => t.platform.runtime.redis.del(t.platform.runtime.keys.applyWindow('127.0.0.1'));

describe('member applications', () => {
  it('accepts a few per client network, then answers 429 with Retry-After, creating and auditing nothing', async () => {
    const before = { members: await db().member.count(), audit: await auditRows() };
    for (const code of ['A1', 'A2']) expect((await anonymous('POST', `${A}/members/apply`, applicant(code))).status).toBe(201);
    // A bad body counts as an attempt too.
    expect(outcome(await anonymous('POST', `${A}/members/apply`, { ...applicant('A3'), status: 'APPROVED' }))).toEqual([400, 'request.validation_failed']);
    for (const body of [applicant('A4'), { not: 'even valid' }]) {
      const refused = await fetch(`${t.platform.url}${A}/members/apply`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { code: string }).code).toBe('member.apply_limited');
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(3600);
    }
    expect(await db().member.count()).toBe(before.members + 2);
    expect(await auditRows()).toBe(before.audit + 3);
    expect(await db().member.findFirst({ where: { memberCode: 'A4' } })).toBeNull();
  });

  it('refuses everyone while too many applications wait for a decision, until one is decided', async () => {
    await nextWindow();
    for (const code of ['B1', 'B2']) expect((await anonymous('POST', `${A}/members/apply`, applicant(code))).status).toBe(201);
    expect(await db().member.count({ where: { status: 'PENDING' } })).toBe(4);
    await nextWindow();
    const refused = await anonymous('POST', `${A}/members/apply`, applicant('B3'));
    expect(outcome(refused)).toEqual([429, 'member.apply_limited']);
    expect(refused.body.detail).toMatch(/await a decision/);

    const pending = await db().member.findFirstOrThrow({ where: { memberCode: 'B1' } });
    expect((await admin('POST', `${A}/members/${pending.id}/reject`, { reason: 'duplicate' })).status).toBe(200);
    expect((await anonymous('POST', `${A}/members/apply`, applicant('B3'))).status).toBe(201);
  });

  it('counts refusals in /metrics', async () => {
    const text = await (await fetch(`${t.platform.url}/metrics`)).text();
    expect(text).toMatch(/roomcast_member_apply_refused_total\{reason="address"\} 2/);
    expect(text).toMatch(/roomcast_member_apply_refused_total\{reason="pending"\} 1/);
  });
});
