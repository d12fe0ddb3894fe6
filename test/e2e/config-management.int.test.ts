/**
 * GovStack Configuration Management against the real platform: status, IMconf read/init/merge/
 * replace, and access rights mapped onto publisher contracts and subscriber grants — with the
 * data plane following each change (a right allowed lets the ingress accept, a right denied makes
 * it refuse), atomic refusals and the audit trail.
 */
import type { PrismaClient } from '@roomcast/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { caller, codeOf, memberAdminKey, pointersOf, type Reply } from '../support/directory-config.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

let t: TestPlatform;
let seeded: SeededDemo;
let db: PrismaClient;
let call: ReturnType<typeof caller>;
let mohAdmin: string;
let regAdmin: string;

interface ImConfDoc {
  domain: string;
  instance: string;
  members: Array<{ name: string; class: string; code: string; applications?: Array<{ id: string; services?: Array<{ id: string; specUrl: string; serviceUrl: string; rights: Array<{ member: string; application: string }> }> }> }>;
}

const INIT = { domain: 'dev.roomcast.example', instance: 'DEV', members: [{ name: 'District Hospital', class: 'GOV', code: 'HOSP', applications: [{ id: 'ward-1' }] }] };
const births = (rights: Array<{ member: string; application: string }>, id = 'newBirth') => ({
  name: 'Ministry of Health',
  class: 'GOV',
  code: 'MOH',
  applications: [{ id: 'births', services: [{ id, specUrl: 'https://x.example/spec', serviceUrl: 'https://x.example/svc', rights }] }],
});
const right = (serviceId: string, memberCode: string, applicationId: string) => ({
  memberClass: 'GOV',
  memberCode: 'MOH',
  applicationId: 'births',
  serviceId,
  rights: [{ memberClass: 'GOV', memberCode, applicationId }],
});

/** The routing generation named in an IMconfResponse string. */
function generationOf(r: Reply): number {
  const m = /routing generation (\d+)/.exec(String(r.body));
  if (!m) throw new Error(`no generation in ${JSON.stringify(r.body)}`);
  return Number(m[1]);
}

const registryPublishes = async () => (await publish(t.platform.url, seeded.subscriberKey, DEMO.sampleEvent, { client: DEMO.subscriberClient })).status;
const clinicPublishes = async () => (await publish(t.platform.url, seeded.publisherKey, DEMO.sampleEvent)).status;

beforeAll(async () => {
  t = await startTestPlatform('conf');
  seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  await t.platform.routing.waitFor(seeded.generation);
  db = t.platform.controlPlane.service.deps.db;
  await db.application.updateMany({ data: { status: 'APPROVED' } });
  mohAdmin = await memberAdminKey(db, 'DEV', 'GOV', 'MOH');
  regAdmin = await memberAdminKey(db, 'DEV', 'GOV', 'REG');
  call = caller(t.platform.url);
});

afterAll(async () => {
  await t?.cleanup();
});

