/**
 * Rooms against the real services: a member asks, a global admin approves (topics created
 * idempotently, with the room's retention), lists and reads respect ownership without
 * disclosing other members' rooms, and deletion is refused while event types remain.
 */
import { ensureTopics } from '@roomcast/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedRoom, client, createMember, type TestMember } from '../support/room-actors.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

const DAY = 86_400_000;
let t: TestPlatform;
let call: ReturnType<typeof client>;
let moh: TestMember;
let reg: TestMember;

beforeAll(async () => {
  t = await startTestPlatform('rooms');
  call = client(t);
  moh = await createMember(t, 'MOH');
  reg = await createMember(t, 'REG');
});

afterAll(async () => {
  await t?.cleanup();
});

const body = (m: TestMember, room: string, extra: Record<string, unknown> = {}) => ({ instance: m.instance, memberClass: m.memberClass, memberCode: m.memberCode, room, ...extra });
const names = () => t.platform.runtime.names;
const address = (m: TestMember, room: string) => ({ instance: m.instance, memberClass: m.memberClass, memberCode: m.memberCode, room });

async function topicFacts(topic: string) {
  const admin = t.platform.runtime.kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return undefined;
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    // 2 is kafkajs's ConfigResourceTypes.TOPIC.
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: ['retention.ms'] }], includeSynonyms: false });
    const retention = configs.resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue;
    return { partitions: meta.topics[0]?.partitions.length, retentionMs: Number(retention) };
  } finally {
    await admin.disconnect();
  }
}

describe('asking for a room', () => {
  it('lets the member admin and the member’s applications create rooms, pending, with defaults', async () => {
    const byAdmin = await call('POST', '/api/admin/v1/rooms', body(moh, 'births', { description: 'Births', autoApprove: true }), { key: moh.admin.key });
    expect(byAdmin.status).toBe(201);
    expect(byAdmin.body).toMatchObject({ instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'births', status: 'PENDING', partitions: 2, retentionMs: 7 * DAY, autoApprove: true, description: 'Births', approvedAt: null });
    expect(byAdmin.body.id).toMatch(/^room_/);
    const byApp = await call('POST', '/api/admin/v1/rooms', body(moh, 'deaths', { partitions: 3, retentionMs: 14 * DAY }), { key: moh.app.key });
    expect(byApp.status).toBe(201);
    expect(byApp.body).toMatchObject({ partitions: 3, retentionMs: 14 * DAY, autoApprove: false, description: null });
  });

  it('refuses another member, whether or not the room exists, and anonymous callers', async () => {
    for (const actor of [reg.admin, reg.app]) {
      for (const room of ['births', 'never-created']) {
        const res = await call('POST', '/api/admin/v1/rooms', body(moh, room), { key: actor.key });
        expect([res.status, res.body.code]).toEqual([403, 'auth.forbidden']);
      }
    }
    const anon = await call('POST', '/api/admin/v1/rooms', body(moh, 'x'));
    expect([anon.status, anon.body.code, anon.contentType]).toEqual([401, 'auth.missing_credentials', 'application/problem+json']);
  });

  it('answers duplicates with 409 and unknown members (global admin) with 404', async () => {
    const dup = await call('POST', '/api/admin/v1/rooms', body(moh, 'births'), { key: moh.app.key });
    expect([dup.status, dup.body.code]).toEqual([409, 'room.already_exists']);
    const unknown = await call('POST', '/api/admin/v1/rooms', { instance: 'DEV', memberClass: 'GOV', memberCode: 'NOPE', room: 'r' }, { key: t.adminKey });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'member.not_found']);
  });

  it('refuses bad input with 400 naming each field, and creates nothing', async () => {
    const post = (b: unknown, raw?: string) => call('POST', '/api/admin/v1/rooms', b, { key: moh.admin.key, ...(raw ? { raw } : {}) });
    const malformed = await post(undefined, '{"room": ');
    expect([malformed.status, malformed.body.code]).toEqual([400, 'request.invalid_json']);
    const cases: Array<[Record<string, unknown>, string]> = [
      [body(moh, 'r1', { approved: true }), '/approved'],
      [body(moh, 'r1', { owner: 'DEV/GOV/REG' }), '/owner'],
      [body(moh, 'r1', { status: 'APPROVED' }), '/status'],
      [body(moh, 'r1', { partitions: '3' }), '/partitions'],
      [body(moh, 'r1', { partitions: 0 }), '/partitions'],
      [body(moh, 'r1', { retentionMs: DAY }), '/retentionMs'],
      [body(moh, 'r1', { autoApprove: 'yes' }), '/autoApprove'],
      [body(moh, 'r1', { description: 'x'.repeat(2001) }), '/description'],
      [body(moh, 'bad room'), '/room'],
      [body(moh, 'x'.repeat(64)), '/room'],
      [{ instance: 'DEV', memberClass: 'GOV', room: 'r1' }, '/memberCode'],
    ];
    for (const [b, pointer] of cases) {
      const res = await post(b);
      expect([res.status, res.body.code], pointer).toEqual([400, 'request.validation_failed']);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer), pointer).toContain(pointer);
    }
    const list = await call('GET', '/api/admin/v1/rooms?member=DEV/GOV/MOH', undefined, { key: t.adminKey });
    expect(list.body.rooms.map((r: { room: string }) => r.room).sort()).toEqual(['births', 'deaths']);
  });
});

