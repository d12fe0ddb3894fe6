/**
 * Search and reports over the message log:
 *
 *   GET /api/v1/log/events              events by room, event type, publisher, classification, time
 *   GET /api/v1/log/events/{eventId}    one event's whole history: its entry and every delivery row
 *   GET /api/v1/log/deliveries          deliveries by subscription, subscriber, room, state, HTTP status, time
 *   GET /api/v1/log/reports/events      counts per bucket, grouped by member, application, room, …
 *   GET /api/v1/log/reports/deliveries  counts and publish→delivered latency percentiles, grouped
 *
 * Every search needs `from` (and takes `to`, default now) spanning at most 31 days, so a query
 * touches a bounded number of day partitions; pages are at most 500 rows, ordered newest first,
 * with an opaque cursor. A bad parameter is 400 `request.validation_failed` naming
 * `/query/<name>`. Scoping (scope.ts) is part of every query.
 */
import { RoomcastError, roomKey } from '@roomcast/core';
import { type ApiRouter, type JsonSchema, type Principal, problemResponseSpec } from '@roomcast/http';
import { type DeliveryRow, type EventRow, isEventId, type LogStore } from '@roomcast/log';
import type { RoutingFollower, RoutingIndex } from '@roomcast/routing';
import { inScope, type Scope, scopeOf, scopeSql } from './scope.ts';

const DAY_MS = 24 * 3600_000;
const MAX_SPAN_MS = 31 * DAY_MS;
const TAGS = ['roomcast', 'log'];
const STATES = ['QUEUED', 'SENT', 'DELIVERED', 'ERRORED', 'FAILED', 'CANCELLED'];
const CLASSIFICATIONS = ['PUBLIC', 'INTERNAL', 'CONFIDENTIAL', 'PII', 'PHI'];

export const roomSchema = { type: 'string', pattern: '^[^/\\s]+/[^/\\s]+/[^/\\s]+/[^/\\s]+$', description: 'INSTANCE/CLASS/MEMBER/ROOM' };
const clientIdSchema = { type: 'string', minLength: 3, maxLength: 255, pattern: '^[^/\\s]+/[^/\\s]+/[^/\\s]+/[^/\\s]+$', description: 'INSTANCE/CLASS/MEMBER/APPLICATION' };
export const window = {
  from: { type: 'string', format: 'date-time', description: 'Start of the time range (inclusive), ISO-8601; required' },
  to: { type: 'string', format: 'date-time', description: 'End of the time range (exclusive); default now; at most 31 days after `from`' },
};
const paging = {
  limit: { type: 'integer', minimum: 1, maximum: 500, default: 100, description: 'Page size (1-500)' },
  cursor: { type: 'string', minLength: 1, maxLength: 200, description: 'The `next` of the previous page' },
};

const eventItemSchema: JsonSchema = {
  type: 'object',
  required: ['id', 'room', 'eventType', 'publisher', 'time', 'loggedAt', 'partition', 'offset'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    room: { type: 'string', description: 'INSTANCE/CLASS/MEMBER/ROOM' },
    eventType: { type: 'string' },
    publisher: { type: 'string' },
    time: { type: 'string', format: 'date-time', description: 'When the ingress accepted it' },
    loggedAt: { type: 'string', format: 'date-time', description: 'When Kafka stored it (the record timestamp)' },
    partition: { type: 'integer' },
    offset: { type: 'string' },
    urgent: { type: 'boolean' },
    keySha256: { type: ['string', 'null'] },
    payloadSha256: { type: 'string', description: 'SHA-256 of the record value as stored in Kafka' },
    size: { type: 'integer' },
    classification: { type: 'string' },
    priority: { type: 'string' },
    schemaId: { type: 'integer', description: 'Global id of the schema in the registry' },
    schemaVersion: { type: ['integer', 'null'], description: 'Version of that schema under the event type\'s subject (null for events logged before it was recorded)' },
    traceparent: { type: ['string', 'null'] },
  },
};
const deliveryItemSchema: JsonSchema = {
  type: 'object',
  required: ['eventId', 'subscriptionId', 'subscriber', 'mode', 'attempt', 'outcome', 'state', 'time'],
  properties: {
    eventId: { type: 'string', format: 'uuid' },
    room: { type: ['string', 'null'] },
    eventType: { type: 'string' },
    subscriptionId: { type: 'string' },
    subscriber: { type: 'string' },
    mode: { type: 'string', enum: ['push', 'pull', 'stream'] },
    attempt: { type: 'integer' },
    outcome: { type: 'string' },
    state: { type: 'string', enum: STATES },
    httpStatus: { type: ['integer', 'null'] },
    errorClass: { type: ['string', 'null'] },
    durationMs: { type: ['number', 'null'] },
    nextAttemptAt: { type: ['string', 'null'], format: 'date-time' },
    time: { type: 'string', format: 'date-time' },
    publishedAt: { type: ['string', 'null'], format: 'date-time' },
  },
};
const page = (item: JsonSchema): JsonSchema => ({ type: 'object', required: ['items', 'next'], properties: { items: { type: 'array', items: item }, next: { type: ['string', 'null'] } } });

