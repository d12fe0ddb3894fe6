/**
 * Dead letters per subscription (decision 0026):
 *
 *   GET  /api/v1/subscriptions/{id}/dead-letters               list with failure metadata, filters, keyset pages
 *   GET  /api/v1/subscriptions/{id}/dead-letters/{deadLetterId} one, with its payload for the subscriber
 *   POST /api/v1/subscriptions/{id}/dead-letters/redrive       dry run (200, a count) or redrive (202)
 *   POST /api/v1/subscriptions/{id}/dead-letters/purge         dry run or purge (200)
 *   GET  /api/v1/subscriptions/{id}/redrives                   its redrives and purges, newest first (the audit trail)
 *   GET  /api/v1/subscriptions/{id}/redrives/{operationId}     a redrive's or purge's record and progress
 *
 * Access is dead-letter-access.ts; a subscription the caller may not see is 404. A redrive takes
 * at most ROOMCAST_REDRIVE_MAX_EVENTS dead letters per call (the oldest first; call again for
 * more), claims them once (dead-letters.ts in packages/log) and hands them to the redrive topic
 * before answering; the dispatchers deliver them at the redrive's pace.
 */
import { randomBytes } from 'node:crypto';
import { openEventPayload, RoomcastError } from '@roomcast/core';
import { type ApiRouter, type JsonSchema, type Principal, problemResponseSpec, setAuditTarget } from '@roomcast/http';
import {
  claimDeadLetters as claimAll,
  countDeadLetters,
  DEAD_LETTER_STATES,
  type DeadLetterFilter,
  type DeadLetterRow,
  type DeadLetterState,
  decodeCursor,
  deadLetterId,
  encodeCursor,
  failuresOf,
  getDeadLetter,
  isClaimBusy,
  listDeadLetters,
  listOperations,
  type LogStore,
  type OperationRow,
  operationOf,
  parseDeadLetterId,
  redriveProgress,
} from '@roomcast/log';
import { decodeHeaders } from '@roomcast/kafka';
import { decodeWire } from '@roomcast/registry';
import type { RoutingFollower, SubscriptionRoute } from '@roomcast/routing';
import type { Context } from 'hono';
import { deadLetterAccess } from './dead-letter-access.ts';
import { type HandoffDeps, handOff, readDeadLetters } from './redrive-handoff.ts';

export interface DeadLetterDeps extends HandoffDeps {
  store: LogStore;
  routing: RoutingFollower;
  /** Most dead letters one redrive or purge call takes. */
  maxEvents: number;
  /** Highest (and default) pace of a redrive, deliveries per second. */
  maxRatePerSec: number;
  onOperation?: (action: 'redrive' | 'purge', claimed: number, failed: number) => void;
}

const TAGS = ['roomcast', 'dead-letters'];
const BASE = '/api/v1/subscriptions/{subscriptionId}';
const PARAMS = { subscriptionId: 'Subscription id', deadLetterId: 'Dead letter id (dl_<partition>_<offset>)', operationId: 'Redrive or purge id' };

const filterProps = {
  from: { type: 'string', format: 'date-time', description: 'Dead-lettered at or after (ISO-8601)' },
  to: { type: 'string', format: 'date-time', description: 'Dead-lettered before' },
  eventType: { type: 'string', minLength: 1, maxLength: 200 },
  errorClass: { type: 'string', minLength: 1, maxLength: 200, description: 'Why it was given up (rejected, expired, attempts, …) or its last error (HTTP 400, timeout, …)' },
  httpStatus: { type: 'integer', minimum: 100, maximum: 599, description: 'Last HTTP status of the endpoint' },
} as const;

