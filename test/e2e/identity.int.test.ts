/**
 * Members and applications against the real services: direct registration, the GovStack
 * apply/approve flow, lists and lookups, and who may do what — anonymous, another member's
 * admin, the member's admin, an application and a global admin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, seedDemo } from '../../scripts/lib/demo.ts';
import { type Api, apiAs, outcome } from '../support/api-as.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

const A = '/api/admin/v1';
let t: TestPlatform;
let admin: Api;
let anonymous: Api;
let mohAdmin: Api;
let regAdmin: Api;
let app: Api;
let moh: { id: string };
let reg: { id: string };
let clinic: { id: string };

beforeAll(async () => {
  t = await startTestPlatform('identity');
  const seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  admin = apiAs(t.platform.url, t.adminKey);
  anonymous = apiAs(t.platform.url, undefined);
  app = apiAs(t.platform.url, seeded.publisherKey);
  const members = (await admin('GET', `${A}/members`)).body.members as Array<{ id: string; member: string }>;
  moh = members.find((m) => m.member === 'DEV/GOV/MOH') as { id: string };
  reg = members.find((m) => m.member === 'DEV/GOV/REG') as { id: string };
  mohAdmin = apiAs(t.platform.url, (await admin('POST', `${A}/members/${moh.id}/keys`, { label: 'moh ops' })).body.apiKey);
  regAdmin = apiAs(t.platform.url, (await admin('POST', `${A}/members/${reg.id}/keys`)).body.apiKey);
  clinic = (await admin('GET', `${A}/applications?memberId=${moh.id}`)).body.applications.find((a: { code: string }) => a.code === DEMO.publisherApp);
});

afterAll(async () => {
  await t?.cleanup();
});

describe('direct registration by a global admin', () => {
  it('creates an APPROVED member once, and refuses everyone else', async () => {
    const body = { instance: 'DEV', memberClass: 'COM', memberCode: 'ACME', name: 'Acme Ltd' };
    const created = await admin('POST', `${A}/members`, body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...body, member: 'DEV/COM/ACME', status: 'APPROVED' });
    expect(outcome(await admin('POST', `${A}/members`, body))).toEqual([409, 'member.already_exists']);
    expect(outcome(await mohAdmin('POST', `${A}/members`, { ...body, memberCode: 'X1' }))).toEqual([403, 'auth.forbidden']);
    expect(outcome(await app('POST', `${A}/members`, { ...body, memberCode: 'X2' }))).toEqual([403, 'auth.forbidden']);
    expect(outcome(await anonymous('POST', `${A}/members`, { ...body, memberCode: 'X3' }))).toEqual([401, 'auth.missing_credentials']);
  });

  it('refuses bad input naming each field, and changes nothing', async () => {
    const bad = await admin('POST', `${A}/members`, { instance: 'DEV', memberClass: 'G O V', memberCode: 'X', name: 'n'.repeat(201), status: 'APPROVED' });
    expect(outcome(bad)).toEqual([400, 'request.validation_failed']);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/memberClass', '/name', '/status']);
    expect((await admin('GET', `${A}/members`)).body.members.some((m: { memberCode: string }) => m.memberCode === 'X')).toBe(false);
  });

  it('creates an APPROVED application whose key works at once', async () => {
    const res = await admin('POST', `${A}/members/${moh.id}/applications`, { code: 'lab-direct', name: 'Lab' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ clientId: 'DEV/GOV/MOH/lab-direct', status: 'APPROVED', name: 'Lab' });
    expect((await apiAs(t.platform.url, res.body.apiKey)('GET', `${A}/me`)).body).toMatchObject({ role: 'APPLICATION', clientId: 'DEV/GOV/MOH/lab-direct', member: 'DEV/GOV/MOH' });
    expect(outcome(await admin('POST', `${A}/members/${moh.id}/applications`, { code: 'lab-direct' }))).toEqual([409, 'application.already_exists']);
  });
});

describe('a member applies, a global admin approves', () => {
  const applicant = { instance: 'DEV', memberClass: 'GOV', memberCode: 'EDU', name: 'Ministry of Education' };

  it('registers a PENDING member whose key works only after approval', async () => {
    const applied = await anonymous('POST', `${A}/members/apply`, { ...applicant, label: 'first admin' });
    expect(applied.status).toBe(201);
    expect(applied.body).toMatchObject({ member: 'DEV/GOV/EDU', status: 'PENDING' });
    expect(applied.body.apiKey).toMatch(/^rck_[A-Za-z0-9_-]{43}$/);
    const edu = apiAs(t.platform.url, applied.body.apiKey);
    expect(outcome(await edu('GET', `${A}/me`))).toEqual([403, 'auth.not_approved']);
    expect(outcome(await anonymous('POST', `${A}/members/apply`, applicant))).toEqual([409, 'member.already_exists']);
    expect((await admin('GET', `${A}/members?status=PENDING`)).body.members.map((m: { member: string }) => m.member)).toEqual(['DEV/GOV/EDU']);

    expect(outcome(await mohAdmin('POST', `${A}/members/${applied.body.id}/approve`))).toEqual([403, 'auth.forbidden']);
    expect(outcome(await app('POST', `${A}/members/${applied.body.id}/approve`))).toEqual([403, 'auth.forbidden']);
    expect(outcome(await anonymous('POST', `${A}/members/${applied.body.id}/approve`))).toEqual([401, 'auth.missing_credentials']);
    const approved = await admin('POST', `${A}/members/${applied.body.id}/approve`);
    expect(approved.body).toMatchObject({ id: applied.body.id, status: 'APPROVED' });
    expect((await edu('GET', `${A}/me`)).body).toEqual({ role: 'MEMBER_ADMIN', keyId: applied.body.keyId, member: 'DEV/GOV/EDU' });
    expect(outcome(await admin('POST', `${A}/members/${applied.body.id}/approve`))).toEqual([200]);
    expect(outcome(await admin('POST', `${A}/members/${applied.body.id}/reject`))).toEqual([409, 'member.invalid_state']);
  });

  it('rejects with a reason, revokes the key, and lets the member apply again', async () => {
    const applied = await anonymous('POST', `${A}/members/apply`, { ...applicant, memberCode: 'SPAM', name: 'Squatter' });
    const rejected = await admin('POST', `${A}/members/${applied.body.id}/reject`, { reason: 'not a government body' });
    expect(rejected.body.status).toBe('REJECTED');
    expect(outcome(await apiAs(t.platform.url, applied.body.apiKey)('GET', `${A}/me`))).toEqual([401, 'auth.invalid_credentials']);
    expect(outcome(await admin('POST', `${A}/members/${applied.body.id}/approve`))).toEqual([409, 'member.invalid_state']);
    const again = await anonymous('POST', `${A}/members/apply`, { ...applicant, memberCode: 'SPAM', name: 'Sports Agency' });
    expect(again.body).toMatchObject({ id: applied.body.id, status: 'PENDING', name: 'Sports Agency' });

    const audit = (await admin('GET', `${A}/audit?target=${applied.body.id}`)).body.entries as Array<Record<string, unknown>>;
    // Newest first; the refused approval is recorded as a failure with its code.
    expect(audit.map((e) => [e.action, e.actorRole, e.outcome, e.code])).toEqual([
      ['member.apply', 'ANONYMOUS', 'SUCCESS', null],
      ['member.approve', 'GLOBAL_ADMIN', 'FAILURE', 'member.invalid_state'],
      ['member.reject', 'GLOBAL_ADMIN', 'SUCCESS', null],
      ['member.apply', 'ANONYMOUS', 'SUCCESS', null],
    ]);
    expect(audit[2]).toMatchObject({ member: 'DEV/GOV/SPAM', detail: { reason: 'not a government body' } });
    expect(JSON.stringify(audit)).not.toContain(applied.body.apiKey);
  });

  it('refuses applications that try to set their own status or role', async () => {
    const res = await anonymous('POST', `${A}/members/apply`, { ...applicant, memberCode: 'SNEAK', status: 'APPROVED', role: 'GLOBAL_ADMIN' });
    expect(outcome(res)).toEqual([400, 'request.validation_failed']);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/role', '/status']);
    expect(outcome(await admin('POST', `${A}/members/mem_unknown/approve`))).toEqual([404, 'member.not_found']);
  });
});

describe('a member admin applies for an application, a global admin decides', () => {
  it('keeps the application PENDING, its key out of the data plane, until approval', async () => {
    const applied = await mohAdmin('POST', `${A}/members/${moh.id}/applications`, { code: 'lab', label: 'lab server' });
    expect(applied.status).toBe(201);
    expect(applied.body).toMatchObject({ clientId: 'DEV/GOV/MOH/lab', status: 'PENDING' });
    const lab = apiAs(t.platform.url, applied.body.apiKey);
    expect(outcome(await lab('GET', `${A}/me`))).toEqual([403, 'auth.not_approved']);
    const asLab = { client: 'DEV/GOV/MOH/lab' };
    expect((await publish(t.platform.url, applied.body.apiKey, DEMO.sampleEvent, asLab)).status).toBe(401);
    expect((await admin('GET', `${A}/applications?status=PENDING`)).body.applications.map((a: { clientId: string }) => a.clientId)).toEqual(['DEV/GOV/MOH/lab']);

    expect(outcome(await mohAdmin('POST', `${A}/applications/${applied.body.id}/approve`))).toEqual([403, 'auth.forbidden']);
    expect((await admin('POST', `${A}/applications/${applied.body.id}/approve`)).body.status).toBe('APPROVED');
    expect((await lab('GET', `${A}/me`)).body).toMatchObject({ role: 'APPLICATION', clientId: 'DEV/GOV/MOH/lab' });
    // Authenticated at the ingress now: refused for lack of a publisher contract, not for the key.
    await expect.poll(async () => (await publish(t.platform.url, applied.body.apiKey, DEMO.sampleEvent, asLab)).body.code).toBe('publish.not_allowed');
    expect(outcome(await admin('POST', `${A}/applications/${applied.body.id}/reject`))).toEqual([409, 'application.invalid_state']);
  });

  it('rejects, revoking its key, and accepts a new application under the same code', async () => {
    const applied = await mohAdmin('POST', `${A}/members/${moh.id}/applications`, { code: 'tmp' });
    expect((await admin('POST', `${A}/applications/${applied.body.id}/reject`, { reason: 'duplicate' })).body.status).toBe('REJECTED');
    expect(outcome(await apiAs(t.platform.url, applied.body.apiKey)('GET', `${A}/me`))).toEqual([401, 'auth.invalid_credentials']);
    expect(outcome(await mohAdmin('POST', `${A}/applications/${applied.body.id}/keys`))).toEqual([409, 'application.invalid_state']);
    const again = await mohAdmin('POST', `${A}/members/${moh.id}/applications`, { code: 'tmp' });
    expect(again.body).toMatchObject({ id: applied.body.id, status: 'PENDING' });
  });

  it('lets a global admin register an application under a PENDING member; its key waits for the member', async () => {
    const pending = await anonymous('POST', `${A}/members/apply`, { instance: 'DEV', memberClass: 'GOV', memberCode: 'TAX', name: 'Tax Office' });
    const created = await admin('POST', `${A}/members/${pending.body.id}/applications`, { code: 'portal' });
    expect(created.body.status).toBe('APPROVED');
    const portal = apiAs(t.platform.url, created.body.apiKey);
    expect(outcome(await portal('GET', `${A}/me`))).toEqual([403, 'auth.not_approved']);
    expect(t.platform.routing.current().application('DEV/GOV/TAX/portal')).toBeUndefined();
    await admin('POST', `${A}/members/${pending.body.id}/approve`);
    expect(outcome(await portal('GET', `${A}/me`))).toEqual([200]);
    await expect.poll(() => t.platform.routing.current().application('DEV/GOV/TAX/portal')).toEqual({ clientId: 'DEV/GOV/TAX/portal', member: 'DEV/GOV/TAX' });
  });

  it("refuses another member's admin, applications and bad bodies", async () => {
    expect(outcome(await regAdmin('POST', `${A}/members/${moh.id}/applications`, { code: 'evil' }))).toEqual([404, 'member.not_found']);
    expect(outcome(await app('POST', `${A}/members/${moh.id}/applications`, { code: 'evil' }))).toEqual([403, 'auth.forbidden']);
    const bad = await mohAdmin('POST', `${A}/members/${moh.id}/applications`, { code: '-bad/code', status: 'APPROVED' });
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/code', '/status']);
  });
});

describe('lists and lookups', () => {
  it('shows a global admin everything and a member admin only its own member', async () => {
    const all = (await admin('GET', `${A}/members`)).body.members.map((m: { member: string }) => m.member);
    expect(all).toEqual(expect.arrayContaining(['DEV/GOV/MOH', 'DEV/GOV/REG', 'DEV/COM/ACME']));
    expect((await mohAdmin('GET', `${A}/members`)).body.members.map((m: { member: string }) => m.member)).toEqual(['DEV/GOV/MOH']);
    const apps = (await mohAdmin('GET', `${A}/applications`)).body.applications.map((a: { clientId: string }) => a.clientId);
    expect(apps.length).toBeGreaterThan(0);
    expect(apps.every((c: string) => c.startsWith('DEV/GOV/MOH/'))).toBe(true);
    expect((await regAdmin('GET', `${A}/applications?memberId=${moh.id}`)).body.applications).toEqual([]);
  });

  it('pages through the same list in pages', async () => {
    const all = (await admin('GET', `${A}/members?pageSize=500`)).body;
    expect(all.nextPageToken).toBeNull();
    const paged: string[] = [];
    let token: string | null = null;
    do {
      const page = await admin('GET', `${A}/members?pageSize=2${token ? `&nextPageToken=${token}` : ''}`);
      expect(page.body.members.length).toBeLessThanOrEqual(2);
      paged.push(...page.body.members.map((m: { id: string }) => m.id));
      token = page.body.nextPageToken;
    } while (token);
    expect(paged).toEqual(all.members.map((m: { id: string }) => m.id));
    expect(outcome(await admin('GET', `${A}/members?pageSize=0`))).toEqual([400, 'request.validation_failed']);
    expect(outcome(await admin('GET', `${A}/members?status=MAYBE`))).toEqual([400, 'request.validation_failed']);
  });

  it("answers another member's ids exactly like unknown ones", async () => {
    const foreign = await regAdmin('GET', `${A}/members/${moh.id}`);
    const unknown = await regAdmin('GET', `${A}/members/mem_doesnotexist`);
    expect([outcome(foreign), foreign.body.title]).toEqual([outcome(unknown), unknown.body.title]);
    expect(outcome(foreign)).toEqual([404, 'member.not_found']);
    expect(outcome(await regAdmin('GET', `${A}/applications/${clinic.id}`))).toEqual([404, 'application.not_found']);
    expect(outcome(await regAdmin('GET', `${A}/members/${moh.id}/applications`))).toEqual([404, 'member.not_found']);
    expect((await mohAdmin('GET', `${A}/applications/${clinic.id}`)).body.clientId).toBe(DEMO.publisherClient);
  });
});

describe('who may call each identity route', () => {
  it('answers each caller as the access rules say', async () => {
    // Read-only routes and refusals only: the flows above cover each successful change.
    const routes: Array<[string, string, Record<string, number>, unknown?]> = [
      ['GET', `${A}/members`, { anonymous: 401, application: 403, otherAdmin: 200, memberAdmin: 200, globalAdmin: 200 }],
      ['GET', `${A}/members/${moh.id}`, { anonymous: 401, application: 403, otherAdmin: 404, memberAdmin: 200, globalAdmin: 200 }],
      ['GET', `${A}/members/${moh.id}/applications`, { anonymous: 401, application: 403, otherAdmin: 404, memberAdmin: 200, globalAdmin: 200 }],
      ['GET', `${A}/applications`, { anonymous: 401, application: 403, otherAdmin: 200, memberAdmin: 200, globalAdmin: 200 }],
      ['GET', `${A}/applications/${clinic.id}`, { anonymous: 401, application: 403, otherAdmin: 404, memberAdmin: 200, globalAdmin: 200 }],
      ['GET', `${A}/applications/${clinic.id}/keys`, { anonymous: 401, application: 403, otherAdmin: 404, memberAdmin: 200, globalAdmin: 200 }],
      ['GET', `${A}/members/${moh.id}/keys`, { anonymous: 401, application: 403, otherAdmin: 403, memberAdmin: 403, globalAdmin: 200 }],
      ['GET', `${A}/admin-keys`, { anonymous: 401, application: 403, otherAdmin: 403, memberAdmin: 403, globalAdmin: 200 }],
      ['GET', `${A}/me`, { anonymous: 401, application: 200, otherAdmin: 200, memberAdmin: 200, globalAdmin: 200 }],
      ['POST', `${A}/members/${moh.id}/approve`, { anonymous: 401, application: 403, otherAdmin: 403, memberAdmin: 403, globalAdmin: 200 }],
      ['POST', `${A}/applications/${clinic.id}/approve`, { anonymous: 401, application: 403, otherAdmin: 403, memberAdmin: 403, globalAdmin: 200 }],
      ['POST', `${A}/members/${moh.id}/keys`, { anonymous: 401, application: 403, otherAdmin: 403, memberAdmin: 403 }],
      ['POST', `${A}/admin-keys`, { anonymous: 401, application: 403, otherAdmin: 403, memberAdmin: 403 }],
      ['POST', `${A}/applications/${clinic.id}/keys`, { anonymous: 401, application: 403, otherAdmin: 404 }],
      ['POST', `${A}/members/${moh.id}/applications`, { anonymous: 401, application: 403, otherAdmin: 404 }, { code: 'matrix' }],
    ];
    const callers: Record<string, Api> = { anonymous, application: app, otherAdmin: regAdmin, memberAdmin: mohAdmin, globalAdmin: admin };
    const seen: string[] = [];
    const wanted: string[] = [];
    for (const [method, path, expected, body] of routes) {
      for (const [who, status] of Object.entries(expected)) {
        const res = await (callers[who] as Api)(method, path, method === 'POST' ? (body ?? {}) : undefined);
        seen.push(`${method} ${path} as ${who}: ${res.status}`);
        wanted.push(`${method} ${path} as ${who}: ${status}`);
      }
    }
    expect(seen).toEqual(wanted);
  });
});
