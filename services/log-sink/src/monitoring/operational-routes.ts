/**
 * Operational monitoring (GovStack IM: REQUIRED through an administrative API), time series from
 * the message log:
 *
 *   GET /api/v1/monitoring/operational/rooms          per room and bucket
 *   GET /api/v1/monitoring/operational/event-types    per room, event type and bucket
 *   GET /api/v1/monitoring/operational/subscriptions  per subscription and bucket
 *
 * Each point: published count and rate, delivered count and rate, delivery-log errors by class,
 * publish→delivered latency and push attempt duration percentiles (p50/p95/p99). The current
 * backlog is backlog-routes.ts. Ranges, scope and timeouts are the log search's (search-routes.ts):
 * `from` required, at most 31 days, statements cut off after 5 s; the central monitoring
 * clients see everything as the central admin does. Three grouped queries per call, each at
 * most 5 000 rows (`truncated` says when one was cut).
 */
import type { ApiRouter, JsonSchema, Principal } from '@roomcast/http';
import type { LogStore } from '@roomcast/log';
import type { RoutingFollower, RoutingIndex, SubscriptionRoute } from '@roomcast/routing';
import { inScope, monitoringScopeOf, type Scope } from '../scope.ts';
import { bounded, logFilter, roomIdOf, roomName, roomSchema, timeRange, type Window, window } from '../search-routes.ts';
import {
  BUCKETS,
  type Bucket,
  type DeliveredRow,
  type Dimension,
  ERROR_CLASS_SQL,
  ERROR_OUTCOMES,
  type ErrorRow,
  mergeSeries,
  type PublishedRow,
} from './series.ts';

export const MONITORING_TAGS = ['roomcast', 'monitoring'];
const ROW_LIMIT = 5000;
/** Joins a room id and an event type into one group key (neither can hold it). */
const SEP = '\u001f';

export interface OperationalDeps {
  store: LogStore;
  routing: RoutingFollower;
  /** Client ids of the central monitoring client (ROOMCAST_MONITORING_CLIENTS). */
  centralClients: readonly string[];
}

type SeriesQuery = Window & { bucket: Bucket; room?: string; eventType?: string; subscription?: string };

const percentilesSchema: JsonSchema = { type: ['object', 'null'], properties: { p50: { type: 'number' }, p95: { type: 'number' }, p99: { type: 'number' } } };
const countRate: JsonSchema = { type: 'object', required: ['count', 'perSecond'], properties: { count: { type: 'integer' }, perSecond: { type: 'number' } } };
const pointSchema: JsonSchema = {
  type: 'object',
  required: ['time', 'published', 'delivered', 'deliveryRows', 'errors', 'latencyMs', 'attemptMs'],
  properties: {
    time: { type: 'string', format: 'date-time', description: 'Start of the bucket' },
    published: { ...countRate, type: ['object', 'null'], description: 'Events received (for a subscription: events of its room and event type); the rate is per second of the bucket inside the range' },
    delivered: { ...countRate, description: 'Deliveries that reached DELIVERED (push delivered, pull acked) or were streamed' },
    deliveryRows: { type: 'integer', description: 'Every delivery-log row of the bucket: attempts, hand-outs, transitions' },
    errors: {
      type: 'object',
      required: ['total', 'byClass'],
      properties: {
        total: { type: 'integer' },
        byClass: { type: 'object', additionalProperties: { type: 'integer' }, description: 'http_4xx, http_5xx, a transport error code (ECONNREFUSED, …), lease_expired, dead_lettered, …' },
      },
    },
    latencyMs: { ...percentilesSchema, description: 'Publish → delivered, milliseconds' },
    attemptMs: { ...percentilesSchema, description: 'Duration of the HTTP call of each push attempt, milliseconds' },
  },
};

const seriesSchema = (keys: Record<string, JsonSchema>): JsonSchema => ({
  type: 'object',
  required: ['dimension', 'bucket', 'from', 'to', 'truncated', 'series'],
  properties: {
    dimension: { type: 'string' },
    bucket: { type: 'string', enum: [...BUCKETS] },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    truncated: { type: 'boolean', description: 'A query reached its 5 000-row bound: narrow the range or use a coarser bucket' },
    series: { type: 'array', items: { type: 'object', required: [...Object.keys(keys), 'points'], properties: { ...keys, points: { type: 'array', items: pointSchema } } } },
  },
});

const nullableString = { type: ['string', 'null'] };
const DIMENSION_KEYS: Record<Dimension, Record<string, JsonSchema>> = {
  rooms: { room: nullableString },
  'event-types': { room: nullableString, eventType: { type: 'string' } },
  subscriptions: { subscription: { type: 'string' }, subscriber: nullableString, room: nullableString, eventType: nullableString, mode: nullableString },
};

