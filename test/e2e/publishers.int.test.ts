/**
 * Publisher contracts against the real services: the room owner grants and revokes, the ingress
 * follows each change from the generation the answer names, and contracts are listed per room
 * and per client without disclosing them to anyone else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedRoom, client, createMember, type TestMember } from '../support/room-actors.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

const schema = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };
let t: TestPlatform;
let call: ReturnType<typeof client>;
let moh: TestMember;
let reg: TestMember;
let oth: TestMember;
let room: { id: string; path: string };
let base: string;

beforeAll(async () => {
  t = await startTestPlatform('publishers');
  call = client(t);
  moh = await createMember(t, 'MOH');
  reg = await createMember(t, 'REG');
  oth = await createMember(t, 'OTH');
  room = await approvedRoom(t, moh, 'births');
  base = `/api/admin/v1/rooms/${room.id}/publishers`;
  for (const eventType of ['newBirth', 'death']) {
    const res = await call('POST', `${room.path}/api/v1/eventType`, { eventType, schema }, { key: moh.app.key, client: moh.app.client });
    if (res.status !== 200) throw new Error(`event type ${eventType}: ${res.status}`);
  }
});

afterAll(async () => {
  await t?.cleanup();
});

async function publish(eventType = 'newBirth') {
  const res = await fetch(`${t.platform.url}${room.path}/pub/v1/${eventType}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${reg.app.key}`, 'x-govstack-client': reg.app.client, 'content-type': 'application/json' },
    body: JSON.stringify({ eventType, event: { id: 'e1' } }),
  });
  return { status: res.status, code: ((await res.json()) as { code?: string }).code };
}

let contractId: string;

describe('granting', () => {
  it('lets the room owner grant a client event types; the ingress accepts from the answered generation', async () => {
    expect(await publish()).toEqual({ status: 403, code: 'publish.not_allowed' });
    const res = await call('POST', base, { clientId: reg.appClientId, eventTypes: ['newBirth'] }, { key: moh.admin.key });
    expect(res.status).toBe(200);
    expect(res.body.contracts).toEqual([expect.objectContaining({ roomId: room.id, room: 'DEV/GOV/MOH/births', clientId: reg.appClientId, eventType: 'newBirth', revokedAt: null })]);
    contractId = res.body.contracts[0].id;
    expect(contractId).toMatch(/^pub_/);
    await t.platform.routing.waitFor(res.body.generation);
    expect((await publish()).status).toBe(201);
    expect((await publish('death')).code).toBe('publish.not_allowed');
    // Granting again changes nothing.
    const again = await call('POST', base, { clientId: reg.appClientId, eventTypes: ['newBirth'] }, { key: t.adminKey });
    expect(again.body.contracts.map((c: { id: string }) => c.id)).toEqual([contractId]);
    // The owner's applications may not grant: not to another client, not to themselves.
    for (const clientId of [reg.appClientId, moh.app.client]) {
      const refused = await call('POST', base, { clientId, eventTypes: ['death'] }, { key: moh.app.key });
      expect([refused.status, refused.body.code]).toEqual([403, 'auth.forbidden']);
    }
  });

  it('checks every name before writing anything, and refuses bad input naming the field', async () => {
    const unknownType = await call('POST', base, { clientId: reg.appClientId, eventTypes: ['death', 'nope'] }, { key: moh.admin.key });
    expect([unknownType.status, unknownType.body.code, unknownType.body.errors]).toEqual([404, 'event_type.not_found', [{ pointer: '/eventTypes/1', message: 'names no event type of this room' }]]);
    const unknownClient = await call('POST', base, { clientId: 'DEV/GOV/REG/ghost', eventTypes: ['death'] }, { key: moh.admin.key });
    expect([unknownClient.status, unknownClient.body.code, unknownClient.body.errors[0].pointer]).toEqual([404, 'application.not_found', '/clientId']);
    const malformed = await call('POST', base, undefined, { key: moh.admin.key, raw: '{"clientId":' });
    expect([malformed.status, malformed.body.code]).toEqual([400, 'request.invalid_json']);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ clientId: reg.appClientId, eventTypes: ['death'], approved: true }, '/approved'],
      [{ clientId: reg.appClientId, eventTypes: ['death'], owner: 'x' }, '/owner'],
      [{ clientId: reg.appClientId, eventTypes: ['death'], status: 'ACTIVE' }, '/status'],
      [{ clientId: reg.appClientId, eventTypes: [] }, '/eventTypes'],
      [{ clientId: reg.appClientId, eventTypes: 'death' }, '/eventTypes'],
      [{ clientId: reg.appClientId, eventTypes: ['x'.repeat(64)] }, '/eventTypes/0'],
      [{ clientId: 'REG', eventTypes: ['death'] }, '/clientId'],
      [{ clientId: `DEV/GOV/REG/${'a'.repeat(300)}`, eventTypes: ['death'] }, '/clientId'],
      [{ eventTypes: ['death'] }, '/clientId'],
    ];
    for (const [body, pointer] of cases) {
      const res = await call('POST', base, body, { key: moh.admin.key });
      expect([res.status, res.body.code], pointer).toEqual([400, 'request.validation_failed']);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer), pointer).toContain(pointer);
    }
    const listed = await call('GET', base, undefined, { key: moh.admin.key });
    expect(listed.body.contracts.map((c: { eventType: string }) => c.eventType)).toEqual(['newBirth']);
  });

  it('shows another member the 404 of a missing room, and anonymous callers 401', async () => {
    const body = { clientId: reg.appClientId, eventTypes: ['death'] };
    for (const actor of [reg.admin, reg.app, oth.admin]) {
      const hidden = await call('POST', base, body, { key: actor.key });
      const missing = await call('POST', '/api/admin/v1/rooms/room_missing/publishers', body, { key: actor.key });
      expect([hidden.status, hidden.body.code]).toEqual([404, 'room.not_found']);
      expect(missing.body.code).toBe(hidden.body.code);
    }
    expect((await call('POST', base, body)).status).toBe(401);
  });
});

describe('listing', () => {
  it('lists per room for the owner and global admins only', async () => {
    for (const key of [moh.admin.key, moh.app.key, t.adminKey]) {
      const res = await call('GET', `${base}?clientId=${reg.appClientId}&eventType=newBirth`, undefined, { key });
      expect(res.body.contracts.map((c: { id: string }) => c.id)).toEqual([contractId]);
    }
    expect((await call('GET', `${base}?eventType=death`, undefined, { key: moh.admin.key })).body.contracts).toEqual([]);
    expect((await call('GET', base, undefined, { key: reg.admin.key })).status).toBe(404);
  });

  it('lists per client: its own keys see its contracts, global admins anyone’s, others nothing of it', async () => {
    for (const key of [reg.app.key, reg.admin.key]) {
      const own = await call('GET', '/api/admin/v1/publishers', undefined, { key });
      expect(own.body.contracts.map((c: { id: string }) => c.id)).toEqual([contractId]);
    }
    expect((await call('GET', '/api/admin/v1/publishers', undefined, { key: oth.admin.key })).body.contracts).toEqual([]);
    const prying = await call('GET', `/api/admin/v1/publishers?clientId=${reg.appClientId}`, undefined, { key: oth.app.key });
    expect([prying.status, prying.body.code]).toEqual([403, 'auth.forbidden']);
    const pryingAdmin = await call('GET', `/api/admin/v1/publishers?clientId=${reg.appClientId}`, undefined, { key: oth.admin.key });
    expect(pryingAdmin.status).toBe(403);
    const admin = await call('GET', `/api/admin/v1/publishers?clientId=${reg.appClientId}&roomId=${room.id}`, undefined, { key: t.adminKey });
    expect(admin.body.contracts.map((c: { id: string }) => c.id)).toEqual([contractId]);
  });

  it('shows one contract to the owner and the grantee; to anyone else it is as missing as a missing id', async () => {
    for (const key of [moh.admin.key, reg.app.key, reg.admin.key, t.adminKey]) {
      expect((await call('GET', `/api/admin/v1/publishers/${contractId}`, undefined, { key })).body).toMatchObject({ id: contractId, eventType: 'newBirth' });
    }
    const hidden = await call('GET', `/api/admin/v1/publishers/${contractId}`, undefined, { key: oth.admin.key });
    const missing = await call('GET', '/api/admin/v1/publishers/pub_missing', undefined, { key: oth.admin.key });
    expect([hidden.status, hidden.body.code]).toEqual([404, 'contract.not_found']);
    expect([missing.status, missing.body.code]).toEqual([hidden.status, hidden.body.code]);
  });
});

describe('revoking', () => {
  it('by id: only the owner; the ingress refuses from the answered generation; idempotent', async () => {
    const byGrantee = await call('DELETE', `/api/admin/v1/publishers/${contractId}`, undefined, { key: reg.app.key });
    expect([byGrantee.status, byGrantee.body.code]).toEqual([403, 'auth.forbidden']);
    const byStranger = await call('DELETE', `/api/admin/v1/publishers/${contractId}`, undefined, { key: oth.admin.key });
    expect([byStranger.status, byStranger.body.code]).toEqual([404, 'contract.not_found']);
    expect((await publish()).status).toBe(201);

    const revoked = await call('DELETE', `/api/admin/v1/publishers/${contractId}`, undefined, { key: moh.admin.key });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: contractId, revokedAt: expect.any(String), generation: expect.any(Number) });
    await t.platform.routing.waitFor(revoked.body.generation);
    expect(await publish()).toEqual({ status: 403, code: 'publish.not_allowed' });
    const again = await call('DELETE', `/api/admin/v1/publishers/${contractId}`, undefined, { key: moh.admin.key });
    expect([again.status, again.body.revokedAt]).toEqual([200, revoked.body.revokedAt]);
    expect((await call('GET', base, undefined, { key: moh.admin.key })).body.contracts).toEqual([]);
    expect((await call('GET', `${base}?includeRevoked=true`, undefined, { key: moh.admin.key })).body.contracts).toHaveLength(1);
  });

  it('by client and event type (or all of the client’s types in the room)', async () => {
    const regranted = await call('POST', base, { clientId: reg.appClientId, eventTypes: ['newBirth', 'death'] }, { key: moh.admin.key });
    expect(regranted.body.contracts.find((c: { eventType: string }) => c.eventType === 'newBirth')).toMatchObject({ id: contractId, revokedAt: null });
    await t.platform.routing.waitFor(regranted.body.generation);
    expect((await publish()).status).toBe(201);

    const one = await call('DELETE', `${base}?clientId=${reg.appClientId}&eventType=newBirth`, undefined, { key: moh.app.key });
    expect([one.status, one.body.contracts.map((c: { eventType: string }) => c.eventType)]).toEqual([200, ['newBirth']]);
    await t.platform.routing.waitFor(one.body.generation);
    expect((await publish()).code).toBe('publish.not_allowed');
    expect((await publish('death')).status).toBe(201);

    const none = await call('DELETE', `${base}?clientId=${reg.appClientId}&eventType=newBirth`, undefined, { key: moh.app.key });
    expect([none.status, none.body.code]).toEqual([404, 'contract.not_found']);
    const noClient = await call('DELETE', base, undefined, { key: moh.app.key });
    expect([noClient.status, noClient.body.errors[0].pointer]).toEqual([400, '/query/clientId']);
    const foreign = await call('DELETE', `${base}?clientId=${reg.appClientId}`, undefined, { key: reg.admin.key });
    expect([foreign.status, foreign.body.code]).toEqual([404, 'room.not_found']);

    const all = await call('DELETE', `${base}?clientId=${reg.appClientId}`, undefined, { key: moh.admin.key });
    expect(all.body.contracts.map((c: { eventType: string }) => c.eventType)).toEqual(['death']);
    await t.platform.routing.waitFor(all.body.generation);
    expect((await publish('death')).code).toBe('publish.not_allowed');
  });

  it('audits grants and revocations against the room owner', async () => {
    const rows = await t.platform.controlPlane.service.deps.db.auditEntry.findMany({ where: { action: { startsWith: 'contract.' }, outcome: 'SUCCESS' } });
    expect(new Set(rows.map((r) => `${r.action} ${r.member}`))).toEqual(new Set(['contract.grant DEV/GOV/MOH', 'contract.revoke DEV/GOV/MOH']));
    expect(rows.find((r) => r.action === 'contract.grant')?.detail).toMatchObject({ clientId: reg.appClientId });
  });
});
