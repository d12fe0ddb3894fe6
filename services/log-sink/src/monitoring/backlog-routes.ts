/**
 *   GET /api/v1/monitoring/operational/backlog   the current backlog of push and pull subscriptions
 *
 * Per subscription: consumer lag (summed over both lanes' partitions; per partition with
 * `partitions=true`), for pull the queue's depth (ready, leased, delayed), and the age of the
 * oldest undelivered event. Subscriptions come from the routing contract, ordered by id, in
 * pages of at most 100 with an opaque cursor; each page is read against a time budget
 * (backlog.ts), so 1 000 subscriptions cost ten bounded calls, never one unbounded one. Scope:
 * the monitoring scope (scope.ts) on the subscription's room and subscriber.
 */
import type { ApiRouter, JsonSchema } from '@roomcast/http';
import type { PullStore } from '@roomcast/pull';
import type { RoutingFollower } from '@roomcast/routing';
import type { Kafka } from '@roomcast/kafka';
import { monitoringScopeOf } from '../scope.ts';
import { decodeCursor, encodeCursor, roomName, roomSchema } from '../search-routes.ts';
import { type BacklogAdmin, readBacklogPage, withDeadline } from './backlog.ts';
import { MONITORING_TAGS, visibleSubscriptions } from './operational-routes.ts';

const unavailable = () => Promise.reject(new Error('Kafka unavailable'));
const UNAVAILABLE: BacklogAdmin = { fetchTopicOffsets: unavailable, fetchOffsets: unavailable };

export interface BacklogDeps {
  kafka: Kafka;
  pull: PullStore;
  routing: RoutingFollower;
  centralClients: readonly string[];
  /** Time budget of one call's Kafka and Redis reads. */
  budgetMs: number;
}

interface BacklogQuery {
  mode?: 'PUSH' | 'PULL';
  room?: string;
  eventType?: string;
  subscription?: string;
  partitions: boolean;
  limit: number;
  cursor?: string;
}

const itemSchema: JsonSchema = {
  type: 'object',
  required: ['subscription', 'subscriber', 'room', 'eventType', 'mode', 'status', 'lag', 'queue', 'oldestUndeliveredAt', 'oldestAgeSeconds', 'complete'],
  properties: {
    subscription: { type: 'string' },
    subscriber: { type: 'string' },
    room: { type: ['string', 'null'] },
    eventType: { type: 'string' },
    mode: { type: 'string', enum: ['PUSH', 'PULL'] },
    status: { type: 'string', enum: ['ACTIVE', 'PAUSED'] },
    lag: { type: ['integer', 'null'], description: 'Records of the room (both lanes) past the consumer group\'s committed offsets; for pull this includes what sits in the queue' },
    partitions: {
      type: 'array',
      description: 'With partitions=true',
      items: { type: 'object', properties: { lane: { type: 'string', enum: ['normal', 'urgent'] }, partition: { type: 'integer' }, committed: { type: 'string' }, end: { type: 'string' }, lag: { type: 'integer' } } },
    },
    queue: {
      type: ['object', 'null'],
      description: 'Pull only: events in the queue by state',
      properties: { depth: { type: 'integer' }, ready: { type: 'integer' }, leased: { type: 'integer' }, delayed: { type: 'integer' } },
    },
    oldestUndeliveredAt: { type: ['string', 'null'], format: 'date-time', description: 'Pull: publish time of the oldest queue entry; push (or an empty queue): Kafka timestamp of the oldest record at a lagging partition\'s committed offset' },
    oldestAgeSeconds: { type: ['number', 'null'] },
    complete: { type: 'boolean', description: 'false when the time budget ran out, or Kafka did not answer, before everything was read' },
  },
};

export function backlogRoutes(router: ApiRouter, deps: BacklogDeps): void {
  router.add<unknown, BacklogQuery>({
    method: 'get',
    path: '/api/v1/monitoring/operational/backlog',
    operationId: 'monitorBacklog',
    summary: 'Operational monitoring: the current backlog — consumer lag per push subscription, queue depth per pull subscription, oldest undelivered event\'s age',
    description: 'Scoped: the central admin and the central monitoring client see all subscriptions; a member admin those in its rooms or of its applications; an application its own. Pages of subscriptions ordered by id.',
    tags: MONITORING_TAGS,
    query: {
      type: 'object',
      additionalProperties: false,
      properties: {
        mode: { type: 'string', enum: ['PUSH', 'PULL'] },
        room: roomSchema,
        eventType: { type: 'string', minLength: 1, maxLength: 100 },
        subscription: { type: 'string', minLength: 1, maxLength: 64 },
        partitions: { type: 'boolean', default: false, description: 'Include the lag of every partition' },
        limit: { type: 'integer', minimum: 1, maximum: 100, default: 50, description: 'Subscriptions per page (1-100)' },
        cursor: { type: 'string', minLength: 1, maxLength: 200, description: 'The `next` of the previous page' },
      },
    },
    responses: {
      200: {
        description: 'A page of subscriptions with their backlog',
        schema: { type: 'object', required: ['asOf', 'items', 'next'], properties: { asOf: { type: 'string', format: 'date-time' }, items: { type: 'array', items: itemSchema }, next: { type: ['string', 'null'] } } },
      },
    },
    handler: async (c, { query: q, principal }) => {
      const index = deps.routing.current();
      const after = decodeCursor(q.cursor, 1)?.[0] as string | undefined;
      const scope = monitoringScopeOf(principal, index, deps.centralClients);
      const all = visibleSubscriptions(index, scope, q)
        .filter((s) => (s.mode === 'PUSH' || s.mode === 'PULL') && (q.mode === undefined || s.mode === q.mode) && (after === undefined || s.id > after))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const page = all.slice(0, q.limit);
      const rooms = new Map(index.contract.rooms.map((r) => [r.id, r]));
      const started = Date.now();
      let backlog: Awaited<ReturnType<typeof readBacklogPage>> = [];
      if (page.length > 0) {
        const admin = deps.kafka.admin();
        try {
          // Kafka not answering in time still gives the pull queues' counts (Redis), all incomplete.
          const connected = await withDeadline(admin.connect(), deps.budgetMs).then(
            () => true,
            () => false,
          );
          backlog = await readBacklogPage(page, { kafka: deps.kafka, admin: connected ? admin : UNAVAILABLE, pull: deps.pull, rooms, deadline: started + deps.budgetMs, concurrency: 8 });
        } finally {
          await admin.disconnect().catch(() => {});
        }
      }
      const now = Date.now();
      const items = page.map((s, i) => {
        const b = backlog[i] ?? { lag: null, partitions: [], queue: null, oldestUndeliveredAt: null, complete: false };
        const age = b.oldestUndeliveredAt === null ? null : Math.max(0, (now - Date.parse(b.oldestUndeliveredAt)) / 1000);
        return {
          subscription: s.id,
          subscriber: s.clientId,
          room: roomName(index, s.roomId),
          eventType: s.eventType,
          mode: s.mode,
          status: s.status,
          lag: b.lag,
          ...(q.partitions ? { partitions: b.partitions } : {}),
          queue: b.queue,
          oldestUndeliveredAt: b.oldestUndeliveredAt,
          oldestAgeSeconds: age === null ? null : Math.round(age * 1000) / 1000,
          complete: b.complete,
        };
      });
      const last = page.at(-1);
      return c.json({ asOf: new Date(now).toISOString(), items, next: all.length > q.limit && last ? encodeCursor([last.id]) : null }, 200);
    },
  });
}