/** Group expression of each dimension, on either log table. */
const GROUP_SQL: Record<Dimension, string> = {
  rooms: 'room_id',
  'event-types': `room_id || chr(31) || event_type`,
  subscriptions: 'subscription_id',
};

function filterOf(scope: Scope, range: { from: Date; to: Date }, clientColumn: string, index: RoutingIndex, q: SeriesQuery, table: 'events' | 'deliveries') {
  const f = logFilter(scope, range, clientColumn);
  if (q.room) f.eq('room_id', roomIdOf(index, q.room));
  if (q.eventType) f.eq('event_type', q.eventType);
  if (q.subscription && table === 'deliveries') f.eq('subscription_id', q.subscription);
  return f;
}

export async function operationalSeries(deps: OperationalDeps, dimension: Dimension, q: SeriesQuery, principal: Principal) {
  const { store } = deps;
  const index = deps.routing.current();
  const range = timeRange(q);
  const scope = monitoringScopeOf(principal, index, deps.centralClients);
  const group = GROUP_SQL[dimension];
  let truncated = false;
  const run = async <R>(sql: string, params: unknown[]): Promise<R[]> => {
    const rows = await bounded(() => store.query<R & Record<string, unknown>>(`${sql} LIMIT ${ROW_LIMIT}`, params));
    if (rows.length >= ROW_LIMIT) truncated = true;
    return rows;
  };
  const bucketParam = (params: unknown[]) => {
    params.push(q.bucket);
    return `$${params.length}`;
  };

  // Subscriptions: the visible ones of the contract give the (room, event type) pairs whose
  // published counts apply; those counts are what each was offered, so the publisher scope does
  // not narrow them (a subscriber receives those events anyway).
  const subs = dimension === 'subscriptions' ? visibleSubscriptions(index, scope, q) : [];
  let published: PublishedRow[] | null;
  if (dimension === 'subscriptions') {
    const pairs = [...new Set(subs.map((s) => `${s.roomId}${SEP}${s.eventType}`))];
    const f = logFilter({ all: true }, range, 'publisher');
    // The room condition lets the planner use the room index; the pair narrows to the types.
    f.params.push([...new Set(subs.map((s) => s.roomId))]);
    f.where.push(`room_id = ANY($${f.params.length}::text[])`);
    f.params.push(pairs);
    f.where.push(`room_id || chr(31) || event_type = ANY($${f.params.length}::text[])`);
    const b = bucketParam(f.params);
    const byPair = pairs.length === 0 ? [] : await run<{ t: Date; g: string; n: string }>(`SELECT date_trunc(${b}, logged_at) AS t, room_id || chr(31) || event_type AS g, count(*)::bigint AS n FROM events WHERE ${f.where.join(' AND ')} GROUP BY 1, 2 ORDER BY 1, 2`, f.params);
    const rowsOf = new Map<string, typeof byPair>();
    for (const r of byPair) rowsOf.set(r.g, [...(rowsOf.get(r.g) ?? []), r]);
    published = subs.flatMap((s) => (rowsOf.get(`${s.roomId}${SEP}${s.eventType}`) ?? []).map((r) => ({ t: r.t, group: s.id, n: Number(r.n) })));
  } else {
    const f = filterOf(scope, range, 'publisher', index, q, 'events');
    const b = bucketParam(f.params);
    const rows = await run<{ t: Date; g: string; n: string }>(`SELECT date_trunc(${b}, logged_at) AS t, ${group} AS g, count(*)::bigint AS n FROM events WHERE ${f.where.join(' AND ')} GROUP BY 1, 2 ORDER BY 1, 2`, f.params);
    published = rows.map((r) => ({ t: r.t, group: r.g, n: Number(r.n) }));
  }

  const d = filterOf(scope, range, 'subscriber', index, q, 'deliveries');
  const db = bucketParam(d.params);
  const delivered = await run<{ t: Date; g: string; rows: string; delivered: string; latency: number[] | null; attempt: number[] | null }>(
    `SELECT date_trunc(${db}, logged_at) AS t, ${group} AS g, count(*)::bigint AS rows,
       count(*) FILTER (WHERE state = 'DELIVERED' OR outcome = 'streamed')::bigint AS delivered,
       percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM occurred_at - published_at) * 1000)
         FILTER (WHERE (state = 'DELIVERED' OR outcome = 'streamed') AND published_at IS NOT NULL) AS latency,
       percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY duration_us / 1000.0) FILTER (WHERE mode = 'push' AND duration_us IS NOT NULL) AS attempt
     FROM deliveries WHERE ${d.where.join(' AND ')} GROUP BY 1, 2 ORDER BY 1, 2`,
    d.params,
  );
  const e = filterOf(scope, range, 'subscriber', index, q, 'deliveries');
  e.params.push(ERROR_OUTCOMES);
  e.where.push(`outcome = ANY($${e.params.length}::text[])`);
  const eb = bucketParam(e.params);
  const errors = await run<{ t: Date; g: string; cls: string; n: string }>(
    `SELECT date_trunc(${eb}, logged_at) AS t, ${group} AS g, ${ERROR_CLASS_SQL} AS cls, count(*)::bigint AS n FROM deliveries WHERE ${e.where.join(' AND ')} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    e.params,
  );

  const merged = mergeSeries(
    {
      published,
      delivered: delivered.map((r): DeliveredRow => ({ t: r.t, group: r.g, rows: Number(r.rows), delivered: Number(r.delivered), latency: r.latency, attempt: r.attempt })),
      errors: errors.map((r): ErrorRow => ({ t: r.t, group: r.g, cls: r.cls, n: Number(r.n) })),
    },
    { ...range, bucket: q.bucket },
  );
  const byId = new Map(subs.map((s) => [s.id, s]));
  const series = [...merged]
    .map(([g, points]) => ({ keys: keysOf(index, dimension, g, byId), points }))
    .map((s) => ({ label: Object.values(s.keys).join('\u0000'), series: { ...s.keys, points: s.points } }))
    .sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
    .map((s) => s.series);
  return { dimension, bucket: q.bucket, from: range.from.toISOString(), to: range.to.toISOString(), truncated, series };
}

function keysOf(index: RoutingIndex, dimension: Dimension, g: string, subs: Map<string, SubscriptionRoute>): Record<string, string | null> {
  if (dimension === 'rooms') return { room: roomName(index, g) };
  if (dimension === 'event-types') {
    const [roomId = '', eventType = ''] = g.split(SEP);
    return { room: roomName(index, roomId), eventType };
  }
  const s = subs.get(g) ?? index.contract.subscriptions.find((x) => x.id === g);
  return { subscription: g, subscriber: s?.clientId ?? null, room: s ? roomName(index, s.roomId) : null, eventType: s?.eventType ?? null, mode: s?.mode ?? null };
}

/** The contract's subscriptions the caller may see, narrowed by the query's filters. */
export function visibleSubscriptions(index: RoutingIndex, scope: Scope, q: { room?: string; eventType?: string; subscription?: string }): SubscriptionRoute[] {
  const roomId = q.room ? roomIdOf(index, q.room) : undefined;
  return index.contract.subscriptions.filter(
    (s) => inScope(scope, s.roomId, s.clientId) && (roomId === undefined || s.roomId === roomId) && (q.eventType === undefined || s.eventType === q.eventType) && (q.subscription === undefined || s.id === q.subscription),
  );
}

const DESCRIPTIONS: Record<Dimension, string> = {
  rooms: 'Per room and time bucket',
  'event-types': 'Per room, event type and time bucket',
  subscriptions: 'Per subscription and time bucket',
};
const OPERATION_IDS: Record<Dimension, string> = { rooms: 'monitorRooms', 'event-types': 'monitorEventTypes', subscriptions: 'monitorSubscriptions' };

export function operationalRoutes(router: ApiRouter, deps: OperationalDeps): void {
  for (const dimension of ['rooms', 'event-types', 'subscriptions'] as const) {
    router.add<unknown, SeriesQuery>({
      method: 'get',
      path: `/api/v1/monitoring/operational/${dimension}`,
      operationId: OPERATION_IDS[dimension],
      summary: `Operational monitoring: ${DESCRIPTIONS[dimension].toLowerCase()} — published and delivered counts and rates, errors by class, latency percentiles`,
      description:
        'From the message log. Scoped: the central admin and the central monitoring client see all records; a member admin its rooms and applications; an application what it published and its own subscriptions. Publish requests the ingress refused never reach the log, so they are not counted here (see roomcast_publish_requests_total).',
      tags: MONITORING_TAGS,
      query: {
        type: 'object',
        additionalProperties: false,
        required: ['from'],
        properties: {
          ...window,
          bucket: { type: 'string', enum: [...BUCKETS], default: 'hour', description: 'Time bucket of each point' },
          room: roomSchema,
          ...(dimension !== 'rooms' ? { eventType: { type: 'string', minLength: 1, maxLength: 100 } } : {}),
          ...(dimension === 'subscriptions' ? { subscription: { type: 'string', minLength: 1, maxLength: 64 } } : {}),
        },
      },
      responses: { 200: { description: 'One series per group, points ascending by time (buckets without records are left out)', schema: seriesSchema(DIMENSION_KEYS[dimension]) } },
      handler: async (c, { query, principal }) => c.json(await operationalSeries(deps, dimension, query, principal), 200),
    });
  }
}