/** A statement cut off by the log store's timeout is the caller's query being too wide, not an outage. */
export async function bounded<R>(run: () => Promise<R>): Promise<R> {
  try {
    return await run();
  } catch (err) {
    if ((err as { code?: string }).code === '57014') throw new RoomcastError('log.query_too_wide', { detail: 'Narrow the time range or add filters (room, event type, publisher, subscription)' });
    throw err;
  }
}

/**
 * The WHERE of a search: the time range, the caller's scope on `clientColumn`, then equality
 * filters and the keyset cursor added by the route; `params` in step.
 */
function searchFilter(principal: Principal, index: RoutingIndex, q: Window, clientColumn: string) {
  return logFilter(scopeOf(principal, index), timeRange(q), clientColumn);
}

/** The same WHERE for a scope and range already worked out (the monitoring API's series use it too). */
export function logFilter(scope: Scope, range: { from: Date; to: Date }, clientColumn: string) {
  const params: unknown[] = [range.from, range.to];
  const where = ['logged_at >= $1', 'logged_at < $2', scopeSql(scope, 'room_id', clientColumn, params)];
  return {
    params,
    where,
    eq(column: string, value: unknown) {
      params.push(value);
      where.push(`${column} = $${params.length}`);
    },
    /** `(columns) < (cursor values)`, each cast as given. */
    after(columns: string, casts: string[], values: unknown[]) {
      params.push(...values);
      const first = params.length - values.length + 1;
      where.push(`(${columns}) < (${casts.map((c, i) => `$${first + i}::${c}`).join(', ')})`);
    },
    limit(n: number) {
      params.push(n + 1);
      return `$${params.length}`;
    },
  };
}

export interface SearchDeps {
  store: LogStore;
  routing: RoutingFollower;
}

export interface Window {
  from: string;
  to?: string;
}

const bad = (name: string, message: string) => new RoomcastError('request.validation_failed', { errors: [{ pointer: `/query/${name}`, message }] });

/** The checked time range: `to` after `from`, at most 31 days apart. */
export function timeRange(q: Window, now = Date.now()): { from: Date; to: Date } {
  const from = new Date(q.from);
  const to = q.to ? new Date(q.to) : new Date(now);
  if (!(to.getTime() > from.getTime())) throw bad(q.to ? 'to' : 'from', 'must be after `from`');
  if (to.getTime() - from.getTime() > MAX_SPAN_MS) throw bad('to', 'must be at most 31 days after `from`');
  return { from, to };
}

/** Cursor = base64url JSON of the last row's sort key. */
export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(text: string | undefined, length: number): unknown[] | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === length && v.every((x) => typeof x === 'string')) return v;
  } catch {
    // reported below
  }
  throw bad('cursor', 'is not a cursor from this search');
}

export function roomIdOf(index: RoutingIndex, address: string): string {
  const [instance, memberClass, memberCode, room] = address.split('/');
  const r = instance && memberClass && memberCode && room ? index.room({ instance, memberClass, memberCode, room }) : undefined;
  // An unknown room matches nothing (and says nothing about whether it exists).
  return r?.id ?? '\u0000unknown';
}

export const roomName = (index: RoutingIndex, id: string) => {
  const r = index.roomById(id);
  return r ? roomKey(r.address) : null;
};

