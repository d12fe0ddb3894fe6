/**
 * GovStack event status and cancel (`getStatus`, `deleteEvent`):
 *
 *   GET    /r1/{instance}/{class}/{member}/{room}/pub/v1/{eventType}/{eventId} → 200 EventItem
 *   DELETE /r1/{instance}/{class}/{member}/{room}/pub/v1/{eventType}/{eventId} → 204
 *
 * Answered from the message log (who published what, where it sits in Kafka, every delivery
 * attempt) and from Kafka (the payload, read back from its partition and offset and decrypted
 * for its publisher) for as long as the topic keeps the record — not only the dedup window.
 * Redis adds only the states of deliveries that are not final yet (decision 0020).
 *
 * Right after the 201 the sink may not have written the event yet: a miss waits (up to
 * `waitMs`) until the sink's position has reached the end the room's partitions had when the
 * request came, then looks again — so an acknowledged event is never answered 404 while the
 * sink is up. The log is keyed by the publisher named in `X-GovStack-Client` (checked against
 * the caller), so any other caller — and an unknown room, type or id — gets the same 404
 * `event.not_found`. DELETE sets the cancellation mark the dispatcher reads before each attempt.
 */
import { type DataKeyRing, EVENT_ITEM_SCHEMA, eventItemFields, type Logger, openEventPayload, RoomcastError } from '@roomcast/core';
import { type ApiRouter, problemResponseSpec, roomAddressOf } from '@roomcast/http';
import { decodeHeaders, GrouplessReader, type Kafka } from '@roomcast/kafka';
import { type EventRow, type LogStore, streamOf } from '@roomcast/log';
import type { DeliveryStatusStore } from '@roomcast/redis';
import { decodeWire } from '@roomcast/registry';
import type { RoomRoute, RoutingFollower } from '@roomcast/routing';
import type { Context } from 'hono';
import { deliveryView } from './delivery-view.ts';
import { isUuid } from './event-id.ts';
import type { EventLedger } from './event-ledger.ts';

export const EVENT_PATH = '/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/pub/v1/{eventType}/{eventId}';

export interface StatusDeps {
  routing: RoutingFollower;
  ledger: EventLedger;
  log: LogStore;
  kafka: Kafka;
  dataKeys: DataKeyRing | undefined;
  /** Per-subscriber states of deliveries not final yet (dispatcher, pull). */
  deliveries: DeliveryStatusStore;
  /** How long a miss waits for the sink to catch up. */
  waitMs: number;
  logger: Logger;
}

/** The event item of a logged event (packages/core event-item.ts), with its status; `event` once read back from Kafka. */
export function eventItem(row: EventRow, event: unknown, cancelled: boolean): Record<string, unknown> {
  return {
    ...eventItemFields({
      id: row.event_id,
      offset: row.koffset,
      partition: row.kpartition,
      publisher: row.publisher,
      eventType: row.event_type,
      time: row.published_at.toISOString(),
      status: cancelled ? 'CANCELLED' : 'PUBLISHED',
    }),
    ...(event !== undefined ? { event } : {}),
  };
}

const STATES = ['QUEUED', 'SENT', 'DELIVERED', 'ERRORED', 'FAILED', 'CANCELLED'];

/** Roomcast extension of getStatus: where the event is, per subscriber. */
const deliveriesSchema = {
  type: 'object',
  description: "Per-subscriber delivery state of the event: the room's subscriptions to its type (no attempt yet: QUEUED)",
  required: ['subscribers', 'delivered', 'failed', 'cancelled', 'pending', 'items'],
  properties: {
    subscribers: { type: 'integer' },
    delivered: { type: 'integer' },
    failed: { type: 'integer' },
    cancelled: { type: 'integer' },
    pending: { type: 'integer', description: 'QUEUED, SENT or ERRORED (retrying)' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['subscriptionId', 'subscriberId', 'mode', 'state', 'attempts'],
        properties: {
          subscriptionId: { type: 'string' },
          subscriberId: { type: 'string', description: 'Client id INSTANCE/CLASS/MEMBER/APPLICATION' },
          mode: { type: 'string', enum: ['PUSH', 'PULL', 'STREAM'] },
          state: { type: 'string', enum: STATES },
          attempts: { type: 'integer' },
          lastStatus: { type: ['integer', 'null'], description: 'HTTP status of the last attempt' },
          lastError: { type: ['string', 'null'] },
          updatedAt: { type: ['string', 'null'], format: 'date-time' },
        },
      },
    },
  },
};

const eventStatusSchema = { ...EVENT_ITEM_SCHEMA, properties: { ...EVENT_ITEM_SCHEMA.properties, deliveries: deliveriesSchema } };

