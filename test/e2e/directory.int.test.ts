/**
 * GovStack Directory Services against the real platform: listClients, listMethods,
 * allowedMethods and getOpenAPI over the demo (DEV/GOV/MOH owns the room births with the event
 * type newBirth; clinic-a publishes it; DEV/GOV/REG/births-registry subscribes by push).
 */
import type { PrismaClient } from '@roomcast/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { caller, codeOf, memberAdminKey, pointersOf } from '../support/directory-config.ts';
import { request as httpRequest } from 'node:http';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

/** The deployment's configured public URL: what documents name, whatever Host a request carries. */
const PUBLIC_URL = 'https://roomcast.example.org/gateway';

let t: TestPlatform;
let seeded: SeededDemo;
let db: PrismaClient;
let call: ReturnType<typeof caller>;
let mohAdmin: string;

const ROOM = DEMO.roomPath;

beforeAll(async () => {
  t = await startTestPlatform('dir', { ROOMCAST_PUBLIC_BASE_URL: PUBLIC_URL });
  seeded = await seedDemo(t.platform.url, t.adminKey, 'http://127.0.0.1:9/unused');
  db = t.platform.controlPlane.service.deps.db;
  // Whatever the identity flow makes of admin-created applications, these two are approved.
  await db.application.updateMany({ data: { status: 'APPROVED' } });
  // A pending room: not a provider yet.
  const pending = await caller(t.platform.url)('POST', '/api/admin/v1/rooms', { key: t.adminKey, body: { instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'deaths' } });
  expect(pending.status).toBe(201);
  mohAdmin = await memberAdminKey(db, 'DEV', 'GOV', 'MOH');
  call = caller(t.platform.url);
});

afterAll(async () => {
  await t?.cleanup();
});

type ServiceList = { member: Array<{ serviceCode: string; serviceVersion: string; endpointList: { member: Array<{ method: string; path: string }> } }> };
const endpoints = (r: { body: unknown }) => (r.body as ServiceList).member.flatMap((s) => s.endpointList.member.map((e) => `${e.method} ${e.path}`));

describe('listClients', () => {
  it('lists approved members with their applications and approved rooms', async () => {
    const r = await call('GET', '/listClients', { key: seeded.publisherKey, client: DEMO.publisherClient });
    expect(r.status).toBe(200);
    const ids = (r.body as { member: Array<{ name: string; id: Record<string, string> }> }).member.map((m) => `${m.id.objectType} ${[m.id.instanceId, m.id.memberClass, m.id.memberCode, m.id.applicationCode].filter(Boolean).join('/')}`);
    expect(ids).toEqual([
      'MEMBER DEV/GOV/MOH',
      'APPLICATION DEV/GOV/MOH/births',
      'APPLICATION DEV/GOV/MOH/clinic-a',
      'MEMBER DEV/GOV/REG',
      'APPLICATION DEV/GOV/REG/births-registry',
    ]);
    expect((r.body as { member: Array<{ name: string }> }).member[0]?.name).toBe('Ministry of Health');
  });

  it('filters by instance, and checks the instance id', async () => {
    const other = await call('GET', '/listClients?instanceId=EU', { key: seeded.publisherKey, client: DEMO.publisherClient });
    expect([other.status, other.body]).toEqual([200, { member: [] }]);
    const dev = await call('GET', '/listClients?instanceId=DEV', { key: t.adminKey, client: 'DEV/GOV/MOH/anything' });
    expect((dev.body as { member: unknown[] }).member).toHaveLength(5);
    const bad = await call('GET', '/listClients?instanceId=a%2Fb', { key: seeded.publisherKey, client: DEMO.publisherClient });
    expect([bad.status, codeOf(bad), pointersOf(bad)]).toEqual([400, 'request.validation_failed', ['/query/instanceId']]);
  });

  it('authenticates and requires X-GovStack-Client naming the caller', async () => {
    const anonymous = await call('GET', '/listClients', { client: DEMO.publisherClient });
    expect([anonymous.status, codeOf(anonymous), anonymous.contentType]).toEqual([401, 'auth.missing_credentials', 'application/problem+json']);
    const mismatch = await call('GET', '/listClients', { key: seeded.publisherKey, client: DEMO.subscriberClient });
    expect([mismatch.status, codeOf(mismatch)]).toEqual([403, 'auth.client_mismatch']);
    const missing = await call('GET', '/listClients', { key: seeded.publisherKey });
    expect([missing.status, pointersOf(missing)]).toEqual([400, ['/headers/X-GovStack-Client']]);
  });
});