export function eventJson(index: RoutingIndex, r: EventRow) {
  return {
    id: r.event_id,
    room: roomName(index, r.room_id) ?? r.topic,
    eventType: r.event_type,
    publisher: r.publisher,
    time: r.published_at.toISOString(),
    loggedAt: r.logged_at.toISOString(),
    partition: r.kpartition,
    offset: r.koffset,
    urgent: r.urgent,
    keySha256: r.key_sha256?.toString('hex') ?? null,
    payloadSha256: r.payload_sha256.toString('hex'),
    size: r.size,
    classification: r.classification,
    priority: r.priority,
    schemaId: r.schema_id,
    schemaVersion: r.schema_version ?? null,
    traceparent: r.traceparent,
  };
}

export function deliveryJson(index: RoutingIndex, r: DeliveryRow) {
  return {
    eventId: r.event_id,
    room: roomName(index, r.room_id),
    eventType: r.event_type,
    subscriptionId: r.subscription_id,
    subscriber: r.subscriber,
    mode: r.mode,
    attempt: r.attempt,
    outcome: r.outcome,
    state: r.state,
    httpStatus: r.http_status,
    errorClass: r.error_class,
    durationMs: r.duration_us === null ? null : Number(r.duration_us) / 1000,
    nextAttemptAt: r.next_attempt_at?.toISOString() ?? null,
    time: r.occurred_at.toISOString(),
    publishedAt: r.published_at?.toISOString() ?? null,
  };
}

const EVENT_GROUPS: Record<string, string> = {
  member: "split_part(publisher, '/', 1) || '/' || split_part(publisher, '/', 2) || '/' || split_part(publisher, '/', 3)",
  application: 'publisher',
  room: 'room_id',
  eventType: 'event_type',
  classification: 'classification',
  priority: 'priority',
};
const DELIVERY_GROUPS: Record<string, string> = {
  member: "split_part(subscriber, '/', 1) || '/' || split_part(subscriber, '/', 2) || '/' || split_part(subscriber, '/', 3)",
  subscriber: 'subscriber',
  subscription: 'subscription_id',
  room: 'room_id',
  eventType: 'event_type',
  state: 'state',
  mode: 'mode',
};
const BUCKETS = ['minute', 'hour', 'day'];

