/**
 * Seeds the demo through the public HTTP API, exactly as an operator and two member
 * organisations would: the Ministry of Health (DEV/GOV/MOH) owns the room `births`, its
 * application `clinic-a` publishes `newBirth` events, and the civil registry's application
 * (DEV/GOV/REG/births-registry) subscribes by push. `npm start` and the end-to-end test both
 * run this, so the demo is tested.
 */
import { readFileSync } from 'node:fs';

export const DEMO = {
  owner: { instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', name: 'Ministry of Health' },
  subscriberMember: { instance: 'DEV', memberClass: 'GOV', memberCode: 'REG', name: 'Civil Registry' },
  room: 'births',
  eventType: 'newBirth',
  publisherApp: 'clinic-a',
  subscriberApp: 'births-registry',
  publisherClient: 'DEV/GOV/MOH/clinic-a',
  subscriberClient: 'DEV/GOV/REG/births-registry',
  roomPath: '/r1/DEV/GOV/MOH/births',
  /** The example event type of schemas/examples: a birth, keyed by the mother's id. */
  schema: JSON.parse(readFileSync(new URL('../../schemas/examples/newBirth.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>,
  sampleEvent: { dateTime: '2026-11-22T10:25:00+02:00', gender: 'F', motherId: 'mother-0042', place: 'City Hospital', weight: 3200 },
} as const;

export interface SeededDemo {
  publisherKey: string;
  subscriberKey: string;
  subscriptionId: string;
  signingSecret: string;
  roomId: string;
  generation: number;
}

/** One JSON call to the platform's HTTP API with an API key (and `X-GovStack-Client`); throws on a non-2xx answer. */
export async function call(baseUrl: string, key: string, method: string, path: string, body?: unknown, client?: string): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (client) headers['x-govstack-client'] = client;
  const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export async function seedDemo(baseUrl: string, adminKey: string, pushUrl: string): Promise<SeededDemo> {
  const admin = (method: string, path: string, body?: unknown, client?: string) => call(baseUrl, adminKey, method, path, body, client);
  const owner = await admin('POST', '/api/admin/v1/members', DEMO.owner);
  const publisher = await admin('POST', `/api/admin/v1/members/${String(owner.id)}/applications`, { code: DEMO.publisherApp });
  const registry = await admin('POST', '/api/admin/v1/members', DEMO.subscriberMember);
  const subscriber = await admin('POST', `/api/admin/v1/members/${String(registry.id)}/applications`, { code: DEMO.subscriberApp });
  const room = await admin('POST', '/api/admin/v1/rooms', { ...DEMO.owner, name: undefined, room: DEMO.room });
  await admin('POST', `/api/admin/v1/rooms/${String(room.id)}/approve`);
  await admin(
    'POST',
    `${DEMO.roomPath}/api/v1/eventType`,
    { eventType: DEMO.eventType, schema: DEMO.schema, keyAttribute: '/motherId', description: 'A birth registered at a health facility' },
    DEMO.publisherClient,
  );
  await admin('POST', `/api/admin/v1/rooms/${String(room.id)}/publishers`, { clientId: DEMO.publisherClient, eventTypes: [DEMO.eventType] });
  const subscriberKey = String(subscriber.apiKey);
  const sub = await call(
    baseUrl,
    subscriberKey,
    'POST',
    `${DEMO.roomPath}/api/v1/subs/${DEMO.eventType}`,
    { eventType: DEMO.eventType, delivery: 'PUSH', options: { pushUrl, FIFO: true } },
    DEMO.subscriberClient,
  );
  const approved = await admin('POST', `/api/admin/v1/subscriptions/${String(sub.id)}/approve`);
  return {
    publisherKey: String(publisher.apiKey),
    subscriberKey,
    subscriptionId: String(sub.id),
    signingSecret: String(sub.signingSecret),
    roomId: String(room.id),
    generation: Number(approved.generation),
  };
}

/** Publishes through the GovStack publish route and returns the status and body. */
export async function publish(baseUrl: string, key: string, event: unknown, opts: { client?: string; eventType?: string; bodyType?: string } = {}) {
  const eventType = opts.eventType ?? DEMO.eventType;
  const res = await fetch(`${baseUrl}${DEMO.roomPath}/pub/v1/${eventType}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-govstack-client': opts.client ?? DEMO.publisherClient },
    body: JSON.stringify({ eventType: opts.bodyType ?? eventType, event }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