describe('listMethods', () => {
  it("lists the room's event types as REST services with their PubSub endpoints", async () => {
    const r = await call('GET', `${ROOM}/listMethods`, { key: seeded.subscriberKey, client: DEMO.subscriberClient });
    expect(r.status).toBe(200);
    const list = r.body as ServiceList & { member: Array<Record<string, unknown>> };
    expect(list.member).toHaveLength(1);
    expect(list.member[0]).toMatchObject({ objectType: 'SERVICE', serviceType: 'REST', instanceId: 'DEV', memberClass: 'GOV', memberCode: 'MOH', applicationCode: 'births', serviceCode: 'newBirth', serviceVersion: '1' });
    expect(endpoints(r)).toEqual(expect.arrayContaining([`POST ${ROOM}/pub/v1/newBirth`, `POST ${ROOM}/api/v1/subs/newBirth`, `GET ${ROOM}/pull/v1/newBirth`]));
  });

  it('filters by serviceId; an unknown or pending provider offers nothing', async () => {
    const auth = { key: seeded.subscriberKey, client: DEMO.subscriberClient };
    expect((await call('GET', `${ROOM}/listMethods?serviceId=deathNotice`, auth)).body).toEqual({ member: [] });
    expect(((await call('GET', `${ROOM}/listMethods?serviceId=newBirth`, auth)).body as ServiceList).member).toHaveLength(1);
    expect((await call('GET', '/r1/DEV/GOV/MOH/deaths/listMethods', auth)).body).toEqual({ member: [] });
    expect((await call('GET', '/r1/DEV/GOV/NOPE/x/listMethods', auth)).body).toEqual({ member: [] });
    expect((await call('GET', `${ROOM}/listMethods`, { client: DEMO.subscriberClient })).status).toBe(401);
  });
});

describe('allowedMethods', () => {
  it('offers publishing only to contract holders', async () => {
    const publisher = await call('GET', `${ROOM}/allowedMethods`, { key: seeded.publisherKey, client: DEMO.publisherClient });
    expect(publisher.status).toBe(200);
    expect(endpoints(publisher)).toEqual(expect.arrayContaining([`POST ${ROOM}/pub/v1/newBirth`, `POST ${ROOM}/api/v1/subs/newBirth`]));
    const subscriber = await call('GET', `${ROOM}/allowedMethods`, { key: seeded.subscriberKey, client: DEMO.subscriberClient });
    const paths = endpoints(subscriber);
    expect(paths).toContain(`POST ${ROOM}/api/v1/subs/newBirth`);
    expect(paths.filter((p) => p.includes('/pub/v1/') || p.includes('/pull/v1/'))).toEqual([]); // a push subscriber does not pull
  });

  it('answers for the named client when an admin asks, within a member admin’s own member', async () => {
    const asAdmin = await call('GET', `${ROOM}/allowedMethods`, { key: t.adminKey, client: DEMO.publisherClient });
    expect(endpoints(asAdmin)).toContain(`POST ${ROOM}/pub/v1/newBirth`);
    const ownApp = await call('GET', `${ROOM}/allowedMethods`, { key: mohAdmin, client: DEMO.publisherClient });
    expect(endpoints(ownApp)).toContain(`POST ${ROOM}/pub/v1/newBirth`);
    const foreign = await call('GET', `${ROOM}/allowedMethods`, { key: mohAdmin, client: DEMO.subscriberClient });
    expect([foreign.status, codeOf(foreign)]).toEqual([403, 'auth.client_mismatch']);
    const notClient = await call('GET', `${ROOM}/allowedMethods`, { key: t.adminKey, client: 'nobody' });
    expect([notClient.status, pointersOf(notClient)]).toEqual([400, ['/headers/X-GovStack-Client']]);
    const unknown = await call('GET', `${ROOM}/allowedMethods`, { key: t.adminKey, client: 'DEV/GOV/REG/ghost' });
    expect(unknown.body).toEqual({ member: [] });
    const mismatch = await call('GET', `${ROOM}/allowedMethods`, { key: seeded.subscriberKey, client: DEMO.publisherClient });
    expect([mismatch.status, codeOf(mismatch)]).toEqual([403, 'auth.client_mismatch']);
  });
});

