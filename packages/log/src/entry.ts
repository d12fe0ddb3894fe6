/**
 * What one log row holds and how it is chained. Pure: the sink uses it to write, `verify` and
 * the proof bundle use it to recompute, and the standalone verifier (scripts/log-verify-proof.mjs)
 * repeats the same few lines with nothing but node:crypto.
 *
 * Each Kafka partition the sink reads (a room topic's, its urgent lane's, or the delivery log's)
 * is one *stream*, `topic/partition`. Its rows form a hash chain in offset order:
 *
 *   entry_hash = SHA-256( prev_hash ‖ SHA-256( UTF-8( canonical(row) ) ) )
 *
 * where prev_hash is the previous row's entry_hash (the stream's genesis hash for the first
 * row) and canonical(row) is the JSON array of the row's fields in the order of FIELDS below,
 * every value a string (timestamps as ISO-8601 with milliseconds, digests as lower-case hex,
 * integers in decimal) or null. Changing one field of one row breaks every later link. The
 * inner digest lets a proof carry the later rows of a stream as digests only: a publisher's
 * proof shows nothing of other publishers' events.
 */
import { createHash } from 'node:crypto';

export const LOG_FORMAT = 'roomcast-log/1';

/** An event as logged: the record's position, headers and digests — never the payload. */
export interface EventEntry {
  loggedAt: Date;
  topic: string;
  partition: number;
  offset: string;
  eventId: string;
  roomId: string;
  eventType: string;
  publisher: string;
  publishedAt: Date;
  urgent: boolean;
  keySha256: Buffer | null;
  payloadSha256: Buffer;
  size: number;
  classification: string;
  priority: string;
  schemaId: number;
  traceparent: string | null;
  /** The schema's version under its subject (null for records written before the header existed). */
  schemaVersion: number | null;
}

/** One delivery attempt or transition, for one event and one subscription. */
export interface DeliveryEntry {
  loggedAt: Date;
  topic: string;
  partition: number;
  offset: string;
  eventId: string;
  roomId: string;
  eventType: string;
  subscriptionId: string;
  subscriber: string;
  mode: string;
  attempt: number;
  /** What happened: delivered, retry, failed, cancelled, dead-lettered; for pull leased, acked, nacked, lease-expired. */
  outcome: string;
  /** The GovStack delivery state after it. */
  state: string;
  httpStatus: number | null;
  errorClass: string | null;
  durationUs: number | null;
  nextAttemptAt: Date | null;
  occurredAt: Date;
  publishedAt: Date | null;
}

export type LogKind = 'event' | 'delivery';

/** An event id as the ingress accepts it: any UUID (generated ids are v7, publishers may choose any). */
export function isEventId(v: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);
}

type Value = string | number | boolean | Date | Buffer | null;

const str = (v: Value): string | null => {
  if (v === null) return null;
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return v.toString('hex');
  return String(v);
};

/** Field order of the canonical form (column names in the log tables). */
export const EVENT_FIELDS = [
  'logged_at', 'topic', 'kpartition', 'koffset', 'event_id', 'room_id', 'event_type', 'publisher', 'published_at', 'urgent',
  'key_sha256', 'payload_sha256', 'size', 'classification', 'priority', 'schema_id', 'traceparent',
  // Added later: left out of the canonical form while null (withoutLateNulls).
  'schema_version',
] as const;
/** Fields every event row has had from the start; those after them are optional in the canonical form. */
const EVENT_FIELDS_FIRST = 17;
export const DELIVERY_FIELDS = [
  'logged_at', 'topic', 'kpartition', 'koffset', 'event_id', 'room_id', 'event_type', 'subscription_id', 'subscriber', 'mode',
  'attempt', 'outcome', 'state', 'http_status', 'error_class', 'duration_us', 'next_attempt_at', 'occurred_at', 'published_at',
] as const;

export function eventValues(e: EventEntry): Value[] {
  return [e.loggedAt, e.topic, e.partition, e.offset, e.eventId, e.roomId, e.eventType, e.publisher, e.publishedAt, e.urgent, e.keySha256, e.payloadSha256, e.size, e.classification, e.priority, e.schemaId, e.traceparent, e.schemaVersion];
}

/**
 * Fields added to a kind after its first rows were written are dropped from the end of its values
 * while they are null, so a row written before a field existed (NULL in that column) hashes as it
 * did when it was written. The number of fields is thus part of what a chain link commits to.
 */
export function withoutLateNulls(kind: LogKind, values: Value[]): Value[] {
  const first = kind === 'event' ? EVENT_FIELDS_FIRST : DELIVERY_FIELDS.length;
  let end = values.length;
  while (end > first && values[end - 1] === null) end--;
  return end === values.length ? values : values.slice(0, end);
}

export function deliveryValues(d: DeliveryEntry): Value[] {
  return [d.loggedAt, d.topic, d.partition, d.offset, d.eventId, d.roomId, d.eventType, d.subscriptionId, d.subscriber, d.mode, d.attempt, d.outcome, d.state, d.httpStatus, d.errorClass, d.durationUs, d.nextAttemptAt, d.occurredAt, d.publishedAt];
}

/** The canonical text of a row: its kind, then its fields as strings (or null), as a JSON array. */
export function canonical(kind: LogKind, values: Value[]): string {
  return JSON.stringify([kind, ...withoutLateNulls(kind, values).map(str)]);
}

export function streamOf(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

/** The hash a stream's first row chains from. */
export function genesisHash(stream: string): Buffer {
  return createHash('sha256').update(`${LOG_FORMAT}\u0000genesis\u0000${stream}`, 'utf8').digest();
}

/** The digest of one row's canonical text (what a proof carries for the rows after the proven one). */
export function contentHash(canonicalText: string): Buffer {
  return createHash('sha256').update(canonicalText, 'utf8').digest();
}

export function linkHash(prev: Buffer, content: Buffer): Buffer {
  return createHash('sha256').update(prev).update(content).digest();
}

export function chainHash(prev: Buffer, canonicalText: string): Buffer {
  return linkHash(prev, contentHash(canonicalText));
}

export function sha256(data: Buffer | string): Buffer {
  return createHash('sha256').update(data).digest();
}