const CURSOR = { type: 'string', minLength: 1, maxLength: 200, description: 'The `next` of the previous page' } as const;
/** A list's answer: one page of `items` and the cursor of the next (null on the last). */
const pageOf = (items: JsonSchema) => ({ description: 'One page', schema: { type: 'object', required: ['items', 'next'], properties: { items: { type: 'array', items }, next: { type: ['string', 'null'] } } } });
const badCursor = () => new RoomcastError('request.validation_failed', { errors: [{ pointer: '/query/cursor', message: 'is not a cursor of this list' }] });

const actionBody: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...filterProps,
    ids: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', pattern: '^dl_\\d{1,9}_\\d{1,19}$' }, description: 'Only these dead letters (and the filters)' },
    dryRun: { type: 'boolean', default: false, description: 'Count what would be taken; change nothing' },
  },
};
const redriveBody: JsonSchema = {
  ...actionBody,
  properties: { ...(actionBody.properties as Record<string, unknown>), ratePerSec: { type: 'number', exclusiveMinimum: 0, description: 'Deliveries per second at most; default and ceiling ROOMCAST_REDRIVE_MAX_RATE_PER_SEC' } },
};

const deadLetterSchema: JsonSchema = {
  type: 'object',
  required: ['id', 'eventId', 'eventType', 'state', 'reason', 'deadLetteredAt'],
  properties: {
    id: { type: 'string' },
    eventId: { type: 'string', format: 'uuid' },
    eventType: { type: 'string' },
    publisher: { type: 'string' },
    publishedAt: { type: 'string', format: 'date-time' },
    classification: { type: 'string' },
    mode: { type: 'string', enum: ['push', 'pull'] },
    state: { type: 'string', enum: ['dead', 'redriven', 'purged'] },
    reason: { type: 'string', description: 'Why delivery was given up' },
    errorClass: { type: ['string', 'null'], description: 'The last error' },
    httpStatus: { type: ['integer', 'null'] },
    attempts: { type: ['integer', 'null'] },
    firstAttemptAt: { type: ['string', 'null'], format: 'date-time' },
    lastAttemptAt: { type: ['string', 'null'], format: 'date-time' },
    deadLetteredAt: { type: 'string', format: 'date-time' },
    claimedBy: { type: ['string', 'null'], description: 'The redrive or purge that took it' },
    source: { type: 'object', properties: { topic: { type: 'string' }, partition: { type: 'integer' }, offset: { type: 'string' } } },
  },
};

interface FilterInput {
  from?: string;
  to?: string;
  eventType?: string;
  errorClass?: string;
  httpStatus?: number;
  ids?: string[];
}

