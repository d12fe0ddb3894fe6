/**
 * API keys against the real services: issued once and stored as a hash, listed without secrets,
 * revoked so that the control plane and the ingress stop accepting them, and last used as
 * recorded by whichever process authenticated the key.
 */
import { hashApiKey } from '@roomcast/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, seedDemo } from '../../scripts/lib/demo.ts';
import { type Api, apiAs, outcome } from '../support/api-as.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

const A = '/api/admin/v1';
let t: TestPlatform;
let admin: Api;
let mohAdmin: Api;
let regAdmin: Api;
let publisherKey: string;
let moh: { id: string };
let reg: { id: string };
let clinic: { id: string };

beforeAll(async () => {
  t = await startTestPlatform('apikeys');
  const seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  publisherKey = seeded.publisherKey;
  admin = apiAs(t.platform.url, t.adminKey);
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

const db = () => t.platform.controlPlane.service.deps.db;

describe('issuing', () => {
  it('returns a prefixed 256-bit key once and stores only its SHA-256', async () => {
    const res = await admin('POST', `${A}/members/${moh.id}/keys`, { label: 'night shift' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ role: 'MEMBER_ADMIN', memberId: moh.id, applicationId: null, label: 'night shift', lastUsedAt: null, revokedAt: null });
    expect(res.body.apiKey).toMatch(/^rck_[A-Za-z0-9_-]{43}$/);
    expect(res.body.apiKey.startsWith(res.body.prefix)).toBe(true);
    const row = await db().apiKey.findUniqueOrThrow({ where: { id: res.body.id } });
    expect(row.hash).toBe(hashApiKey(res.body.apiKey));
    expect(JSON.stringify(row)).not.toContain(res.body.apiKey);

    const listed = (await admin('GET', `${A}/members/${moh.id}/keys`)).body.keys as Array<Record<string, unknown>>;
    const mine = listed.find((k) => k.id === res.body.id);
    expect(Object.keys(mine ?? {}).sort()).toEqual(['applicationId', 'createdAt', 'id', 'label', 'lastUsedAt', 'memberId', 'prefix', 'revokedAt', 'role']);
    expect(JSON.stringify(listed)).not.toContain(row.hash);
  });

  it("lets a member admin manage its applications' keys, and nobody else's", async () => {
    const issued = await mohAdmin('POST', `${A}/applications/${clinic.id}/keys`, { label: 'second' });
    expect(issued.body).toMatchObject({ role: 'APPLICATION', applicationId: clinic.id, memberId: moh.id });
    expect((await apiAs(t.platform.url, issued.body.apiKey)('GET', `${A}/me`)).body).toMatchObject({ role: 'APPLICATION', clientId: DEMO.publisherClient });
    expect((await mohAdmin('GET', `${A}/applications/${clinic.id}/keys`)).body.keys.map((k: { label: string | null }) => k.label)).toEqual([null, 'second']);
    expect(outcome(await regAdmin('POST', `${A}/applications/${clinic.id}/keys`))).toEqual([404, 'application.not_found']);
    expect(outcome(await regAdmin('GET', `${A}/applications/${clinic.id}/keys`))).toEqual([404, 'application.not_found']);
    expect(outcome(await apiAs(t.platform.url, publisherKey)('POST', `${A}/applications/${clinic.id}/keys`))).toEqual([403, 'auth.forbidden']);
    expect(outcome(await mohAdmin('POST', `${A}/applications/${clinic.id}/keys`, { label: '', hash: 'x' }))).toEqual([400, 'request.validation_failed']);
  });

  it('issues global-admin keys to global admins only', async () => {
    const issued = await admin('POST', `${A}/admin-keys`, { label: 'ci' });
    expect(issued.body.role).toBe('GLOBAL_ADMIN');
    expect(outcome(await apiAs(t.platform.url, issued.body.apiKey)('GET', `${A}/members`))).toEqual([200]);
    const labels = (await admin('GET', `${A}/admin-keys`)).body.keys.map((k: { label: string }) => k.label);
    expect(labels).toEqual(['bootstrap (ROOMCAST_BOOTSTRAP_ADMIN_KEY)', 'ci']);
    expect(outcome(await mohAdmin('POST', `${A}/admin-keys`))).toEqual([403, 'auth.forbidden']);
    expect(outcome(await mohAdmin('POST', `${A}/members/${moh.id}/keys`))).toEqual([403, 'auth.forbidden']);
  });
});

describe('revoking', () => {
  it('stops the ingress and the control plane from accepting the key', async () => {
    const issued = await mohAdmin('POST', `${A}/applications/${clinic.id}/keys`, { label: 'to revoke' });
    await expect.poll(async () => (await publish(t.platform.url, issued.body.apiKey, DEMO.sampleEvent)).status).toBe(201);
    const revoked = await mohAdmin('POST', `${A}/keys/${issued.body.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    // The revocation republished the contract before answering; the in-process follower gets it within milliseconds.
    await expect.poll(async () => (await publish(t.platform.url, issued.body.apiKey, DEMO.sampleEvent)).body.code, { timeout: 2_000 }).toBe('auth.invalid_credentials');
    expect(t.platform.routing.current().contract.principals.some((p) => p.keyId === issued.body.id)).toBe(false);
    expect(outcome(await apiAs(t.platform.url, issued.body.apiKey)('GET', `${A}/me`))).toEqual([401, 'auth.invalid_credentials']);
    const again = await mohAdmin('POST', `${A}/keys/${issued.body.id}/revoke`);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
    // The other keys of the application still work.
    expect((await publish(t.platform.url, publisherKey, DEMO.sampleEvent)).status).toBe(201);
  });

  it('answers keys the caller may not manage exactly like unknown ones', async () => {
    const clinicKey = (await admin('POST', `${A}/applications/${clinic.id}/keys`)).body.id;
    const mohAdminKey = (await admin('POST', `${A}/members/${moh.id}/keys`)).body.id;
    const globalKey = (await admin('POST', `${A}/admin-keys`)).body.id;
    for (const [caller, keyId] of [
      [regAdmin, clinicKey],
      [mohAdmin, mohAdminKey],
      [mohAdmin, globalKey],
      [mohAdmin, 'key_unknown'],
    ] as Array<[Api, string]>) {
      expect(outcome(await caller('POST', `${A}/keys/${keyId}/revoke`))).toEqual([404, 'api_key.not_found']);
    }
    expect(outcome(await apiAs(t.platform.url, publisherKey)('POST', `${A}/keys/${clinicKey}/revoke`))).toEqual([403, 'auth.forbidden']);
    expect(outcome(await apiAs(t.platform.url, undefined)('POST', `${A}/keys/${clinicKey}/revoke`))).toEqual([401, 'auth.missing_credentials']);
    expect((await db().apiKey.findMany({ where: { id: { in: [clinicKey, mohAdminKey, globalKey] }, revokedAt: { not: null } } })).length).toBe(0);
    for (const keyId of [clinicKey, mohAdminKey, globalKey]) expect((await admin('POST', `${A}/keys/${keyId}/revoke`)).body.revokedAt).not.toBeNull();
  });

  it('refuses to revoke the last active global-admin key, even when two revocations race', async () => {
    const me = (await admin('GET', `${A}/me`)).body.keyId as string;
    const activeAdmins = () => db().apiKey.findMany({ where: { role: 'GLOBAL_ADMIN', revokedAt: null }, select: { id: true } });
    for (const { id } of await activeAdmins()) if (id !== me) expect((await admin('POST', `${A}/keys/${id}/revoke`)).status).toBe(200);
    expect(outcome(await admin('POST', `${A}/keys/${me}/revoke`))).toEqual([409, 'api_key.last_global_admin']);

    // Two admins revoke each other at the same moment: one revocation wins, the other is refused.
    const second = await admin('POST', `${A}/admin-keys`, { label: 'second operator' });
    const other = apiAs(t.platform.url, second.body.apiKey);
    await expect.poll(async () => (await other('GET', `${A}/me`)).status).toBe(200);
    const answers = await Promise.all([admin('POST', `${A}/keys/${second.body.id}/revoke`), other('POST', `${A}/keys/${me}/revoke`)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(await activeAdmins()).toHaveLength(1);
    const survivor = answers[0]?.status === 200 ? admin : other;
    expect((await survivor('GET', `${A}/me`)).status).toBe(200);
    if (survivor === other) {
      // The bootstrap key lost: restore it for the tests below, as a restart would.
      await db().apiKey.update({ where: { id: me }, data: { revokedAt: null } });
      await t.platform.controlPlane.service.deps.routing.republish('test: bootstrap key restored');
      await expect.poll(async () => (await admin('GET', `${A}/me`)).status).toBe(200);
    }
  });

  it('records issue and revocation in the audit log without the key', async () => {
    const issued = await mohAdmin('POST', `${A}/applications/${clinic.id}/keys`, { label: 'audited' });
    await mohAdmin('POST', `${A}/keys/${issued.body.id}/revoke`);
    const entries = (await mohAdmin('GET', `${A}/audit?target=${issued.body.id}`)).body.entries as Array<Record<string, unknown>>;
    expect(entries.map((e) => [e.action, e.member, e.outcome])).toEqual([
      ['api_key.revoke', 'DEV/GOV/MOH', 'SUCCESS'],
      ['api_key.issue', 'DEV/GOV/MOH', 'SUCCESS'],
    ]);
    expect(entries[1]?.detail).toEqual({ role: 'APPLICATION', owner: DEMO.publisherClient, label: 'audited' });
    expect(JSON.stringify(entries)).not.toContain(issued.body.apiKey);
  });
});

describe('last used', () => {
  const lastUsed = async (list: string, keyId: string) =>
    ((await admin('GET', list)).body.keys as Array<{ id: string; lastUsedAt: string | null }>).find((k) => k.id === keyId)?.lastUsedAt ?? null;

  it('appears after a publish at the ingress, and is persisted when listed', async () => {
    const issued = await admin('POST', `${A}/applications/${clinic.id}/keys`, { label: 'publisher' });
    const list = `${A}/applications/${clinic.id}/keys`;
    expect(await lastUsed(list, issued.body.id)).toBeNull();
    const before = Date.now();
    await expect.poll(async () => (await publish(t.platform.url, issued.body.apiKey, DEMO.sampleEvent)).status).toBe(201);
    await expect.poll(() => lastUsed(list, issued.body.id)).not.toBeNull();
    const at = Date.parse((await lastUsed(list, issued.body.id)) as string);
    expect(at).toBeGreaterThanOrEqual(before - 5);
    expect(at).toBeLessThanOrEqual(Date.now());
    expect((await db().apiKey.findUniqueOrThrow({ where: { id: issued.body.id } })).lastUsedAt?.getTime()).toBe(at);
  });

  it('appears after a control-plane call, and survives revocation', async () => {
    const issued = await admin('POST', `${A}/members/${moh.id}/keys`, { label: 'caller' });
    await apiAs(t.platform.url, issued.body.apiKey)('GET', `${A}/members`);
    await expect.poll(() => lastUsed(`${A}/members/${moh.id}/keys`, issued.body.id)).not.toBeNull();
    const issued2 = await admin('POST', `${A}/members/${moh.id}/keys`, { label: 'revoked after use' });
    await apiAs(t.platform.url, issued2.body.apiKey)('GET', `${A}/me`);
    await expect.poll(async () => (await t.platform.runtime.redis.hget(t.platform.runtime.keys.apiKeyLastUsed, issued2.body.id)) !== null).toBe(true);
    const revoked = await admin('POST', `${A}/keys/${issued2.body.id}/revoke`);
    expect(revoked.body.lastUsedAt).not.toBeNull();
    expect(await t.platform.runtime.redis.hget(t.platform.runtime.keys.apiKeyLastUsed, issued2.body.id)).toBeNull();
  });
});
