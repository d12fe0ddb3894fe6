/**
 * The outbound event item, one source for every way an event leaves Roomcast: the push
 * delivery body, a pulled (or leased) item, a live-stream event and the publisher's status
 * answer. Each is the GovStack EventItem (id, sequence, publisherId, eventType, event) plus the
 * Roomcast fields that view carries; `eventItemFields` builds them in one order and
 * `eventItemText` splices the payload in as text (it was validated JSON when published, and
 * re-encoding it per delivery would cost a parse and a stringify for nothing).
 *
 * `EVENT_ITEM_SCHEMA` describes the item for every OpenAPI document;
 * `schemas/event-item.schema.json` is generated from it (scripts/event-item-schema.ts) and a
 * test keeps the two equal.
 */
import { parseClientId } from './client-id.ts';

export interface EventItemInput {
  id: string;
  /** Kafka offset of the record in its partition (a string, as Kafka clients give it). */
  offset: string | number | bigint;
  partition: number;
  /** Client id of the publisher, INSTANCE/CLASS/MEMBER/APPLICATION. */
  publisher: string;
  eventType: string;
  /** Publish time, ISO 8601. */
  time: string;
  /** INSTANCE/CLASS/MEMBER/ROOM (push, pull). */
  room?: string;
  /** Which lane of the room the record came from (streams). */
  lane?: 'urgent' | 'normal';
  /** FIFO key; null when the event had none (push and pull say so, streams omit it). */
  key?: string | null;
  priority?: string;
  /** Publisher's status answer. */
  status?: 'PUBLISHED' | 'CANCELLED';
  /** Pull: hand-outs so far, this one included; when the lease ends; the lease route's receipt. */
  deliveryCount?: number;
  leaseExpiresAt?: string;
  receipt?: string;
}

/** The item's fields without the payload, in the order every view writes them; absent fields are left out. */
export function eventItemFields(i: EventItemInput): Record<string, unknown> {
  const p = parseClientId(i.publisher);
  const item: Record<string, unknown> = {
    id: i.id,
    sequence: Number(i.offset),
    partition: i.partition,
    ...(p ? { publisherId: { instanceId: p.instance, memberClass: p.memberClass, memberCode: p.memberCode, applicationCode: p.application } } : {}),
    eventType: i.eventType,
    ...(i.room !== undefined ? { room: i.room } : {}),
    ...(i.lane !== undefined ? { lane: i.lane } : {}),
    ...(i.key !== undefined ? { key: i.key } : {}),
    time: i.time,
    ...(i.priority !== undefined ? { priority: i.priority } : {}),
    ...(i.status !== undefined ? { status: i.status } : {}),
    ...(i.deliveryCount !== undefined ? { deliveryCount: i.deliveryCount } : {}),
    ...(i.leaseExpiresAt !== undefined ? { leaseExpiresAt: i.leaseExpiresAt } : {}),
    ...(i.receipt !== undefined ? { receipt: i.receipt } : {}),
  };
  return item;
}

/** The item as JSON text with `payload` (JSON text) spliced in as `event`. */
export function eventItemText(i: EventItemInput, payload: string): string {
  return `${JSON.stringify(eventItemFields(i)).slice(0, -1)},"event":${payload}}`;
}

const clientIdSchema = {
  type: 'object',
  description: 'The publishing application',
  properties: { instanceId: { type: 'string' }, memberClass: { type: 'string' }, memberCode: { type: 'string' }, applicationCode: { type: 'string' } },
};

/** JSON Schema of the event item; which Roomcast fields appear depends on the view (see each description). */
export const EVENT_ITEM_SCHEMA = {
  title: 'Roomcast event item',
  description:
    "What a subscriber or the publisher receives for one event: the GovStack EventItem (id, sequence, publisherId, eventType, event) plus Roomcast's fields. The push delivery body carries room, key and priority too, with the headers webhook-id (= id), webhook-timestamp, webhook-signature (Standard Webhooks) and CloudEvents binary-mode ce-* headers; a pulled item adds deliveryCount, leaseExpiresAt and (lease route) receipt; a stream event adds lane; the publisher's status answer adds status (and its deliveries).",
  type: 'object',
  required: ['id', 'sequence', 'eventType', 'time'],
  properties: {
    id: { type: 'string', format: 'uuid', description: 'Event id (UUIDv7 unless the publisher supplied one); stable across redeliveries' },
    sequence: { type: 'integer', description: 'Offset of the record within its partition' },
    partition: { type: 'integer' },
    publisherId: clientIdSchema,
    eventType: { type: 'string' },
    room: { type: 'string', description: 'INSTANCE/CLASS/MEMBER/ROOM (push, pull)' },
    lane: { enum: ['urgent', 'normal'], description: 'The lane of the room the record came from (streams)' },
    key: { type: ['string', 'null'], description: 'FIFO key; events with the same key keep their order (push and pull: null when none; streams omit it)' },
    time: { type: 'string', format: 'date-time', description: 'Publish time' },
    priority: { enum: ['LOW', 'NORMAL', 'HIGH', 'CRITICAL'] },
    status: { enum: ['PUBLISHED', 'CANCELLED'], description: "Publisher's status answer only" },
    deliveryCount: { type: 'integer', description: 'Pull: how many times this event has been handed out, this time included' },
    leaseExpiresAt: { type: 'string', format: 'date-time', description: 'Pull: not acknowledged by then, the event is handed out again' },
    receipt: { type: 'string', description: 'Pull lease route only: names this hand-out in ack, nack and extend' },
    event: { type: 'object', description: "The payload, valid against the event type's JSON Schema (omitted from the status answer once Kafka no longer holds the record)" },
  },
} as const;
