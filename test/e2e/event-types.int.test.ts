/**
 * GovStack event-type routes against the real registry, database and ingress: the spec's
 * status codes and shapes, schema evolution under the registry's BACKWARD rule (accepted and
 * refused, with the registry's reason), deletion and its guards, bad input and access.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraEndpoints } from '../../scripts/infra/config.ts';
import { approvedRoom, client, createMember, type TestMember } from '../support/room-actors.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

const DRAFT7 = 'http://json-schema.org/draft-07/schema#';
const closed = {
  $schema: DRAFT7,
  type: 'object',
  additionalProperties: false,
  required: ['motherId'],
  properties: { motherId: { type: 'string' }, weight: { type: 'integer' } },
};
// The spec's own example sends the schema as a JSON string, with an open content model.
const deathSchemaString = JSON.stringify({ $schema: DRAFT7, type: 'object', properties: { person: { type: 'string' } }, required: ['person'] });

let t: TestPlatform;
let call: ReturnType<typeof client>;
let moh: TestMember;
let reg: TestMember;
let births: { id: string; path: string };
let types: string;

beforeAll(async () => {
  t = await startTestPlatform('evtypes');
  call = client(t);
  moh = await createMember(t, 'MOH');
  reg = await createMember(t, 'REG');
  births = await approvedRoom(t, moh, 'births');
  types = `${births.path}/api/v1/eventType`;
});

afterAll(async () => {
  await t?.cleanup();
});

const asOwner = () => ({ key: moh.app.key, client: moh.app.client });
function routedType(name: string) {
  const routes = t.platform.routing.current();
  const room = routes.room({ instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'births' });
  return room ? routes.eventType(room, name) : undefined;
}

async function publish(event: unknown, eventType = 'newBirth') {
  const res = await fetch(`${t.platform.url}${births.path}/pub/v1/${eventType}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${moh.app.key}`, 'x-govstack-client': moh.app.client, 'content-type': 'application/json' },
    body: JSON.stringify({ eventType, event }),
  });
  return { status: res.status, body: (await res.json()) as { code?: string } };
}

describe('creating and reading event types', () => {
  it('creates an event type with its extensions (200) and routes it', async () => {
    const extensions = { keyAttribute: '/motherId', classification: 'PHI', priority: 'HIGH', messageType: 'NOTIFICATION', description: 'A birth' };
    const res = await call('POST', types, { eventType: 'newBirth', schema: closed, ...extensions }, asOwner());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ eventType: 'newBirth', schema: closed, ...extensions, schemaVersion: 1 });
    await expect.poll(() => routedType('newBirth'), { timeout: 5000 }).toEqual({ name: 'newBirth', schemaId: res.body.schemaId, schemaVersion: 1, keyPointer: '/motherId', classification: 'PHI', priority: 'HIGH' });
  });

  it('accepts the schema as a JSON string, as in the spec’s example, with default extensions', async () => {
    const res = await call('POST', types, { eventType: 'death', schema: deathSchemaString }, { key: moh.admin.key, client: moh.app.client });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ eventType: 'death', schema: JSON.parse(deathSchemaString), keyAttribute: null, classification: 'INTERNAL', priority: 'NORMAL', messageType: 'EVENT', description: null });
  });

  it('lists names (strings, per spec) and shows one with its schema to any authenticated caller; 204 when missing', async () => {
    const list = await call('GET', types, undefined, { key: reg.app.key, client: reg.app.client });
    expect([list.status, list.body]).toEqual([200, ['death', 'newBirth']]);
    const one = await call('GET', `${types}/newBirth`, undefined, { key: reg.admin.key, client: reg.app.client });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ eventType: 'newBirth', schema: closed, classification: 'PHI' });
    const missing = await call('GET', `${types}/nope`, undefined, { key: reg.app.key, client: reg.app.client });
    expect([missing.status, missing.body]).toEqual([204, undefined]);
    const empty = await approvedRoom(t, moh, 'empty');
    const none = await call('GET', `${empty.path}/api/v1/eventType`, undefined, { key: reg.app.key, client: reg.app.client });
    expect([none.status, none.body]).toEqual([204, undefined]);
  });

  it('hides pending rooms from other members exactly like rooms that do not exist', async () => {
    await call('POST', '/api/admin/v1/rooms', { instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'pending' }, { key: moh.admin.key });
    const pending = await call('GET', '/r1/DEV/GOV/MOH/pending/api/v1/eventType', undefined, { key: reg.app.key, client: reg.app.client });
    const absent = await call('GET', '/r1/DEV/GOV/MOH/absent/api/v1/eventType', undefined, { key: reg.app.key, client: reg.app.client });
    expect([pending.status, pending.body.code]).toEqual([404, 'room.not_found']);
    expect([absent.status, absent.body.code, absent.body.detail.replace('absent', 'pending')]).toEqual([pending.status, pending.body.code, pending.body.detail]);
    expect((await call('GET', '/r1/DEV/GOV/MOH/pending/api/v1/eventType', undefined, asOwner())).status).toBe(204);
    const create = await call('POST', '/r1/DEV/GOV/MOH/pending/api/v1/eventType', { eventType: 'x', schema: closed }, asOwner());
    expect([create.status, create.body.code]).toEqual([409, 'room.not_approved']);
  });
});

describe('bad input changes nothing', () => {
  it('answers each mistake with 400 (or 409 for a duplicate) naming the field', async () => {
    const malformed = await call('POST', types, undefined, { ...asOwner(), raw: '{"eventType":' });
    expect([malformed.status, malformed.body.code]).toEqual([400, 'request.invalid_json']);
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ eventType: 'a', schema: closed, approved: true }, '/approved', 'request.validation_failed'],
      [{ eventType: 'a', schema: closed, owner: 'DEV/GOV/REG' }, '/owner', 'request.validation_failed'],
      [{ eventType: 'a', schema: closed, status: 'ACTIVE' }, '/status', 'request.validation_failed'],
      [{ eventType: 7, schema: closed }, '/eventType', 'request.validation_failed'],
      [{ eventType: 'x'.repeat(64), schema: closed }, '/eventType', 'request.validation_failed'],
      [{ eventType: 'a b', schema: closed }, '/eventType', 'request.validation_failed'],
      [{ eventType: 'a' }, '/schema', 'request.validation_failed'],
      [{ eventType: 'a', schema: 42 }, '/schema', 'request.validation_failed'],
      [{ eventType: 'a', schema: '{"type": "object", ' }, '/schema', 'request.validation_failed'],
      [{ eventType: 'a', schema: { type: 'objekt' } }, '/schema', 'event_type.schema_invalid'],
      [{ eventType: 'a', schema: closed, keyAttribute: 5 }, '/keyAttribute', 'request.validation_failed'],
      [{ eventType: 'a', schema: closed, keyAttribute: 'motherId' }, '/keyAttribute', 'request.validation_failed'],
      [{ eventType: 'a', schema: closed, keyAttribute: '/fatherId' }, '/keyAttribute', 'request.validation_failed'],
      [{ eventType: 'a', schema: closed, classification: 'SECRET' }, '/classification', 'request.validation_failed'],
      [{ eventType: 'a', schema: closed, priority: 'URGENT' }, '/priority', 'request.validation_failed'],
      [{ eventType: 'a', schema: closed, messageType: 'COMMAND' }, '/messageType', 'request.validation_failed'],
      [{ eventType: 'a', schema: closed, description: 'x'.repeat(2001) }, '/description', 'request.validation_failed'],
    ];
    for (const [body, pointer, code] of cases) {
      const res = await call('POST', types, body, asOwner());
      expect([res.status, res.body.code, res.contentType], pointer).toEqual([400, code, 'application/problem+json']);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer), pointer).toContain(pointer);
    }
    const duplicate = await call('POST', types, { eventType: 'newBirth', schema: closed }, asOwner());
    expect([duplicate.status, duplicate.body.code]).toEqual([409, 'event_type.already_exists']);
    expect((await call('GET', types, undefined, asOwner())).body).toEqual(['death', 'newBirth']);
  });
});

describe('access', () => {
  it('refuses anonymous callers on every route', async () => {
    for (const [method, path] of [['POST', types], ['GET', types], ['GET', `${types}/newBirth`], ['PUT', `${types}/newBirth`], ['DELETE', `${types}/newBirth`]] as const) {
      const res = await call(method, path, method === 'POST' || method === 'PUT' ? { eventType: 'newBirth', schema: closed } : undefined, { client: moh.app.client });
      expect([method, res.status, res.body.code]).toEqual([method, 401, 'auth.missing_credentials']);
    }
  });

  it('gives another member 403 on changes whether or not the room or event type exists', async () => {
    const seen = new Set<string>();
    for (const actor of [reg.admin, reg.app]) {
      for (const base of [types, '/r1/DEV/GOV/MOH/no-such-room/api/v1/eventType']) {
        for (const [method, path, body] of [
          ['POST', base, { eventType: 'evil', schema: closed }],
          ['PUT', `${base}/newBirth`, { schema: closed }],
          ['DELETE', `${base}/newBirth`, undefined],
          ['DELETE', `${base}/never`, undefined],
        ] as const) {
          const res = await call(method, path, body, { key: actor.key, client: reg.app.client });
          seen.add(JSON.stringify([res.status, res.body.code, res.body.detail]));
        }
      }
    }
    expect([...seen]).toEqual([JSON.stringify([403, 'auth.forbidden', 'Only the room owner may do this'])]);
  });

  it('describes every event-type route in /openapi.json with the schemas that validate it', async () => {
    const doc = (await (await fetch(`${t.platform.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>> };
    const base = '/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/api/v1/eventType';
    expect(Object.keys(doc.paths[base] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths[`${base}/{eventType}`] ?? {}).sort()).toEqual(['delete', 'get', 'put']);
    expect(Object.keys(doc.paths[base]?.get?.responses ?? {})).toEqual(expect.arrayContaining(['200', '204']));
    expect(JSON.stringify(doc.paths[base]?.post?.requestBody)).toContain('"additionalProperties":false');
    expect(Object.keys(doc.paths['/api/admin/v1/rooms/{roomId}'] ?? {}).sort()).toEqual(['delete', 'get', 'patch']);
  });

  it('checks X-GovStack-Client against the application, and lets a global admin manage the room', async () => {
    const mismatch = await call('GET', types, undefined, { key: moh.app.key, client: reg.app.client });
    expect([mismatch.status, mismatch.body.code]).toEqual([403, 'auth.client_mismatch']);
    const noHeader = await call('GET', types, undefined, { key: moh.app.key });
    expect([noHeader.status, noHeader.body.errors?.[0]?.pointer]).toEqual([400, '/headers/X-GovStack-Client']);
    const byAdmin = await call('POST', types, { eventType: 'adminMade', schema: closed }, { key: t.adminKey, client: 'DEV/GOV/ANY/thing' });
    expect(byAdmin.status).toBe(200);
    expect((await call('DELETE', `${types}/adminMade`, undefined, { key: t.adminKey, client: 'DEV/GOV/ANY/thing' })).status).toBe(204);
  });
});

describe('changing a schema', () => {
  it('registers a compatible version, keeps absent extensions, and the ingress validates with it', async () => {
    const granted = await call('POST', `/api/admin/v1/rooms/${births.id}/publishers`, { clientId: moh.app.client, eventTypes: ['newBirth'] }, { key: moh.admin.key });
    await t.platform.routing.waitFor(granted.body.generation);
    expect((await publish({ motherId: 'm1', note: 'twins' })).body.code).toBe('publish.schema_violation');

    const before = (await call('GET', `${types}/newBirth`, undefined, asOwner())).body;
    const v2 = { ...closed, properties: { ...closed.properties, note: { type: 'string' } } };
    const res = await call('PUT', `${types}/newBirth`, { eventType: 'newBirth', schema: v2 }, asOwner());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ schema: v2, schemaVersion: 2, classification: 'PHI', priority: 'HIGH', keyAttribute: '/motherId', description: 'A birth' });
    expect(res.body.schemaId).not.toBe(before.schemaId);
    await expect.poll(() => routedType('newBirth')?.schemaId, { timeout: 5000 }).toBe(res.body.schemaId);
    expect(routedType('newBirth')?.schemaVersion).toBe(2);
    expect((await publish({ motherId: 'm1', note: 'twins' })).status).toBe(201);
    expect((await call('GET', `${types}/newBirth`, undefined, asOwner())).body).toMatchObject({ schema: v2, schemaVersion: 2 });
    // The same schema again registers nothing new: only the extension changes.
    const same = await call('PUT', `${types}/newBirth`, { schema: v2, priority: 'CRITICAL' }, asOwner());
    expect(same.body).toMatchObject({ schemaId: res.body.schemaId, schemaVersion: 2, priority: 'CRITICAL' });
    await expect.poll(() => routedType('newBirth')?.priority, { timeout: 5000 }).toBe('CRITICAL');
  });

  it('refuses an incompatible schema with 409 quoting the registry, and changes nothing', async () => {
    // An open content model that gains a property narrows what it accepts: BACKWARD refuses.
    const widened = { ...JSON.parse(deathSchemaString), properties: { person: { type: 'string' }, place: { type: 'string' } } };
    const res = await call('PUT', `${types}/death`, { schema: widened, classification: 'PII' }, asOwner());
    expect([res.status, res.body.code]).toEqual([409, 'event_type.schema_incompatible']);
    expect(res.body.detail).toMatch(/Incompatible artifact: .*narrowed/);
    expect((await call('GET', `${types}/death`, undefined, asOwner())).body).toMatchObject({ schemaVersion: 1, classification: 'INTERNAL', schema: JSON.parse(deathSchemaString) });
    // Loosening is compatible: the field stops being required, and extensions change with it.
    const { required: _dropped, ...loosened } = JSON.parse(deathSchemaString);
    const step = await call('PUT', `${types}/death`, { schema: loosened, classification: 'PII', keyAttribute: '/person', description: null }, asOwner());
    expect([step.status, step.body.schemaVersion]).toEqual([200, 2]);
    expect(step.body).toMatchObject({ schema: loosened, classification: 'PII', keyAttribute: '/person', description: null, priority: 'NORMAL' });
  });

  it('answers 400 for a path/body mismatch or a bad key, 404 for a missing event type', async () => {
    const mismatch = await call('PUT', `${types}/death`, { eventType: 'newBirth', schema: closed }, asOwner());
    expect([mismatch.status, mismatch.body.errors[0].pointer]).toEqual([400, '/eventType']);
    const badKey = await call('PUT', `${types}/death`, { schema: closed }, asOwner()); // keeps /person, which closed lacks
    expect([badKey.status, badKey.body.errors[0].pointer]).toEqual([400, '/keyAttribute']);
    const unknownField = await call('PUT', `${types}/death`, { schema: closed, owner: 'x' }, asOwner());
    expect([unknownField.status, unknownField.body.errors[0].pointer]).toEqual([400, '/owner']);
    const missing = await call('PUT', `${types}/nope`, { schema: closed }, asOwner());
    expect([missing.status, missing.body.code]).toEqual([404, 'event_type.not_found']);
  });
});

describe('deleting an event type', () => {
  it('is refused while subscriptions exist, then removes contracts, routing entry and registry subject', async () => {
    const db = t.platform.controlPlane.service.deps.db;
    const type = await db.eventType.findFirstOrThrow({ where: { roomId: births.id, name: 'newBirth' } });
    const regApp = await db.application.findUniqueOrThrow({ where: { clientId: reg.app.client } });
    // A subscription row as the subscription routes would write it.
    await db.subscription.create({ data: { id: 'sub_evtypes_test', roomId: births.id, eventTypeId: type.id, applicationId: regApp.id, signingSecret: 'whsec_test' } });
    const refused = await call('DELETE', `${types}/newBirth`, undefined, asOwner());
    expect([refused.status, refused.body.code]).toEqual([409, 'event_type.in_use']);
    await db.subscription.delete({ where: { id: 'sub_evtypes_test' } });

    expect(await db.publisherContract.count({ where: { eventTypeId: type.id } })).toBe(1);
    const deleted = await call('DELETE', `${types}/newBirth`, undefined, asOwner());
    expect([deleted.status, deleted.body]).toEqual([204, undefined]);
    expect(await db.publisherContract.count({ where: { eventTypeId: type.id } })).toBe(0);
    expect((await call('GET', `${types}/newBirth`, undefined, asOwner())).status).toBe(204);
    await expect.poll(() => routedType('newBirth'), { timeout: 5000 }).toBeUndefined();
    const versions = await fetch(`${infraEndpoints().registryUrl}/subjects/${encodeURIComponent(type.subject)}/versions`);
    expect(versions.status).toBe(404);
    const again = await call('DELETE', `${types}/newBirth`, undefined, asOwner());
    expect([again.status, again.body.code]).toEqual([404, 'event_type.not_found']);
    // The name starts afresh: a schema incompatible with the deleted one is accepted.
    const reborn = await call('POST', types, { eventType: 'newBirth', schema: { $schema: DRAFT7, type: 'object', properties: { motherId: { type: 'integer' } } } }, asOwner());
    expect(reborn.status).toBe(200);
  });

  it('recovers from a crash between registration and insert: the orphan subject is replaced', async () => {
    const service = t.platform.controlPlane.service;
    const subject = service.subjectOf(await service.findRoom({ instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'births' }), 'orphan');
    await t.platform.runtime.registry.registerJsonSchema(subject, { $schema: DRAFT7, type: 'object', properties: { a: { type: 'string' } } });
    const res = await call('POST', types, { eventType: 'orphan', schema: { $schema: DRAFT7, type: 'object', properties: { a: { type: 'integer' } } } }, asOwner());
    expect([res.status, res.body.schema.properties.a.type]).toEqual([200, 'integer']);
  });

  it('audits changes with the room owner as member', async () => {
    const rows = await t.platform.controlPlane.service.deps.db.auditEntry.findMany({ where: { target: 'DEV/GOV/MOH/births/death' }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => [r.action, r.outcome, r.member])).toEqual(
      expect.arrayContaining([
        ['event_type.create', 'SUCCESS', 'DEV/GOV/MOH'],
        ['event_type.update', 'FAILURE', 'DEV/GOV/MOH'],
        ['event_type.update', 'SUCCESS', 'DEV/GOV/MOH'],
      ]),
    );
  });
});