describe('configuration', () => {
  it('reports not configured until the first POST', async () => {
    const status = await call('GET', '/api/v1/status', { key: t.adminKey });
    expect([status.status, codeOf(status)]).toEqual([409, 'config.not_configured']);
    const config = await call('GET', '/api/v1/config', { key: t.adminKey });
    expect([config.status, codeOf(config)]).toEqual([409, 'config.not_configured']);
    const patch = await call('PATCH', '/api/v1/config', { key: t.adminKey, body: INIT });
    expect([patch.status, codeOf(patch), pointersOf(patch)]).toEqual([400, 'config.invalid', ['']]);
  });

  it('is for global admins only', async () => {
    expect((await call('POST', '/api/v1/config', { body: INIT })).status).toBe(401);
    for (const key of [mohAdmin, seeded.publisherKey]) {
      const r = await call('POST', '/api/v1/config', { key, body: INIT });
      expect([r.status, codeOf(r)]).toEqual([403, 'auth.forbidden']);
      expect((await call('GET', '/api/v1/config', { key })).status).toBe(403);
      expect((await call('GET', '/api/v1/status', { key })).status).toBe(403);
    }
  });

  it('refuses unknown fields and malformed documents, naming the field', async () => {
    const r = await call('POST', '/api/v1/config', { key: t.adminKey, body: { ...INIT, members: [{ ...INIT.members[0], approved: true }], owner: 'x' } });
    expect([r.status, codeOf(r)]).toEqual([400, 'request.validation_failed']);
    expect(pointersOf(r).sort()).toEqual(['/members/0/approved', '/owner']);
    const noInstance = await call('POST', '/api/v1/config', { key: t.adminKey, body: { domain: 'x.example' } });
    expect(pointersOf(noInstance)).toEqual(['/instance']);
    const long = await call('POST', '/api/v1/config', { key: t.adminKey, body: { ...INIT, members: [{ name: 'x'.repeat(300), class: 'GOV', code: 'X' }] } });
    expect(pointersOf(long)).toEqual(['/members/0/name']);
    const notJson = await call('POST', '/api/v1/config', { key: t.adminKey, rawBody: '{"domain":' });
    expect([notJson.status, codeOf(notJson)]).toEqual([400, 'request.invalid_json']);
    const yaml = await fetch(`${t.platform.url}/api/v1/config`, { method: 'POST', headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'text/yaml' }, body: 'domain: x.example\ninstance: DEV\n' });
    expect(yaml.status).toBe(415);
  });

  it('POST initialises the instance and creates described members and applications', async () => {
    const r = await call('POST', '/api/v1/config?init=true', { key: t.adminKey, body: INIT });
    expect(r.status).toBe(201);
    expect(r.body).toMatch(/^configuration applied: routing generation \d+; .*membersCreated 1.*applicationsCreated 1/);
    const app = await db.application.findUnique({ where: { clientId: 'DEV/GOV/HOSP/ward-1' }, include: { member: true } });
    expect([app?.status, app?.member.status, app?.member.name]).toEqual(['APPROVED', 'APPROVED', 'District Hospital']);
    const again = await call('POST', '/api/v1/config', { key: t.adminKey, body: INIT });
    expect([again.status, codeOf(again)]).toEqual([400, 'config.invalid']);
  });

  it('answers status once configured and every dependency answers', async () => {
    const r = await call('GET', '/api/v1/status', { key: t.adminKey });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'OK', instance: 'DEV', domain: 'dev.roomcast.example', checks: { kafka: 'ok', registry: 'ok', redis: 'ok', postgres: 'ok' } });
  });

  it('GET describes members, applications, rooms and their services with rights', async () => {
    const r = await call('GET', '/api/v1/config', { key: t.adminKey });
    expect(r.status).toBe(200);
    const conf = r.body as ImConfDoc;
    expect(conf.members.map((m) => `${m.class}/${m.code}`)).toEqual(['GOV/HOSP', 'GOV/MOH', 'GOV/REG']);
    const moh = conf.members.find((m) => m.code === 'MOH');
    const room = moh?.applications?.find((a) => a.id === 'births');
    expect(room?.services?.map((s) => s.id)).toEqual(['newBirth', 'sub:newBirth']);
    expect(room?.services?.[0]).toEqual({
      id: 'newBirth',
      specUrl: `${t.platform.url}${DEMO.roomPath}/getOpenAPI?serviceCode=newBirth`,
      serviceUrl: `${t.platform.url}${DEMO.roomPath}/pub/v1/newBirth`,
      rights: [{ member: 'GOV/MOH', application: 'clinic-a' }],
    });
    // The specUrl answers with the service's OpenAPI document.
    const spec = await fetch(room?.services?.[0]?.specUrl ?? '', { headers: { authorization: `Bearer ${seeded.subscriberKey}`, 'x-govstack-client': DEMO.subscriberClient } });
    expect(spec.status).toBe(200);
  });

  it('refuses a document it cannot apply as a whole, and writes nothing of it', async () => {
    const r = await call('PATCH', '/api/v1/config', {
      key: t.adminKey,
      body: { ...INIT, members: [{ name: 'New Agency', class: 'GOV', code: 'NEW', applications: [{ id: 'app-1' }] }, births([{ member: 'GOV/NEW', application: 'app-1' }], 'deathNotice')] },
    });
    expect([r.status, codeOf(r), pointersOf(r)]).toEqual([400, 'config.invalid', ['/members/1/applications/0/services/0/id']]);
    expect(await db.member.findFirst({ where: { memberCode: 'NEW' } })).toBeNull();
  });

  it('PUT of what GET returned changes no right; PUT without a right revokes it live; PATCH restores it', async () => {
    const current = (await call('GET', '/api/v1/config', { key: t.adminKey })).body as ImConfDoc;
    const same = await call('PUT', '/api/v1/config', { key: t.adminKey, body: current });
    expect(same.status).toBe(201);
    expect(same.body).toMatch(/contractsGranted 0, contractsRevoked 0, grantsAdded 0, grantsRemoved 0/);
    await t.platform.routing.waitFor(generationOf(same));
    expect(await clinicPublishes()).toBe(201);

    const without = await call('PUT', '/api/v1/config', { key: t.adminKey, body: { ...current, members: current.members.filter((m) => m.code !== 'MOH') } });
    expect(without.body).toMatch(/contractsRevoked 1/);
    await t.platform.routing.waitFor(generationOf(without));
    expect(await clinicPublishes()).toBe(403);
    expect(await db.member.count({ where: { memberCode: 'MOH' } })).toBe(1); // members are never deleted

    const restored = await call('PATCH', '/api/v1/config', { key: t.adminKey, body: { ...INIT, members: [births([{ member: 'MOH', application: 'clinic-a' }])] } });
    expect(restored.status).toBe(201);
    await t.platform.routing.waitFor(generationOf(restored));
    expect(await clinicPublishes()).toBe(201);
  });
});

