/**
 * GovStack event status and cancel (`getStatus`, `deleteEvent`):
 *
 *   GET    /r1/{instance}/{class}/{member}/{room}/pub/v1/{eventType}/{eventId} → 200 EventItem
 *   DELETE /r1/{instance}/{class}/{member}/{room}/pub/v1/{eventType}/{eventId} → 204
 *
 * Answered from the event ledger (event-ledger.ts), never from Kafka. The ledger is keyed by the
 * publisher named in `X-GovStack-Client` (checked against the caller: the application itself, or
 * an admin acting for it), so any other caller — and an unknown room, type or id, or an event
 * older than the dedup window — gets the same 404 `event.not_found`. DELETE sets the
 * cancellation mark the dispatcher reads before each delivery attempt: no further attempt
 * starts; deliveries already made stay made. Cancelling twice is 204 twice.
 */
import { type Logger, parseClientId, RoomcastError } from '@roomcast/core';
import { requireGovStackClient, roomAddressOf } from '@roomcast/http';
import type { DeliveryStatusStore } from '@roomcast/redis';
import type { RoomRoute, RoutingFollower } from '@roomcast/routing';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { isUuid } from './event-id.ts';
import type { EventLedger, LedgerRecord } from './event-ledger.ts';

export const EVENT_PATH = '/r1/:instanceId/:memberClass/:memberCode/:applicationCode/pub/v1/:eventType/:eventId';

export interface StatusDeps {
  routing: RoutingFollower;
  ledger: EventLedger;
  /** Per-subscriber delivery states written by the dispatcher. */
  deliveries: DeliveryStatusStore;
  authenticate: MiddlewareHandler;
  logger: Logger;
}

/** The GovStack EventItem, with Roomcast's partition, time and status. */
export function eventItem(publisher: string, record: LedgerRecord, cancelled: boolean): Record<string, unknown> {
  const p = parseClientId(publisher);
  const result = record.result ?? { id: '', partition: 0, sequence: 0 };
  return {
    id: result.id,
    sequence: result.sequence,
    partition: result.partition,
    publisherId: p ? { instanceId: p.instance, memberClass: p.memberClass, memberCode: p.memberCode, applicationCode: p.application } : undefined,
    eventType: record.eventType,
    ...(record.event !== undefined ? { event: record.event } : {}),
    time: record.time,
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
    const found = await deps.ledger.read(room.id, publisher, eventId);
    if (!found || found.record.eventType !== c.req.param('eventType')) throw missing();
    return { publisher, room, eventId, ...found };
  };

  app.get(EVENT_PATH, async (c) => {
    const { publisher, room, eventId, record, cancelled } = await find(c);
    const deliveries = await deliverySummary(deps, room, record.eventType, eventId);
    return c.json({ ...eventItem(publisher, record, cancelled), deliveries }, 200);
  });

  app.delete(EVENT_PATH, async (c) => {
    const { publisher, room, eventId, cancelled } = await find(c);
    if (!cancelled) await deps.ledger.cancel(room.id, publisher, eventId);
    deps.logger.info('event cancelled', { roomId: room.id, publisher, eventId, already: cancelled });
    return c.body(null, 204);
  });
  return app;
}

/**
 * "7 subscribers, 7 delivered" in one answer: the room's subscriptions to the event type in the
 * routing contract, plus any subscription that has a state for the event (e.g. one removed
 * since), each with the state the dispatcher recorded — QUEUED when it has not tried yet.
 */
async function deliverySummary(deps: StatusDeps, room: RoomRoute, eventType: string, eventId: string) {
  const states = await deps.deliveries.read(room.id, eventId);
  const subs = deps.routing.current().contract.subscriptions.filter((s) => s.roomId === room.id && s.eventType === eventType);
  const known = new Map(subs.map((s) => [s.id, s]));
  const ids = [...new Set([...known.keys(), ...states.keys()])];
  const items = ids.map((id) => {
    const s = known.get(id);
    const e = states.get(id);
    return {
      subscriptionId: id,
      subscriberId: s?.clientId ?? 'unknown',
      mode: s?.mode ?? 'PUSH',
      state: e?.state ?? 'QUEUED',
      attempts: e?.attempts ?? 0,
      lastStatus: e?.lastStatus ?? null,
      lastError: e?.lastError ?? null,
      updatedAt: e?.updatedAt ?? null,
    };
  });
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