/** `a,b` → checked group columns. */
export function groupColumns(text: string | undefined, allowed: Record<string, string>): string[] {
  const names = (text ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = names.filter((n) => !(n in allowed));
  if (unknown.length > 0) throw bad('groupBy', `unknown group ${unknown.join(', ')}; one or more of ${Object.keys(allowed).join(', ')}`);
  if (new Set(names).size !== names.length) throw bad('groupBy', 'names a group twice');
  return names;
}

export function searchRoutes(router: ApiRouter, deps: SearchDeps): void {
  const { store, routing } = deps;

  router.add<unknown, Window & { room?: string; eventType?: string; publisher?: string; classification?: string; limit: number; cursor?: string }>({
    method: 'get',
    path: '/api/v1/log/events',
    operationId: 'searchLogEvents',
    summary: 'Search the events received (never their payloads)',
    description: 'Newest first. Scoped: the central admin sees all; a member admin its rooms and applications; an application the events it published.',
    tags: TAGS,
    query: {
      type: 'object',
      additionalProperties: false,
      required: ['from'],
      properties: {
        ...window,
        room: roomSchema,
        eventType: { type: 'string', minLength: 1, maxLength: 100 },
        publisher: clientIdSchema,
        classification: { type: 'string', enum: CLASSIFICATIONS },
        ...paging,
      },
    },
    responses: { 200: { description: 'A page of events', schema: page(eventItemSchema) } },
    handler: async (c, { query: q, principal }) => {
      const index = routing.current();
      const cursor = decodeCursor(q.cursor, 2);
      const f = searchFilter(principal, index, q, 'publisher');
      if (q.room) f.eq('room_id', roomIdOf(index, q.room));
      if (q.eventType) f.eq('event_type', q.eventType);
      if (q.publisher) f.eq('publisher', q.publisher);
      if (q.classification) f.eq('classification', q.classification);
      if (cursor) f.after('logged_at, event_id', ['timestamptz', 'uuid'], cursor);
      const limit = f.limit(q.limit);
      const rows = await bounded(() => store.query<EventRow>(`SELECT * FROM events WHERE ${f.where.join(' AND ')} ORDER BY logged_at DESC, event_id DESC LIMIT ${limit}`, f.params));
      const items = rows.slice(0, q.limit);
      const last = items.at(-1);
      return c.json({ items: items.map((r) => eventJson(index, r)), next: rows.length > q.limit && last ? encodeCursor([last.logged_at.toISOString(), last.event_id]) : null }, 200);
    },
  });

  router.add({
    method: 'get',
    path: '/api/v1/log/events/{eventId}',
    operationId: 'getLogEventHistory',
    summary: "One event's whole history: its log entry and every delivery attempt, across every subscriber",
    description: 'The publisher, the room owner and the central admin see every delivery; a subscriber sees the event and its own deliveries only.',
    tags: TAGS,
    params: { eventId: 'Event id (UUID)' },
    responses: {
      200: {
        description: 'The event and its deliveries, oldest first',
        schema: { type: 'object', required: ['event', 'deliveries'], properties: { event: eventItemSchema, deliveries: { type: 'array', items: deliveryItemSchema } } },
      },
      404: problemResponseSpec('No such event visible to the caller'),
    },
    handler: async (c, { params, principal }) => {
      const index = routing.current();
      const id = (params.eventId ?? '').toLowerCase();
      const missing = new RoomcastError('event.not_found', { detail: 'No such event in the log visible to this caller' });
      if (!isEventId(id)) throw missing;
      const scope = scopeOf(principal, index);
      const event = await store.event(id);
      if (!event) throw missing;
      const deliveries = await store.deliveriesOf(id);
      const ownsEvent = inScope(scope, event.room_id, event.publisher);
      const visible = ownsEvent ? deliveries : deliveries.filter((d) => inScope(scope, d.room_id, d.subscriber));
      if (!ownsEvent && visible.length === 0) throw missing;
      return c.json({ event: eventJson(index, event), deliveries: visible.map((d) => deliveryJson(index, d)) }, 200);
    },
  });

  router.add<unknown, Window & { subscription?: string; subscriber?: string; room?: string; state?: string; httpStatus?: number; eventId?: string; limit: number; cursor?: string }>({
    method: 'get',
    path: '/api/v1/log/deliveries',
    operationId: 'searchLogDeliveries',
    summary: 'Search delivery attempts and transitions',
    description: 'Newest first. Scoped: the central admin sees all; a member admin deliveries in its rooms or to its applications; an application deliveries to it.',
    tags: TAGS,
    query: {
      type: 'object',
      additionalProperties: false,
      required: ['from'],
      properties: {
        ...window,
        subscription: { type: 'string', minLength: 1, maxLength: 64 },
        subscriber: clientIdSchema,
        room: roomSchema,
        state: { type: 'string', enum: STATES },
        httpStatus: { type: 'integer', minimum: 100, maximum: 599 },
        ...paging,
      },
    },
    responses: { 200: { description: 'A page of deliveries', schema: page(deliveryItemSchema) } },
    handler: async (c, { query: q, principal }) => {
      const index = routing.current();
      const cursor = decodeCursor(q.cursor, 3);
      const f = searchFilter(principal, index, q, 'subscriber');
      if (q.subscription) f.eq('subscription_id', q.subscription);
      if (q.subscriber) f.eq('subscriber', q.subscriber);
      if (q.room) f.eq('room_id', roomIdOf(index, q.room));
      if (q.state) f.eq('state', q.state);
      if (q.httpStatus !== undefined) f.eq('http_status', q.httpStatus);
      if (cursor) f.after('logged_at, kpartition, koffset', ['timestamptz', 'int', 'bigint'], cursor);
      const limit = f.limit(q.limit);
      const rows = await bounded(() => store.query<DeliveryRow>(`SELECT * FROM deliveries WHERE ${f.where.join(' AND ')} ORDER BY logged_at DESC, kpartition DESC, koffset DESC LIMIT ${limit}`, f.params));
      const items = rows.slice(0, q.limit);
      const last = items.at(-1);
      return c.json(
        { items: items.map((r) => deliveryJson(index, r)), next: rows.length > q.limit && last ? encodeCursor([last.logged_at.toISOString(), String(last.kpartition), last.koffset]) : null },
        200,
      );
    },
  });

  const reportQuery = (groups: Record<string, string>) => ({
    type: 'object',
    additionalProperties: false,
    required: ['from'],
    properties: {
      ...window,
      bucket: { type: 'string', enum: BUCKETS, default: 'hour', description: 'Time bucket of each row' },
      groupBy: { type: 'string', maxLength: 200, description: `Comma-separated: ${Object.keys(groups).join(', ')}` },
    },
  });
  const reportSchema = (withLatency: boolean): JsonSchema => ({
    type: 'object',
    required: ['bucket', 'groupBy', 'rows'],
    properties: {
      bucket: { type: 'string' },
      groupBy: { type: 'array', items: { type: 'string' } },
      rows: {
        type: 'array',
        items: {
          type: 'object',
          required: ['time', 'count'],
          properties: {
            time: { type: 'string', format: 'date-time' },
            count: { type: 'integer' },
            ...(withLatency ? { latencyMs: { type: ['object', 'null'], properties: { p50: { type: 'number' }, p95: { type: 'number' }, p99: { type: 'number' } } } } : {}),
          },
          additionalProperties: true,
        },
      },
    },
  });

  const report = async (table: 'events' | 'deliveries', groups: Record<string, string>, q: Window & { bucket: string; groupBy?: string }, principal: Principal) => {
    const index = routing.current();
    const names = groupColumns(q.groupBy, groups);
    const f = searchFilter(principal, index, q, table === 'events' ? 'publisher' : 'subscriber');
    f.params.push(q.bucket);
    const bucket = `$${f.params.length}`;
    const cols = names.map((n, i) => `${groups[n]} AS g${i}`);
    const latency =
      table === 'deliveries'
        ? `, percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM occurred_at - published_at) * 1000) FILTER (WHERE state = 'DELIVERED' AND published_at IS NOT NULL) AS latency`
        : '';
    const sql = `SELECT date_trunc(${bucket}, logged_at) AS t${cols.map((c) => `, ${c}`).join('')}, count(*)::bigint AS n${latency}
      FROM ${table} WHERE ${f.where.join(' AND ')}
      GROUP BY 1${names.map((_, i) => `, ${i + 2}`).join('')} ORDER BY 1${names.map((_, i) => `, ${i + 2}`).join('')} LIMIT 5000`;
    const rows = await bounded(() => store.query<Record<string, unknown>>(sql, f.params));
    return {
      bucket: q.bucket,
      groupBy: names,
      rows: rows.map((r) => {
        const out: Record<string, unknown> = { time: (r.t as Date).toISOString() };
        names.forEach((n, i) => {
          const v = r[`g${i}`] as string;
          out[n] = n === 'room' ? (roomName(index, v) ?? v) : v;
        });
        out.count = Number(r.n);
        if (table === 'deliveries') {
          const l = r.latency as number[] | null;
          out.latencyMs = l ? { p50: l[0], p95: l[1], p99: l[2] } : null;
        }
        return out;
      }),
    };
  };

  router.add<unknown, Window & { bucket: string; groupBy?: string }>({
    method: 'get',
    path: '/api/v1/log/reports/events',
    operationId: 'reportLogEvents',
    summary: 'Events received per time bucket, grouped by member, application, room, event type, classification or priority',
    tags: TAGS,
    query: reportQuery(EVENT_GROUPS),
    responses: { 200: { description: 'Counts per bucket and group', schema: reportSchema(false) } },
    handler: async (c, { query, principal }) => c.json(await report('events', EVENT_GROUPS, query, principal), 200),
  });

  router.add<unknown, Window & { bucket: string; groupBy?: string }>({
    method: 'get',
    path: '/api/v1/log/reports/deliveries',
    operationId: 'reportLogDeliveries',
    summary: 'Delivery rows and publish→delivered latency percentiles per time bucket, grouped by member, subscriber, subscription, room, event type, state or mode',
    tags: TAGS,
    query: reportQuery(DELIVERY_GROUPS),
    responses: { 200: { description: 'Counts and latency per bucket and group', schema: reportSchema(true) } },
    handler: async (c, { query, principal }) => c.json(await report('deliveries', DELIVERY_GROUPS, query, principal), 200),
  });
}