describe('access rights', () => {
  it('allow lets an application publish and deny makes the ingress refuse it', async () => {
    expect(await registryPublishes()).toBe(403);
    const allow = await call('PATCH', '/api/v1/rights/allow', { key: t.adminKey, body: [right('newBirth', 'REG', 'births-registry')] });
    expect(allow.status).toBe(200);
    expect(allow.body).toMatchObject({ contractsGranted: 1 });
    await t.platform.routing.waitFor((allow.body as { generation: number }).generation);
    expect(await registryPublishes()).toBe(201);

    const deny = await call('PATCH', '/api/v1/rights/deny', { key: t.adminKey, body: [right('newBirth', 'REG', 'births-registry')] });
    expect(deny.body).toMatchObject({ contractsRevoked: 1 });
    await t.platform.routing.waitFor((deny.body as { generation: number }).generation);
    const refused = await publish(t.platform.url, seeded.subscriberKey, DEMO.sampleEvent, { client: DEMO.subscriberClient });
    expect([refused.status, refused.body.code]).toEqual([403, 'publish.not_allowed']);
  });

  it('sub:<type> grants the right to subscribe; denying it stops the subscription', async () => {
    const allow = await call('PATCH', '/api/v1/rights/allow', { key: t.adminKey, body: [right('sub:newBirth', 'REG', 'births-registry')] });
    expect(allow.body).toMatchObject({ grantsAdded: 1 });
    expect(await db.subscriberGrant.count()).toBe(1);
    const listed = await call('GET', '/api/v1/rights/allow?serviceId=sub:newBirth', { key: t.adminKey });
    expect(listed.body).toEqual({ allowList: [{ memberClass: 'GOV', memberCode: 'MOH', applicationId: 'births', serviceId: 'sub:newBirth', rights: [{ memberClass: 'GOV', memberCode: 'REG', applicationId: 'births-registry' }] }] });

    const deny = await call('PATCH', '/api/v1/rights/deny', { key: t.adminKey, body: [right('sub:newBirth', 'REG', 'births-registry')] });
    expect(deny.body).toMatchObject({ grantsRemoved: 1 });
    expect(await db.subscriberGrant.count()).toBe(0);
    expect((await db.subscription.findUniqueOrThrow({ where: { id: seeded.subscriptionId } })).status).toBe('PENDING');
    const routes = await t.platform.routing.waitFor((deny.body as { generation: number }).generation);
    expect(routes.contract.subscriptions.map((s) => s.id)).not.toContain(seeded.subscriptionId);
  });

  it('lists rights page by page', async () => {
    await call('PATCH', '/api/v1/rights/allow', { key: t.adminKey, body: [right('newBirth', 'HOSP', 'ward-1'), right('sub:newBirth', 'HOSP', 'ward-1')] });
    const first = await call('GET', '/api/v1/rights/allow?pageSize=2', { key: t.adminKey });
    const page1 = first.body as { allowList: Array<{ serviceId: string; rights: unknown[] }>; nextPageToken?: string };
    expect(page1.allowList.map((s) => [s.serviceId, s.rights.length])).toEqual([['newBirth', 2]]);
    const second = await call('GET', `/api/v1/rights/allow?pageSize=2&nextPageToken=${page1.nextPageToken}`, { key: t.adminKey });
    expect(second.body).toEqual({ allowList: [{ memberClass: 'GOV', memberCode: 'MOH', applicationId: 'births', serviceId: 'sub:newBirth', rights: [{ memberClass: 'GOV', memberCode: 'HOSP', applicationId: 'ward-1' }] }] });
    const bad = await call('GET', '/api/v1/rights/allow?nextPageToken=garbage', { key: t.adminKey });
    expect([bad.status, pointersOf(bad)]).toEqual([400, ['/query/nextPageToken']]);
  });

  it('changes nothing when any item cannot be applied', async () => {
    const before = await db.publisherContract.count({ where: { revokedAt: null } });
    const r = await call('PATCH', '/api/v1/rights/allow', { key: t.adminKey, body: [right('newBirth', 'REG', 'births-registry'), right('deathNotice', 'REG', 'births-registry'), right('newBirth', 'REG', 'ghost')] });
    expect([r.status, codeOf(r), pointersOf(r)]).toEqual([400, 'config.invalid', ['/1/serviceId', '/2/rights/0']]);
    expect(await db.publisherContract.count({ where: { revokedAt: null } })).toBe(before);
    const shape = await call('PATCH', '/api/v1/rights/allow', { key: t.adminKey, body: [{ ...right('newBirth', 'REG', 'births-registry'), status: 'x' }] });
    expect([shape.status, pointersOf(shape)]).toEqual([400, ['/0/status']]);
  });

  it('member admins manage their own rooms only; applications not at all', async () => {
    const own = await call('PATCH', '/api/v1/rights/allow', { key: mohAdmin, body: [right('newBirth', 'REG', 'births-registry')] });
    expect(own.status).toBe(200);
    const foreign = await call('PATCH', '/api/v1/rights/allow', { key: regAdmin, body: [right('newBirth', 'REG', 'births-registry')] });
    expect([foreign.status, codeOf(foreign)]).toEqual([403, 'auth.forbidden']);
    // A foreign room that does not exist gets the same answer as one that does.
    const missing = await call('PATCH', '/api/v1/rights/deny', { key: regAdmin, body: [{ ...right('newBirth', 'REG', 'births-registry'), applicationId: 'nope' }] });
    expect([missing.status, codeOf(missing)]).toEqual([403, 'auth.forbidden']);
    const app = await call('PATCH', '/api/v1/rights/allow', { key: seeded.publisherKey, body: [] });
    expect([app.status, codeOf(app)]).toEqual([403, 'auth.forbidden']);
    expect((await call('GET', '/api/v1/rights/allow', { key: seeded.publisherKey })).status).toBe(403);
    expect((await call('PATCH', '/api/v1/rights/deny', { body: [] })).status).toBe(401);

    const ownList = (await call('GET', '/api/v1/rights/allow', { key: mohAdmin })).body as { allowList: Array<{ memberCode: string }> };
    expect(ownList.allowList.length).toBeGreaterThan(0);
    expect((await call('GET', '/api/v1/rights/allow', { key: regAdmin })).body).toEqual({ allowList: [] });
    const peek = await call('GET', '/api/v1/rights/allow?memberCode=MOH', { key: regAdmin });
    expect([peek.status, codeOf(peek)]).toEqual([403, 'auth.forbidden']);
  });

  it('audits every change with its target, member and outcome', async () => {
    const entries = await db.auditEntry.findMany({ where: { action: { in: ['rights.allow', 'rights.deny', 'config.create', 'config.update', 'config.replace'] } }, orderBy: { id: 'asc' } });
    const byMohAdmin = entries.find((e) => e.action === 'rights.allow' && e.actorRole === 'MEMBER_ADMIN' && e.outcome === 'SUCCESS');
    expect(byMohAdmin).toMatchObject({ member: 'DEV/GOV/MOH', target: 'DEV/GOV/MOH/births:newBirth' });
    expect(entries.some((e) => e.action === 'rights.allow' && e.outcome === 'FAILURE' && e.code === 'auth.forbidden')).toBe(true);
    expect(entries.some((e) => e.action === 'config.create' && e.outcome === 'SUCCESS' && e.target === 'instance:DEV')).toBe(true);
    expect(entries.some((e) => e.action === 'config.replace' && e.outcome === 'SUCCESS')).toBe(true);
    expect(JSON.stringify(entries.map((e) => ({ ...e, id: String(e.id) })))).not.toMatch(/rck_/);
  });
});