function filterOf(q: FilterInput, base: '/query' | '', state: DeadLetterState): DeadLetterFilter {
  const from = q.from ? new Date(q.from) : undefined;
  const to = q.to ? new Date(q.to) : undefined;
  if (from && to && !(to > from)) throw new RoomcastError('request.validation_failed', { errors: [{ pointer: `${base}/to`, message: 'must be after `from`' }] });
  const ids = q.ids?.map((id, i) => {
    const k = parseDeadLetterId(id);
    if (!k) throw new RoomcastError('request.validation_failed', { errors: [{ pointer: `${base}/ids/${i}`, message: 'is not a dead letter id' }] });
    return k;
  });
  return { from, to, eventType: q.eventType, errorClass: q.errorClass, httpStatus: q.httpStatus, ids, state };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function view(r: DeadLetterRow) {
  return {
    id: deadLetterId({ partition: r.kpartition, offset: String(r.koffset) }),
    eventId: r.event_id,
    eventType: r.event_type,
    publisher: r.publisher,
    publishedAt: r.published_at.toISOString(),
    classification: r.classification,
    mode: r.mode,
    state: r.claim_action === 'redrive' ? 'redriven' : r.claim_action === 'purge' ? 'purged' : 'dead',
    reason: r.reason,
    errorClass: r.detail,
    httpStatus: r.http_status,
    attempts: r.attempts,
    firstAttemptAt: iso(r.first_attempt_at),
    lastAttemptAt: iso(r.last_attempt_at),
    deadLetteredAt: r.dead_lettered_at.toISOString(),
    claimedBy: r.claimed_by,
    source: { topic: r.source_topic, partition: r.source_partition, offset: String(r.source_offset) },
  };
}

/** The subscription and what the caller may do with its dead letters; 404 when it may not see it. */
function subscriptionFor(d: DeadLetterDeps, principal: Principal, id: string) {
  const index = d.routing.current();
  const sub = index.contract.subscriptions.find((s) => s.id === id);
  const access = sub ? deadLetterAccess(principal, sub, index.roomById(sub.roomId)) : undefined;
  if (!sub || !access?.read) throw new RoomcastError('subscription.not_found');
  return { sub, access, index };
}

function mayAct(access: { act: boolean }): void {
  if (!access.act) throw new RoomcastError('auth.forbidden', { detail: "Only the subscriber, its member's admin or the central admin may redrive or purge its dead letters" });
}

/** A redrive delivers through the subscription's push consumer path; it must be ACTIVE and PUSH. */
function mayRedrive(sub: SubscriptionRoute): void {
  if (sub.status !== 'ACTIVE') throw new RoomcastError('subscription.invalid_state', { detail: 'The subscription is paused: resume it, then redrive (a paused subscription delivers nothing)' });
  if (sub.mode !== 'PUSH' || !sub.pushUrl) throw new RoomcastError('subscription.invalid_state', { detail: 'Only PUSH subscriptions can be redriven' });
}

const actorOf = (p: Principal) => {
  const who = p.clientId ?? (p.member ? `member:${p.member}` : p.role === 'GLOBAL_ADMIN' ? 'global-admin' : p.role.toLowerCase());
  return p.keyId ? `${who} key:${p.keyId}` : who;
};
const newId = (prefix: string) => `${prefix}_${randomBytes(10).toString('hex')}`;
/** Claims as packages/log does; a wait past the lock timeout is `409 dead_letter.busy`. */
const claimDeadLetters: typeof claimAll = async (...args) => {
  try {
    return await claimAll(...args);
  } catch (err) {
    if (isClaimBusy(err)) throw new RoomcastError('dead_letter.busy', { headers: { 'retry-after': '5' } });
    throw err;
  }
};

const requestIdOf = (c: Context) => (c.get('requestId') as string | undefined) ?? 'unknown';

export function deadLetterRoutes(router: ApiRouter, d: DeadLetterDeps): void {
  const topic = d.deadLetterTopic;

  router.add<unknown, FilterInput & { state: DeadLetterState; limit: number; cursor?: string }>({
    method: 'get',
    path: `${BASE}/dead-letters`,
    operationId: 'listDeadLetters',
    summary: "A subscription's dead letters, newest first, with why and how delivery failed",
    tags: TAGS,
    params: PARAMS,
    query: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ...filterProps,
        state: { type: 'string', enum: [...DEAD_LETTER_STATES], default: 'dead', description: 'dead (default): not redriven or purged yet' },
        limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
        cursor: CURSOR,
      },
    },
    responses: {
      200: pageOf(deadLetterSchema),
      404: problemResponseSpec('No such subscription, or not the caller’s'),
    },
    async handler(c, { params, query, principal }) {
      const { sub } = subscriptionFor(d, principal, params.subscriptionId as string);
      const after = query.cursor ? decodeCursor(query.cursor) : undefined;
      if (query.cursor && !after) throw badCursor();
      const rows = await listDeadLetters(d.store, topic, sub.id, filterOf(query, '/query', query.state), query.limit + 1, after);
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      const next = rows.length > query.limit && last ? encodeCursor({ at: last.dead_lettered_at, partition: last.kpartition, offset: String(last.koffset) }) : null;
      return c.json({ items: page.map(view), next });
    },
  });

  router.add({
    method: 'get',
    path: `${BASE}/dead-letters/{deadLetterId}`,
    operationId: 'getDeadLetter',
    summary: 'One dead letter; with its payload (decrypted) for the subscriber and its member admin',
    tags: TAGS,
    params: PARAMS,
    responses: {
      200: { description: 'The dead letter', schema: { ...deadLetterSchema, properties: { ...(deadLetterSchema.properties as object), event: { description: 'The payload (subscriber only)' }, payloadError: { type: 'string' } } } },
      404: problemResponseSpec('No such dead letter or subscription, or not the caller’s'),
    },
    async handler(c, { params, principal }) {
      const { sub, access, index } = subscriptionFor(d, principal, params.subscriptionId as string);
      const key = parseDeadLetterId(params.deadLetterId as string);
      const row = key ? await getDeadLetter(d.store, topic, sub.id, key) : undefined;
      if (!row) throw new RoomcastError('dead_letter.not_found');
      if (!access.payload) return c.json(view(row));
      const rec = (await readDeadLetters(d.kafka, topic, [row])).get(`${row.kpartition}:${row.koffset}`);
      const room = index.roomById(row.room_id);
      const wire = rec?.value ? decodeWire(rec.value) : undefined;
      const headers = rec ? decodeHeaders(rec.headers) : undefined;
      if (!wire || !headers || !room) return c.json({ ...view(row), payloadError: room ? 'record_gone' : 'room_gone' });
      try {
        return c.json({ ...view(row), event: JSON.parse(openEventPayload(d.dataKeys, room, headers, wire.payload).toString('utf8')) });
      } catch {
        return c.json({ ...view(row), payloadError: 'undecryptable' });
      }
    },
  });

  router.add<FilterInput & { dryRun: boolean; ratePerSec?: number }>({
    method: 'post',
    path: `${BASE}/dead-letters/redrive`,
    operationId: 'redriveDeadLetters',
    summary: 'Deliver dead letters again, to this subscription only, each at most once',
    description:
      'Takes the oldest matching dead letters (at most ROOMCAST_REDRIVE_MAX_EVENTS per call) and hands them to the dispatchers, which deliver them at `ratePerSec` through the normal push path (signing, address guard, retries, circuit breaker, delivery log). A dead letter is taken by one redrive or purge only: a second call over the same set takes nothing. `dryRun: true` answers the count and changes nothing. A dead letter whose event type was deleted, whose payload no longer opens, or whose record left Kafka is reported in `failures` and stays dead. The subscription must be ACTIVE and PUSH.',
    tags: TAGS,
    params: PARAMS,
    body: redriveBody,
    bodyRequired: false,
    audit: 'dead_letters.redrive',
    responses: {
      200: { description: 'Dry run: how many this call would take (`matched`) of all that match (`total`)', schema: { type: 'object', properties: { dryRun: { type: 'boolean' }, matched: { type: 'integer' }, total: { type: 'integer' } } } },
      202: { description: 'Handed to the dispatchers; follow it at `status`', schema: { type: 'object', properties: { id: { type: 'string' }, matched: { type: 'integer' }, queued: { type: 'integer' }, failed: { type: 'integer' }, status: { type: 'string' } } } },
      404: problemResponseSpec('No such subscription, or not the caller’s'),
      409: problemResponseSpec('The subscription is paused or not PUSH, or another redrive or purge of it is under way (`dead_letter.busy`)'),
    },
    async handler(c, { params, body, principal }) {
      const input = (body ?? { dryRun: false }) as FilterInput & { dryRun?: boolean; ratePerSec?: number };
      const { sub, access, index } = subscriptionFor(d, principal, params.subscriptionId as string);
      mayAct(access);
      const filter = filterOf(input, '', 'dead');
      if (input.ratePerSec !== undefined && input.ratePerSec > d.maxRatePerSec) {
        throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '/ratePerSec', message: `must be at most ${d.maxRatePerSec}` }] });
      }
      mayRedrive(sub);
      if (input.dryRun) {
        const total = await countDeadLetters(d.store, topic, sub.id, filter);
        return c.json({ dryRun: true, matched: Math.min(total, d.maxEvents), total });
      }
      const id = newId('rdr');
      const rate = input.ratePerSec ?? d.maxRatePerSec;
      const { ids: _ids, dryRun: _dry, ...recorded } = input;
      const result = await claimDeadLetters(
        d.store,
        topic,
        { id, subscriptionId: sub.id, action: 'redrive', actor: actorOf(principal), actorRole: principal.role, requestId: requestIdOf(c), filter: { ...recorded, ids: input.ids?.length ?? 0 }, ratePerSec: rate },
        filter,
        d.maxEvents,
        (rows) => handOff(d, index, sub, id, rate, rows),
      );
      d.onOperation?.('redrive', result.claimed, result.failed);
      setAuditTarget(c, sub.id, undefined, { redrive: id, queued: result.claimed, failed: result.failed });
      const failures = result.failed > 0 ? (await failuresOf(d.store, id, 100)).map(failureView) : [];
      return c.json({ id, matched: result.matched, queued: result.claimed, failed: result.failed, failures, status: `/api/v1/subscriptions/${sub.id}/redrives/${id}` }, 202);
    },
  });

  router.add<FilterInput & { dryRun: boolean }>({
    method: 'post',
    path: `${BASE}/dead-letters/purge`,
    operationId: 'purgeDeadLetters',
    summary: 'Remove dead letters from the list (they are kept as purged, never redriven)',
    tags: TAGS,
    params: PARAMS,
    body: actionBody,
    bodyRequired: false,
    audit: 'dead_letters.purge',
    responses: {
      200: { description: 'Dry run count, or what was purged', schema: { type: 'object', properties: { id: { type: 'string' }, dryRun: { type: 'boolean' }, matched: { type: 'integer' }, purged: { type: 'integer' } } } },
      404: problemResponseSpec('No such subscription, or not the caller’s'),
      409: problemResponseSpec('Another redrive or purge of the subscription is under way (`dead_letter.busy`)'),
    },
    async handler(c, { params, body, principal }) {
      const input = (body ?? { dryRun: false }) as FilterInput & { dryRun?: boolean };
      const { sub, access } = subscriptionFor(d, principal, params.subscriptionId as string);
      mayAct(access);
      const filter = filterOf(input, '', 'dead');
      if (input.dryRun) return c.json({ dryRun: true, matched: await countDeadLetters(d.store, topic, sub.id, filter) });
      const id = newId('prg');
      const { ids: _ids, dryRun: _dry, ...recorded } = input;
      const result = await claimDeadLetters(
        d.store,
        topic,
        { id, subscriptionId: sub.id, action: 'purge', actor: actorOf(principal), actorRole: principal.role, requestId: requestIdOf(c), filter: { ...recorded, ids: input.ids?.length ?? 0 }, ratePerSec: null },
        filter,
        d.maxEvents,
        async (rows) => ({ claims: rows.map((r) => ({ key: { partition: r.kpartition, offset: String(r.koffset) }, outcome: 'purged' })), failures: [] }),
      );
      d.onOperation?.('purge', result.claimed, 0);
      setAuditTarget(c, sub.id, undefined, { purge: id, purged: result.claimed });
      return c.json({ id, dryRun: false, matched: result.matched, purged: result.claimed });
    },
  });

  router.add<unknown, { limit: number; cursor?: string }>({
    method: 'get',
    path: `${BASE}/redrives`,
    operationId: 'listRedrives',
    summary: "A subscription's redrives and purges, newest first: who, when, which filter, how many (the audit trail of its dead letters)",
    tags: TAGS,
    params: PARAMS,
    query: {
      type: 'object',
      additionalProperties: false,
      properties: {
        limit: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
        cursor: CURSOR,
      },
    },
    responses: {
      200: pageOf(operationSchema),
      404: problemResponseSpec('No such subscription, or not the caller’s'),
    },
    async handler(c, { params, query, principal }) {
      const { sub } = subscriptionFor(d, principal, params.subscriptionId as string);
      const before = query.cursor ? decodeOperationCursor(query.cursor) : undefined;
      if (query.cursor && !before) throw badCursor();
      const rows = await listOperations(d.store, sub.id, query.limit + 1, before);
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      const next = rows.length > query.limit && last ? Buffer.from(JSON.stringify([last.created_at.toISOString(), last.id])).toString('base64url') : null;
      return c.json({ items: page.map(operationView), next });
    },
  });

  router.add({
    method: 'get',
    path: `${BASE}/redrives/{operationId}`,
    operationId: 'getRedrive',
    summary: 'A redrive or purge: who, when, which filter, and how far the redrive has come',
    tags: TAGS,
    params: PARAMS,
    responses: {
      200: {
        description: 'The operation; for a redrive, `delivered` and `deadLetteredAgain` come from the delivery log and `remaining` is still under way',
        schema: { type: 'object', properties: { id: { type: 'string' }, action: { type: 'string' }, queued: { type: 'integer' }, delivered: { type: 'integer' }, deadLetteredAgain: { type: 'integer' }, remaining: { type: 'integer' }, failed: { type: 'integer' } } },
      },
      404: problemResponseSpec('No such operation or subscription, or not the caller’s'),
    },
    async handler(c, { params, principal }) {
      const { sub } = subscriptionFor(d, principal, params.subscriptionId as string);
      const op = await operationOf(d.store, sub.id, params.operationId as string);
      if (!op) throw new RoomcastError('redrive.not_found');
      const base = operationView(op);
      if (op.action !== 'redrive') return c.json(base);
      const p = await redriveProgress(d.store, op);
      const failures = op.failed > 0 ? (await failuresOf(d.store, op.id, 100)).map(failureView) : [];
      return c.json({ ...base, queued: op.claimed, delivered: p.delivered, deadLetteredAgain: p.deadAgain, remaining: Math.max(0, op.claimed - p.delivered - p.deadAgain), failures });
    },
  });
}