describe('approval', () => {
  it('is for global admins only', async () => {
    const rooms = await call('GET', '/api/admin/v1/rooms?status=PENDING', undefined, { key: moh.admin.key });
    const births = rooms.body.rooms.find((r: { room: string }) => r.room === 'births');
    for (const actor of [moh.admin, moh.app, reg.admin]) {
      const res = await call('POST', `/api/admin/v1/rooms/${births.id}/approve`, undefined, { key: actor.key });
      expect([res.status, res.body.code]).toEqual([403, 'auth.forbidden']);
    }
    const missing = await call('POST', '/api/admin/v1/rooms/room_missing/approve', undefined, { key: t.adminKey });
    expect([missing.status, missing.body.code]).toEqual([404, 'room.not_found']);
  });

  it('creates the topic and urgent lane with the room’s partitions and retention, then routes the room; twice is fine', async () => {
    const list = await call('GET', '/api/admin/v1/rooms?member=DEV/GOV/MOH', undefined, { key: t.adminKey });
    const deaths = list.body.rooms.find((r: { room: string }) => r.room === 'deaths');
    const first = await call('POST', `/api/admin/v1/rooms/${deaths.id}/approve`, undefined, { key: t.adminKey });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'APPROVED', retentionMs: 14 * DAY });
    expect(first.body.approvedAt).toEqual(expect.any(String));
    const topic = names().roomTopic(address(moh, 'deaths'));
    expect(await topicFacts(topic)).toEqual({ partitions: 3, retentionMs: 14 * DAY });
    expect(await topicFacts(names().urgentTopic(address(moh, 'deaths')))).toEqual({ partitions: 3, retentionMs: 14 * DAY });
    const routes = await t.platform.routing.waitFor(first.body.generation);
    expect(routes.room(address(moh, 'deaths'))).toMatchObject({ id: deaths.id, topic, partitions: 3 });

    const again = await call('POST', `/api/admin/v1/rooms/${deaths.id}/approve`, undefined, { key: t.adminKey });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'APPROVED', approvedAt: first.body.approvedAt, generation: null });
  });

  it('survives two approvals racing each other: both succeed, one generation names the room', async () => {
    const created = await call('POST', '/api/admin/v1/rooms', body(moh, 'racy'), { key: moh.admin.key });
    const approve = () => call('POST', `/api/admin/v1/rooms/${created.body.id}/approve`, undefined, { key: t.adminKey });
    const both = await Promise.all([approve(), approve()]);
    expect(both.map((r) => [r.status, r.body.status])).toEqual([
      [200, 'APPROVED'],
      [200, 'APPROVED'],
    ]);
    expect(both.filter((r) => r.body.generation !== null)).toHaveLength(1);
    expect(await topicFacts(names().roomTopic(address(moh, 'racy')))).toEqual({ partitions: 2, retentionMs: 7 * DAY });
  });

  it('completes an approval that crashed after creating the topics', async () => {
    const created = await call('POST', '/api/admin/v1/rooms', body(moh, 'crashy'), { key: moh.admin.key });
    // What a first approval leaves behind when it dies between Kafka and the database.
    const topics = [names().roomTopic(address(moh, 'crashy')), names().urgentTopic(address(moh, 'crashy'))];
    await ensureTopics(t.platform.runtime.kafka, topics.map((topic) => ({ topic, partitions: 2, retentionMs: 7 * DAY })));
    expect((await call('GET', `/api/admin/v1/rooms/${created.body.id}`, undefined, { key: moh.admin.key })).body.status).toBe('PENDING');
    const approved = await call('POST', `/api/admin/v1/rooms/${created.body.id}/approve`, undefined, { key: t.adminKey });
    expect([approved.status, approved.body.status]).toEqual([200, 'APPROVED']);
    expect(await topicFacts(topics[0] as string)).toEqual({ partitions: 2, retentionMs: 7 * DAY });
    expect((await t.platform.routing.waitFor(approved.body.generation)).room(address(moh, 'crashy'))?.id).toBe(created.body.id);
  });
});

