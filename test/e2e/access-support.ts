/**
 * The vocabulary of the shared access suite's table (access-cases.ts): the personas, a row's
 * shape, and the requests, ids and waits the rows share.
 */
import { DEMO } from '../../scripts/lib/demo.ts';

export const PERSONAS = ['anonymous', 'otherApp', 'otherAdmin', 'ownerApp', 'ownerAdmin', 'globalAdmin'] as const;
export type Persona = (typeof PERSONAS)[number];

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export interface AccessContext {
  call(method: string, path: string, body?: unknown, client?: string): Promise<Answer>;
  keys: Record<Persona, string | undefined>;
  ids: { roomId: string; subscriptionId: string; ownerMemberId: string; otherMemberId: string; clinicAppId: string };
  state: Record<string, string>;
}

export interface Request {
  method: string;
  path: string;
  body?: unknown;
  client?: string;
}

export interface AccessCase {
  op: string;
  /** Statuses in the order of PERSONAS. */
  expect: [number, number, number, number, number, number];
  request(ctx: AccessContext, persona: Persona): Request;
  prepare?(ctx: AccessContext): Promise<void>;
  after?(ctx: AccessContext, persona: Persona, res: Answer): void;
}

export const ROOM = DEMO.roomPath; // /r1/DEV/GOV/MOH/births
export const A = '/api/admin/v1';
export const OTHER = DEMO.subscriberClient;
export const OWNER = DEMO.publisherClient;

/** The client id each persona names in X-GovStack-Client: its own, or (admins) one of its member's. */
export function clientOf(p: Persona): string {
  return p === 'otherApp' || p === 'otherAdmin' || p === 'globalAdmin' ? OTHER : OWNER;
}

export const PULL = `${ROOM}/pull/v1/${DEMO.eventType}`;

/** Publishes an event as clinic-a and waits until its PULL subscription has it (leased once, given back). */
export async function pullableEvent(ctx: AccessContext): Promise<void> {
  const as = (path: string, body: unknown) =>
    fetch(`${ctx.state.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.keys.ownerApp}`, 'x-govstack-client': OWNER, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(async (r) => (await r.json()) as Record<string, unknown>);
  await as(`${ROOM}/pub/v1/${DEMO.eventType}`, { eventType: DEMO.eventType, event: DEMO.sampleEvent });
  for (let i = 0; i < 6; i++) {
    const [item] = ((await as(`${PULL}/lease`, { max: 1, waitSeconds: 5 })).items ?? []) as { receipt: string }[];
    if (item) {
      await as(`${PULL}/nack`, { receipts: [item.receipt] });
      return;
    }
  }
  throw new Error('the PULL subscription did not receive the event within 30 s');
}

/** Waits (as the central admin) until a log route answers 200 with what the row needs. */
export async function logged(ctx: AccessContext, path: string, ready: (body: Record<string, unknown>) => boolean): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const r = await ctx.call('GET', path);
    if (r.status === 200 && ready(r.body)) return;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`${path} did not become ready within 30 s`);
}

export const get = (path: string) => (_: AccessContext, p: Persona): Request => ({ method: 'GET', path, client: clientOf(p) });
export const simpleSchema = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', additionalProperties: false, properties: { a: { type: 'string' } } };

export async function pendingRoom(ctx: AccessContext, code: string): Promise<string> {
  const r = await ctx.call('POST', `${A}/rooms`, { ...DEMO.owner, name: undefined, room: code });
  if (r.status !== 201) throw new Error(`room ${code}: ${r.status} ${JSON.stringify(r.body)}`);
  return String(r.body.id);
}

export async function applyMember(ctx: AccessContext, code: string): Promise<string> {
  const r = await ctx.call('POST', `${A}/members/apply`, { instance: 'DEV', memberClass: 'GOV', memberCode: code, name: `Applicant ${code}` });
  if (r.status !== 201) throw new Error(`apply ${code}: ${r.status} ${JSON.stringify(r.body)}`);
  return String(r.body.id);
}

export async function pendingApplication(ctx: AccessContext, code: string): Promise<string> {
  // Applied for by the owner's member admin, so it stays PENDING.
  const res = await fetch(`${ctx.state.baseUrl}${A}/members/${ctx.ids.ownerMemberId}/applications`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.keys.ownerAdmin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== 201) throw new Error(`application ${code}: ${res.status} ${JSON.stringify(body)}`);
  return String(body.id);
}