const operationSchema: JsonSchema = {
  type: 'object',
  required: ['id', 'action', 'actor', 'createdAt', 'matched'],
  properties: {
    id: { type: 'string' },
    action: { type: 'string', enum: ['redrive', 'purge'] },
    actor: { type: 'string', description: 'Who asked: client id or member, and the key id' },
    actorRole: { type: 'string' },
    requestId: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    filter: { type: 'object' },
    ratePerSec: { type: ['number', 'null'] },
    matched: { type: 'integer' },
    queued: { type: 'integer', description: 'redrive: dead letters handed to the redrive topic' },
    purged: { type: 'integer', description: 'purge: dead letters purged' },
    failed: { type: 'integer' },
  },
};

function operationView(op: OperationRow) {
  const taken = op.action === 'redrive' ? { queued: op.claimed } : { purged: op.claimed };
  return { id: op.id, action: op.action, actor: op.actor, actorRole: op.actor_role, requestId: op.request_id, createdAt: op.created_at.toISOString(), filter: op.filter, ratePerSec: op.rate_per_sec, matched: op.matched, ...taken, failed: op.failed };
}

function decodeOperationCursor(cursor: string): { at: Date; id: string } | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'string') return undefined;
    const at = new Date(v[0]);
    return Number.isNaN(at.getTime()) ? undefined : { at, id: v[1] };
  } catch {
    return undefined;
  }
}

function failureView(f: { kpartition: number; koffset: string; event_id: string | null; reason: string }) {
  return { id: deadLetterId({ partition: f.kpartition, offset: String(f.koffset) }), eventId: f.event_id, reason: f.reason };
}