describe('reading rooms', () => {
  it('lists all rooms for global admins, filtered and paged, and only their own for members', async () => {
    await approvedRoom(t, reg, 'registry');
    const all = await call('GET', '/api/admin/v1/rooms', undefined, { key: t.adminKey });
    expect(all.body.rooms.map((r: { room: string }) => r.room).sort()).toEqual(['births', 'crashy', 'deaths', 'racy', 'registry']);
    const approved = await call('GET', '/api/admin/v1/rooms?status=APPROVED&member=DEV/GOV/MOH', undefined, { key: t.adminKey });
    expect(approved.body.rooms.map((r: { room: string }) => r.room).sort()).toEqual(['crashy', 'deaths', 'racy']);
    const seen: string[] = [];
    let token: string | null = null;
    do {
      const page: { body: { rooms: Array<{ room: string }>; nextPageToken: string | null } } = await call('GET', `/api/admin/v1/rooms?pageSize=3${token ? `&nextPageToken=${token}` : ''}`, undefined, { key: t.adminKey });
      expect(page.body.rooms.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.rooms.map((r) => r.room));
      token = page.body.nextPageToken;
    } while (token);
    expect(seen.sort()).toEqual(['births', 'crashy', 'deaths', 'racy', 'registry']);

    for (const actor of [reg.admin, reg.app]) {
      const own = await call('GET', '/api/admin/v1/rooms', undefined, { key: actor.key });
      expect(own.body.rooms.map((r: { room: string }) => r.room)).toEqual(['registry']);
      const other = await call('GET', '/api/admin/v1/rooms?member=DEV/GOV/MOH', undefined, { key: actor.key });
      expect([other.status, other.body.code]).toEqual([403, 'auth.forbidden']);
    }
    const badQuery = await call('GET', '/api/admin/v1/rooms?status=GONE&pageSize=0', undefined, { key: t.adminKey });
    expect(badQuery.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/query/pageSize', '/query/status']);
  });

  it('shows a room to its member and global admins; to anyone else it is as missing as a missing id', async () => {
    const births = (await call('GET', '/api/admin/v1/rooms?member=DEV/GOV/MOH&status=PENDING', undefined, { key: t.adminKey })).body.rooms[0];
    for (const key of [moh.admin.key, moh.app.key, t.adminKey]) expect((await call('GET', `/api/admin/v1/rooms/${births.id}`, undefined, { key })).body.room).toBe('births');
    const hidden = await call('GET', `/api/admin/v1/rooms/${births.id}`, undefined, { key: reg.admin.key });
    const missing = await call('GET', '/api/admin/v1/rooms/room_nope', undefined, { key: reg.admin.key });
    expect([hidden.status, hidden.body.code, hidden.body.title]).toEqual([missing.status, missing.body.code, missing.body.title]);
    expect(hidden.status).toBe(404);
    expect((await call('GET', `/api/admin/v1/rooms/${births.id}`)).status).toBe(401);
  });
});

describe('changing and deleting rooms', () => {
  it('patches description and auto-approval only, for the owner', async () => {
    const births = (await call('GET', '/api/admin/v1/rooms?member=DEV/GOV/MOH&status=PENDING', undefined, { key: t.adminKey })).body.rooms[0];
    const patched = await call('PATCH', `/api/admin/v1/rooms/${births.id}`, { description: null, autoApprove: false }, { key: moh.app.key });
    expect([patched.status, patched.body.description, patched.body.autoApprove]).toEqual([200, null, false]);
    for (const [b, pointer] of [[{ status: 'APPROVED' }, '/status'], [{ approved: true }, '/approved'], [{ partitions: 9 }, '/partitions'], [{ description: 7 }, '/description']] as const) {
      const res = await call('PATCH', `/api/admin/v1/rooms/${births.id}`, b, { key: moh.admin.key });
      expect([res.status, res.body.errors?.[0]?.pointer]).toEqual([400, pointer]);
    }
    const empty = await call('PATCH', `/api/admin/v1/rooms/${births.id}`, {}, { key: moh.admin.key });
    expect(empty.status).toBe(400);
    const foreign = await call('PATCH', `/api/admin/v1/rooms/${births.id}`, { description: 'mine' }, { key: reg.admin.key });
    expect([foreign.status, foreign.body.code]).toEqual([404, 'room.not_found']);
    expect((await call('GET', `/api/admin/v1/rooms/${births.id}`, undefined, { key: t.adminKey })).body).toMatchObject({ status: 'PENDING', description: null });
  });

  it('refuses to delete a room with event types, then deletes it and its topics', async () => {
    const room = await approvedRoom(t, moh, 'temp');
    const et = await call('POST', `${room.path}/api/v1/eventType`, { eventType: 'ping', schema: { type: 'object' } }, { key: moh.app.key, client: moh.app.client });
    expect(et.status).toBe(200);
    const refused = await call('DELETE', `/api/admin/v1/rooms/${room.id}`, undefined, { key: moh.admin.key });
    expect([refused.status, refused.body.code]).toEqual([409, 'room.has_event_types']);
    const foreign = await call('DELETE', `/api/admin/v1/rooms/${room.id}`, undefined, { key: reg.app.key });
    expect([foreign.status, foreign.body.code]).toEqual([404, 'room.not_found']);
    expect(await topicFacts(names().roomTopic(address(moh, 'temp')))).toBeDefined();

    expect((await call('DELETE', `${room.path}/api/v1/eventType/ping`, undefined, { key: moh.app.key, client: moh.app.client })).status).toBe(204);
    const deleted = await call('DELETE', `/api/admin/v1/rooms/${room.id}`, undefined, { key: moh.admin.key });
    expect(deleted.status).toBe(204);
    expect(await topicFacts(names().roomTopic(address(moh, 'temp')))).toBeUndefined();
    expect(await topicFacts(names().urgentTopic(address(moh, 'temp')))).toBeUndefined();
    expect((await call('GET', `/api/admin/v1/rooms/${room.id}`, undefined, { key: t.adminKey })).status).toBe(404);
    await expect.poll(() => t.platform.routing.current().room(address(moh, 'temp')), { timeout: 5000 }).toBeUndefined();
  });

  it('lets a global admin reject a pending room by deleting it, and audits each action', async () => {
    const births = (await call('GET', '/api/admin/v1/rooms?member=DEV/GOV/MOH&status=PENDING', undefined, { key: t.adminKey })).body.rooms[0];
    expect((await call('DELETE', `/api/admin/v1/rooms/${births.id}`, undefined, { key: t.adminKey })).status).toBe(204);
    const audit = await t.platform.controlPlane.service.deps.db.auditEntry.findMany({ where: { target: births.id }, orderBy: { id: 'asc' } });
    const rows = audit.map((a) => [a.action, a.outcome, a.member, a.code]);
    expect(rows[0]).toEqual(['room.create', 'SUCCESS', 'DEV/GOV/MOH', null]);
    expect(rows.at(-1)).toEqual(['room.delete', 'SUCCESS', 'DEV/GOV/MOH', null]);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['room.approve', 'FAILURE', 'DEV/GOV/MOH', 'auth.forbidden'],
        ['room.update', 'SUCCESS', 'DEV/GOV/MOH', null],
        ['room.update', 'FAILURE', 'DEV/GOV/REG', 'room.not_found'],
      ]),
    );
  });
});