describe('getOpenAPI', () => {
  it('describes the publish call with the event type schema embedded', async () => {
    const r = await call('GET', `${ROOM}/getOpenAPI?serviceCode=newBirth`, { key: seeded.subscriberKey, client: DEMO.subscriberClient });
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^application\/json/);
    const doc = r.body as {
      openapi: string;
      servers: Array<{ url: string }>;
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { $ref: string } }> } }>>;
      components: { schemas: { PublishEvent: { properties: { event: unknown } } } };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers[0]?.url).toBe(PUBLIC_URL);
    expect(doc.paths[`${ROOM}/pub/v1/newBirth`]?.post?.requestBody?.content['application/json']?.schema.$ref).toBe('#/components/schemas/PublishEvent');
    expect(doc.components.schemas.PublishEvent.properties.event).toEqual(DEMO.schema);
  });

  it('never reflects the request Host header', async () => {
    const { port } = new URL(t.platform.url);
    const text = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: `${ROOM}/getOpenAPI?serviceCode=newBirth`,
          headers: { host: 'attacker.example', 'x-forwarded-host': 'attacker.example', authorization: `Bearer ${seeded.subscriberKey}`, 'x-govstack-client': DEMO.subscriberClient },
        },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`status ${res.statusCode}: ${body}`))));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect((JSON.parse(text) as { servers: { url: string }[] }).servers).toEqual([{ url: PUBLIC_URL }]);
    expect(text).not.toContain('attacker.example');
  });

  it('names a missing serviceCode and refuses an unknown one', async () => {
    const auth = { key: seeded.subscriberKey, client: DEMO.subscriberClient };
    const missing = await call('GET', `${ROOM}/getOpenAPI`, auth);
    expect([missing.status, codeOf(missing), pointersOf(missing)]).toEqual([400, 'request.validation_failed', ['/query/serviceCode']]);
    const unknown = await call('GET', `${ROOM}/getOpenAPI?serviceCode=deathNotice`, auth);
    expect([unknown.status, codeOf(unknown)]).toEqual([400, 'directory.unknown_service']);
    const pendingRoom = await call('GET', '/r1/DEV/GOV/MOH/deaths/getOpenAPI?serviceCode=newBirth', auth);
    expect([pendingRoom.status, codeOf(pendingRoom)]).toEqual([400, 'directory.unknown_service']);
    const anonymous = await call('GET', `${ROOM}/getOpenAPI?serviceCode=newBirth`, { client: DEMO.subscriberClient });
    expect(anonymous.status).toBe(401);
  });

  it('is described in the platform OpenAPI document', async () => {
    const doc = (await (await fetch(`${t.platform.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    for (const op of ['listMethods', 'allowedMethods', 'getOpenAPI']) {
      expect(Object.keys(doc.paths)).toContain(`/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/${op}`);
    }
    expect(Object.keys(doc.paths)).toContain('/listClients');
  });
});
