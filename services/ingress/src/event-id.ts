/**
 * Publisher-supplied event ids and the payload fingerprint used for idempotency (pure,
 * unit-tested). A publisher names the id in the body (`id`) or in an `Idempotency-Key` header;
 * either must be a UUID (it becomes the event id that subscribers see) and, when both are sent,
 * they must agree. The fingerprint is the SHA-256 of the canonical JSON (keys sorted at every
 * level) of `{eventType, event, key}`, so a retry whose JSON differs only in key order or
 * whitespace is the same payload.
 */
import { createHash } from 'node:crypto';
import { RoomcastError } from '@roomcast/core';
import { isEventId } from '@roomcast/log';

/** Any UUID: the event ids the ingress accepts (one definition with the message log's). */
export const isUuid = isEventId;

/** The id the publisher asked for (lower-cased), undefined when it named none; 400 when malformed. */
export function requestedEventId(body: Record<string, unknown>, idempotencyKey: string | undefined): string | undefined {
  const fromBody = body.id;
  if (fromBody !== undefined && (typeof fromBody !== 'string' || !isUuid(fromBody))) {
    throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '/id', message: 'must be a UUID' }] });
  }
  const header = idempotencyKey?.trim();
  if (header !== undefined && !isUuid(header)) {
    throw new RoomcastError('request.validation_failed', { detail: 'The Idempotency-Key header must be a UUID (it becomes the event id)', errors: [{ pointer: '/headers/Idempotency-Key', message: 'must be a UUID' }] });
  }
  if (fromBody !== undefined && header !== undefined && fromBody.toLowerCase() !== header.toLowerCase()) {
    throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '/id', message: 'must equal the Idempotency-Key header when both are sent' }] });
  }
  return (fromBody ?? header)?.toLowerCase();
}

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/** SHA-256 (hex) of what makes two publishes of one id the same: event type, event and FIFO key. */
export function payloadHash(eventType: string, event: unknown, key: unknown): string {
  const publisherKey = typeof key === 'string' && key.length > 0 ? key : null;
  return createHash('sha256').update(canonicalJson({ eventType, event, key: publisherKey })).digest('hex');
}