describe('topic names', () => {
  it('gives rooms whose addresses Kafka would confuse ( . and _ ) topics of their own', async () => {
    const seca = await createMember(t, 'SECA');
    const secaB = await createMember(t, 'SECA_B');
    const first = await approvedRoom(t, seca, 'B_C');
    // With segments joined by '.', this topic collided with the first in Kafka, and approval answered 503 for ever.
    const second = await approvedRoom(t, secaB, 'C');
    const routes = await t.platform.routing.waitFor(Math.max(first.generation, second.generation));
    const topics = [routes.room(address(seca, 'B_C'))?.topic, routes.room(address(secaB, 'C'))?.topic];
    expect(topics).toEqual([names().roomTopic(address(seca, 'B_C')), names().roomTopic(address(secaB, 'C'))]);
    for (const topic of topics) expect(await topicFacts(topic ?? '')).toMatchObject({ partitions: 2 });
  });

  it('keeps a room from before injective naming on its legacy topic', async () => {
    const created = await call('POST', '/api/admin/v1/rooms', body(moh, 'old_style'), { key: moh.admin.key });
    expect(created.status).toBe(201);
    // What a room created before the migration looks like: no stored topic.
    await t.platform.controlPlane.service.deps.db.room.update({ where: { id: created.body.id }, data: { topic: null } });
    const approved = await call('POST', `/api/admin/v1/rooms/${created.body.id}/approve`, undefined, { key: t.adminKey });
    expect(approved.status).toBe(200);
    const legacy = names().legacyRoomTopic(address(moh, 'old_style'));
    expect(legacy).toBe(`${t.prefix}.room.DEV.GOV.MOH.old_style`);
    expect(await topicFacts(legacy)).toMatchObject({ partitions: 2 });
    expect(await topicFacts(`${legacy}.urgent`)).toMatchObject({ partitions: 2 });
    const routes = await t.platform.routing.waitFor(approved.body.generation);
    expect(routes.room(address(moh, 'old_style'))).toMatchObject({ topic: legacy, urgentTopic: `${legacy}.urgent` });
  });
});
