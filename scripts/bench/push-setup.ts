/**
 * The push bench's world, built only through the platform's public HTTP API (so it keeps
 * working whatever the dispatcher does inside): an endpoint-allowlist entry for the loopback
 * sink (besides dev mode, in case the dispatcher checks the address at connect time), an owner
 * member with a publishing application, a subscriber member with applications `sink-000…`,
 * rooms (auto-approving, with a fixed partition count, one event type keyed by `/motherId`,
 * the publisher granted), PUSH subscriptions, pause and resume through the owner's admin
 * routes, and batch publishing.
 */
import { Pool } from 'undici';
import { call, DEMO } from '../lib/demo.ts';

export const PUSH_EVENT_TYPE = DEMO.eventType;
const OWNER = { instance: 'DEV', memberClass: 'GOV', memberCode: 'PUSHB', name: 'Push bench owner' };
const SUBSCRIBERS = { instance: 'DEV', memberClass: 'GOV', memberCode: 'SINKS', name: 'Push bench subscribers' };
const PUBLISHER = `${OWNER.instance}/${OWNER.memberClass}/${OWNER.memberCode}/producer`;
const BATCH = 500;

export interface PushRoom {
  id: string;
  /** /r1/DEV/GOV/PUSHB/{room} */
  path: string;
}

export interface PushSubOptions {
  pushUrl: string;
  FIFO: boolean;
  maxInFlight: number;
}

/** One event of the bench: the demo birth with one of `keys` mothers (the FIFO key). */
export function benchEvent(i: number, keys: number): Record<string, unknown> {
  return { ...DEMO.sampleEvent, motherId: `mother-${String(i % keys).padStart(5, '0')}` };
}

async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

export class PushWorld {
  readonly url: string;
  readonly #admin: string;
  readonly partitions: number;
  publisherKey = '';
  #subscriberMember = '';
  #apps = 0;
  /** For single publishes (the open loop): enough connections that the client does not cap concurrency. */
  readonly #pool: Pool;

  constructor(url: string, adminKey: string, partitions: number) {
    this.url = url;
    this.#pool = new Pool(url, { connections: 256 });
    this.#admin = adminKey;
    this.partitions = partitions;
  }

  get publisherClient(): string {
    return PUBLISHER;
  }

  #call(method: string, path: string, body?: unknown, client?: string) {
    return call(this.url, this.#admin, method, path, body, client);
  }

  async setup(): Promise<void> {
    await this.#call('POST', '/api/admin/v1/endpoint-allowlist', { pattern: '127.0.0.1', reason: 'push bench: local sink' });
    const owner = await this.#call('POST', '/api/admin/v1/members', OWNER);
    const producer = await this.#call('POST', `/api/admin/v1/members/${String(owner.id)}/applications`, { code: 'producer' });
    this.publisherKey = String(producer.apiKey);
    this.#subscriberMember = String((await this.#call('POST', '/api/admin/v1/members', SUBSCRIBERS)).id);
  }

  async room(name: string): Promise<PushRoom> {
    const room = await this.#call('POST', '/api/admin/v1/rooms', { ...OWNER, name: undefined, room: name, partitions: this.partitions, autoApprove: true });
    const id = String(room.id);
    await this.#call('POST', `/api/admin/v1/rooms/${id}/approve`);
    const path = `/r1/${OWNER.instance}/${OWNER.memberClass}/${OWNER.memberCode}/${name}`;
    await this.#call('POST', `${path}/api/v1/eventType`, { eventType: PUSH_EVENT_TYPE, schema: DEMO.schema, keyAttribute: '/motherId', description: 'push bench' }, PUBLISHER);
    await this.#call('POST', `/api/admin/v1/rooms/${id}/publishers`, { clientId: PUBLISHER, eventTypes: [PUSH_EVENT_TYPE] });
    return { id, path };
  }

  /** Client id of subscriber application `i` (created on first use). */
  static app(i: number): string {
    return `${SUBSCRIBERS.instance}/${SUBSCRIBERS.memberClass}/${SUBSCRIBERS.memberCode}/sink-${String(i).padStart(3, '0')}`;
  }

  async ensureApps(n: number): Promise<void> {
    const missing = Array.from({ length: Math.max(0, n - this.#apps) }, (_, k) => this.#apps + k);
    await inParallel(missing, 4, async (i) => {
      await this.#call('POST', `/api/admin/v1/members/${this.#subscriberMember}/applications`, { code: `sink-${String(i).padStart(3, '0')}` });
    });
    this.#apps = Math.max(this.#apps, n);
  }

  /** A PUSH subscription of application `app` (ACTIVE at once: the rooms auto-approve); its id. */
  async subscribe(room: PushRoom, app: number, options: PushSubOptions): Promise<string> {
    await this.ensureApps(app + 1);
    const sub = await this.#call('POST', `${room.path}/api/v1/subs/${PUSH_EVENT_TYPE}`, { eventType: PUSH_EVENT_TYPE, delivery: 'PUSH', options }, PushWorld.app(app));
    if (sub.status !== 'ACTIVE') throw new Error(`subscription ${String(sub.id)} is ${String(sub.status)}, expected ACTIVE`);
    return String(sub.id);
  }

  /** Subscriptions for applications `from`…`to - 1`, `width` at a time. */
  async subscribeMany(room: PushRoom, from: number, to: number, options: (app: number) => PushSubOptions, width = 4): Promise<string[]> {
    await this.ensureApps(to);
    const ids: string[] = [];
    await inParallel(
      Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k),
      width,
      async (app) => void ids.push(await this.subscribe(room, app, options(app))),
    );
    return ids;
  }

  pause(subscriptionId: string) {
    return this.#call('POST', `/api/admin/v1/subscriptions/${subscriptionId}/pause`, { reason: 'push bench' });
  }

  resume(subscriptionId: string) {
    return this.#call('POST', `/api/admin/v1/subscriptions/${subscriptionId}/resume`);
  }

  /** Publishes `n` events (`event(i)`) through the batch route, `width` requests at a time; throws unless every one is accepted. */
  async publishBatches(room: PushRoom, n: number, event: (i: number) => Record<string, unknown>, width = 2): Promise<void> {
    const starts = Array.from({ length: Math.ceil(n / BATCH) }, (_, k) => k * BATCH);
    await inParallel(starts, width, async (start) => {
      const events = Array.from({ length: Math.min(BATCH, n - start) }, (_, k) => ({ eventType: PUSH_EVENT_TYPE, event: event(start + k) }));
      const answer = await call(this.url, this.publisherKey, 'POST', `${room.path}/pub/v1/${PUSH_EVENT_TYPE}/batch`, { events }, PUBLISHER);
      if (Number(answer.accepted) !== events.length) throw new Error(`batch publish accepted ${String(answer.accepted)} of ${events.length}: ${JSON.stringify(answer).slice(0, 300)}`);
    });
  }

  /** One publish through the GovStack route with a chosen event id; true when it was accepted (201). */
  async publishOne(room: PushRoom, event: Record<string, unknown>, id: string): Promise<boolean> {
    const res = await this.#pool.request({
      path: `${room.path}/pub/v1/${PUSH_EVENT_TYPE}`,
      method: 'POST',
      headers: { authorization: `Bearer ${this.publisherKey}`, 'content-type': 'application/json', 'x-govstack-client': PUBLISHER },
      body: JSON.stringify({ eventType: PUSH_EVENT_TYPE, event, id }),
    });
    await res.body.dump();
    return res.statusCode === 201;
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}
