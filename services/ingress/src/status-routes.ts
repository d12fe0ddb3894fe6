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
import { type Logger, parseClientId, RoomcastError } from '@roomcast/core';
import type { DataKeyRing } from '@roomcast/core';
import { requireGovStackClient, roomAddressOf } from '@roomcast/http';
import { decodeHeaders, GrouplessReader, type Kafka } from '@roomcast/kafka';
import { type EventRow, type LogStore, streamOf } from '@roomcast/log';
import type { DeliveryStatusStore } from '@roomcast/redis';
import { decodeWire } from '@roomcast/registry';
import type { RoomRoute, RoutingFollower } from '@roomcast/routing';
import { openEventPayload } from '@roomcast/core';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { deliveryView } from './delivery-view.ts';
import { isUuid } from './event-id.ts';
import type { EventLedger } from './event-ledger.ts';

export const EVENT_PATH = '/r1/:instanceId/:memberClass/:memberCode/:applicationCode/pub/v1/:eventType/:eventId';

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
  authenticate: MiddlewareHandler;
  logger: Logger;
}

/** The GovStack EventItem of a logged event, with Roomcast's partition, time and status. */
export function eventItem(row: EventRow, event: unknown, cancelled: boolean): Record<string, unknown> {
  const p = parseClientId(row.publisher);
  return {
    id: row.event_id,
    sequence: Number(row.koffset),
    partition: row.kpartition,
    publisherId: p ? { instanceId: p.instance, memberClass: p.memberClass, memberCode: p.memberCode, applicationCode: p.application } : undefined,
    eventType: row.event_type,
    ...(event !== undefined ? { event } : {}),
    time: row.published_at.toISOString(),
    status: cancelled ? 'CANCELLED' : 'PUBLISHED',
  };
}

export function statusRoutes(deps: StatusDeps): Hono {
  const app = new Hono();
  app.use(EVENT_PATH, deps.authenticate);

  const find = async (c: Context) => {
    const publisher = requireGovStackClient(c);
    const missing = () => new RoomcastError('event.not_found', { detail: 'No such event published by this client in this room' });
    const room = deps.routing.current().room(roomAddressOf(c));
    const eventId = (c.req.param('eventId') ?? '').toLowerCase();
    if (!room || !isUuid(eventId)) throw missing();
    const mine = (r: EventRow | undefined) => r !== undefined && r.room_id === room.id && r.publisher === publisher && r.event_type === c.req.param('eventType');
    let row = await logged(deps, eventId);
    if (row === undefined) {
      await sinkReached(deps, room);
      row = await logged(deps, eventId);
    }
    if (!row || !mine(row)) throw missing();
    const cancelled = await deps.ledger.isCancelled(room.id, publisher, eventId);
    return { publisher, room, eventId, row, cancelled };
  };

  app.get(EVENT_PATH, async (c) => {
    const { room, eventId, row, cancelled } = await find(c);
    const [event, deliveries] = await Promise.all([payloadOf(deps, room, row), deliverySummary(deps, room, row.event_type, eventId)]);
    return c.json({ ...eventItem(row, event, cancelled), deliveries }, 200);
  });

  app.delete(EVENT_PATH, async (c) => {
    const { publisher, room, eventId, cancelled } = await find(c);
    if (!cancelled) await deps.ledger.cancel(room.id, publisher, eventId);
    deps.logger.info('event cancelled', { roomId: room.id, publisher, eventId, already: cancelled });
    return c.body(null, 204);
  });
  return app;
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