export function statusRoutes(router: ApiRouter, deps: StatusDeps): void {
  const find = async (c: Context, publisher: string, params: Record<string, string>) => {
    const missing = () => new RoomcastError('event.not_found', { detail: 'No such event published by this client in this room' });
    const room = deps.routing.current().room(roomAddressOf(c));
    const eventId = (params.eventId ?? '').toLowerCase();
    if (!room || !isUuid(eventId)) throw missing();
    const mine = (r: EventRow | undefined) => r !== undefined && r.room_id === room.id && r.publisher === publisher && r.event_type === params.eventType;
    let row = await logged(deps, eventId);
    if (row === undefined) {
      await sinkReached(deps, room);
      row = await logged(deps, eventId);
    }
    if (!row || !mine(row)) throw missing();
    const cancelled = await deps.ledger.isCancelled(room.id, publisher, eventId);
    return { room, eventId, row, cancelled };
  };
  const params = { eventId: 'event id of event' };
  const notFound = problemResponseSpec('Event missing (also for an event of another publisher)');

  router.add({
    method: 'get',
    path: EVENT_PATH,
    operationId: 'getStatus',
    summary: 'Status of an event the caller published, with its delivery state per subscriber',
    tags: ['govstack'],
    govstackClient: true,
    params,
    responses: {
      200: { description: 'Event status, with its delivery state per subscriber', schema: eventStatusSchema },
      403: problemResponseSpec('Client mismatch'),
      404: notFound,
      503: problemResponseSpec('The message log is unavailable (dependency.unavailable); retry after Retry-After'),
    },
    async handler(c, input) {
      const { room, eventId, row, cancelled } = await find(c, input.client as string, input.params);
      const [event, deliveries] = await Promise.all([payloadOf(deps, room, row), deliverySummary(deps, room, row.event_type, eventId)]);
      return c.json({ ...eventItem(row, event, cancelled), deliveries }, 200);
    },
  });

  router.add({
    method: 'delete',
    path: EVENT_PATH,
    operationId: 'deleteEvent',
    summary: 'Cancel an event the caller published: no further delivery attempt starts',
    tags: ['govstack'],
    govstackClient: true,
    params,
    responses: {
      204: { description: 'Event processing stopped' },
      403: problemResponseSpec('Client mismatch'),
      404: notFound,
      503: problemResponseSpec('Redis or the message log unavailable; retry'),
    },
    async handler(c, input) {
      const publisher = input.client as string;
      const { room, eventId, cancelled } = await find(c, publisher, input.params);
      if (!cancelled) await deps.ledger.cancel(room.id, publisher, eventId);
      deps.logger.info('event cancelled', { roomId: room.id, publisher, eventId, already: cancelled });
      return c.body(null, 204);
    },
  });
}

async function logged(deps: StatusDeps, eventId: string): Promise<EventRow | undefined> {
  try {
    return await deps.log.event(eventId);
  } catch (err) {
    throw new RoomcastError('dependency.unavailable', { detail: 'The message log is unavailable; retry', cause: err, headers: { 'retry-after': '1' } });
  }
}

/** Waits until the sink has read every record the room's partitions held when this was called (or `waitMs` passed). */
async function sinkReached(deps: StatusDeps, room: RoomRoute): Promise<void> {
  if (deps.waitMs <= 0) return;
  const deadline = Date.now() + deps.waitMs;
  let reader: GrouplessReader | undefined;
  try {
    reader = await GrouplessReader.open(deps.kafka, [room.topic, room.urgentTopic]);
    const ends = (await reader.offsets('latest')).filter((p) => BigInt(p.offset) > 0n);
    const streams = ends.map((p) => streamOf(p.topic, p.partition));
    for (;;) {
      const at = await deps.log.positions(streams);
      if (ends.every((p) => (at.get(streamOf(p.topic, p.partition)) ?? -1n) >= BigInt(p.offset) - 1n)) return;
      if (Date.now() >= deadline) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  } catch (err) {
    deps.logger.warn('event status: sink position not checked', { roomId: room.id, error: err });
  } finally {
    await reader?.close().catch(() => {});
  }
}

/** The event's payload read back from Kafka (decrypted: the caller is its publisher); undefined once retention removed it. */
async function payloadOf(deps: StatusDeps, room: RoomRoute, row: EventRow): Promise<unknown> {
  let reader: GrouplessReader | undefined;
  try {
    reader = await GrouplessReader.open(deps.kafka, [row.topic]);
    const got = await reader.fetch([{ topic: row.topic, partition: row.kpartition, offset: row.koffset }], { maxWaitMs: 0, maxBytes: 2 * 1024 * 1024 });
    const rec = got.records.find((r) => r.offset === row.koffset);
    const headers = rec ? decodeHeaders(rec.headers) : undefined;
    const wire = rec?.value ? decodeWire(rec.value) : undefined;
    if (!rec || !headers || !wire || headers.id !== row.event_id) return undefined;
    return JSON.parse(openEventPayload(deps.dataKeys, room, headers, wire.payload).toString('utf8'));
  } catch (err) {
    deps.logger.warn('event status: payload not read back from Kafka', { eventId: row.event_id, error: (err as Error).message });
    return undefined;
  } finally {
    await reader?.close().catch(() => {});
  }
}

/**
 * "7 subscribers, 7 delivered" in one answer: the room's subscriptions to the event type in the
 * routing contract, plus any subscription that has a state for the event (e.g. one removed
 * since), each with its state — QUEUED when nothing was tried yet.
 */
async function deliverySummary(deps: StatusDeps, room: RoomRoute, eventType: string, eventId: string) {
  const [rows, pending] = await Promise.all([deps.log.deliveriesOf(eventId), deps.deliveries.read(room.id, eventId)]);
  const subs = deps.routing.current().contract.subscriptions.filter((s) => s.roomId === room.id && s.eventType === eventType);
  const items = deliveryView(subs, rows, pending);
  const count = (...st: string[]) => items.filter((i) => st.includes(i.state)).length;
  return {
    subscribers: items.length,
    delivered: count('DELIVERED'),
    failed: count('FAILED'),
    cancelled: count('CANCELLED'),
    pending: count('QUEUED', 'SENT', 'ERRORED'),
    items,
  };
}
