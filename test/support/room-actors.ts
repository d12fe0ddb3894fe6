/**
 * Callers for the room, event-type and publisher-contract tests: a JSON client, and members
 * each with a member admin key and an application key. Members and applications are created
 * through the admin API; member admin keys are inserted directly (hashed, as the control plane
 * stores them), because issuing them belongs to the identity routes.
 */
import { hashApiKey, issueApiKey, newId } from '@roomcast/core';
import { request } from './api.ts';
import type { TestPlatform } from './platform.ts';

export interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: replies are JSON that each test inspects field by field
  body: any;
  contentType: string | null;
}

export interface CallOptions {
  key?: string;
  client?: string;
  /** Sent as is (for malformed JSON); otherwise `body` is JSON-encoded. */
  raw?: string;
  contentType?: string;
}

export function client(t: TestPlatform) {
  return async function call(method: string, path: string, body?: unknown, o: CallOptions = {}): Promise<Reply> {
    const r = await request(t.platform.url, method, path, { ...o, body });
    return { status: r.status, body: r.body, contentType: r.contentType };
  };
}

export interface Actor {
  key: string;
  /** X-GovStack-Client to send: the application's own id, or (for admins) any client id. */
  client: string;
}

export interface TestMember {
  id: string;
  instance: string;
  memberClass: string;
  memberCode: string;
  /** INSTANCE/CLASS/MEMBER */
  key: string;
  admin: Actor;
  app: Actor;
  appClientId: string;
}

export async function createMember(t: TestPlatform, code: string, app = 'app'): Promise<TestMember> {
  const call = client(t);
  const m = await call('POST', '/api/admin/v1/members', { instance: 'DEV', memberClass: 'GOV', memberCode: code, name: `Member ${code}` }, { key: t.adminKey });
  if (m.status !== 201) throw new Error(`member ${code}: ${m.status} ${JSON.stringify(m.body)}`);
  const a = await call('POST', `/api/admin/v1/members/${m.body.id}/applications`, { code: app }, { key: t.adminKey });
  if (a.status !== 201) throw new Error(`application ${code}/${app}: ${a.status} ${JSON.stringify(a.body)}`);
  const issued = issueApiKey();
  await t.platform.controlPlane.service.deps.db.apiKey.create({
    data: { id: newId('key'), prefix: issued.prefix, hash: hashApiKey(issued.key), role: 'MEMBER_ADMIN', memberId: m.body.id },
  });
  const appClientId = `DEV/GOV/${code}/${app}`;
  return {
    id: m.body.id,
    instance: 'DEV',
    memberClass: 'GOV',
    memberCode: code,
    key: `DEV/GOV/${code}`,
    admin: { key: issued.key, client: appClientId },
    app: { key: a.body.apiKey, client: appClientId },
    appClientId,
  };
}

/** A room created by its member admin and approved by the global admin. */
export async function approvedRoom(t: TestPlatform, m: TestMember, room: string, extra: Record<string, unknown> = {}) {
  const call = client(t);
  const created = await call('POST', '/api/admin/v1/rooms', { instance: m.instance, memberClass: m.memberClass, memberCode: m.memberCode, room, ...extra }, { key: m.admin.key });
  if (created.status !== 201) throw new Error(`room ${room}: ${created.status} ${JSON.stringify(created.body)}`);
  const approved = await call('POST', `/api/admin/v1/rooms/${created.body.id}/approve`, undefined, { key: t.adminKey });
  if (approved.status !== 200) throw new Error(`approve ${room}: ${approved.status} ${JSON.stringify(approved.body)}`);
  return { id: created.body.id as string, path: `/r1/${m.instance}/${m.memberClass}/${m.memberCode}/${room}`, generation: approved.body.generation as number };
}
