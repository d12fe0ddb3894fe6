/**
 * Turns one Kafka record into the HTTP request a subscriber receives (pure, unit-tested):
 * a GovStack EventItem body plus Roomcast's room, key, time and priority; Standard Webhooks
 * headers (the webhook-id is the event id, stable across retries); CloudEvents binary-mode
 * headers for receivers that speak CloudEvents.
 */
import { eventItemText } from '@roomcast/core';
import type { EventHeaders } from '@roomcast/kafka';
import { activeSecrets, type RoomRoute, type SubscriptionRoute } from '@roomcast/routing';
import { signatureHeader } from './signature.ts';

export interface DeliveryRecord {
  headers: EventHeaders;
  key: string | null;
  partition: number;
  offset: string;
  /** The event payload as JSON text (the Confluent wire prefix already removed). */
  payload: string;
}

export interface DeliveryRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export function buildDeliveryRequest(sub: SubscriptionRoute, room: RoomRoute, rec: DeliveryRecord, nowMs: number, openSecret: (stored: string) => string = (s) => s): DeliveryRequest {
  // The event item (packages/core event-item.ts) with the room, key and priority; the payload is spliced in as text.
  const body = eventItemText(
    {
      id: rec.headers.id,
      offset: rec.offset,
      partition: rec.partition,
      publisher: rec.headers.publisher,
      eventType: rec.headers.eventType,
      room: `${room.address.instance}/${room.address.memberClass}/${room.address.memberCode}/${room.address.room}`,
      key: rec.key,
      time: rec.headers.time,
      priority: rec.headers.priority,
    },
    rec.payload,
  );
  const timestamp = Math.floor(nowMs / 1000);
  return {
    url: sub.pushUrl ?? '',
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Roomcast-Dispatcher/0.1',
      'webhook-id': rec.headers.id,
      'webhook-timestamp': String(timestamp),
      // Every secret valid now signs: during a rotation's overlap both, after it only the new one.
      'webhook-signature': signatureHeader(activeSecrets(sub.signingSecrets, nowMs).map(openSecret), rec.headers.id, timestamp, body),
      'ce-specversion': '1.0',
      'ce-id': rec.headers.id,
      'ce-source': `/r1/${room.address.instance}/${room.address.memberClass}/${room.address.memberCode}/${room.address.room}`,
      'ce-type': rec.headers.eventType,
      'ce-time': rec.headers.time,
      ...(rec.key ? { 'ce-subject': rec.key } : {}),
      ...(rec.headers.traceparent ? { traceparent: rec.headers.traceparent } : {}),
    },
  };
}

/** What one POST came to: an HTTP status, or the transport error's code (no response). */
export type HttpResult = { status: number; retryAfter: string | null } | { error: string };

export type AttemptOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; reason: string; status: number | null; retryAfter: string | null }
  | { kind: 'failed'; reason: string; status: number | null; disable: boolean };

/** Transport errors that are decided for good: the destination is refused, not unreachable. */
const FINAL_ERRORS = new Set(['SSRF_BLOCKED', 'ERR_INVALID_URL']);

/**
 * 2xx delivered; 408, 429, 5xx, timeouts and connection errors retry; other statuses (3xx
 * included: redirects are never followed) fail for good, and 410 Gone also disables the
 * subscription; a destination refused by the SSRF guard fails for good.
 */
export function classifyResult(r: HttpResult): AttemptOutcome {
  if ('error' in r) {
    return FINAL_ERRORS.has(r.error) ? { kind: 'failed', reason: r.error, status: null, disable: false } : { kind: 'retry', reason: r.error, status: null, retryAfter: null };
  }
  const { status } = r;
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status === 408 || status === 429 || status >= 500) return { kind: 'retry', reason: `HTTP ${status}`, status, retryAfter: r.retryAfter };
  return { kind: 'failed', reason: `HTTP ${status}`, status, disable: status === 410 };
}
