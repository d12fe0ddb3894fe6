/**
 * Kafka records → log rows (pure). A room-topic record becomes an EventEntry from its headers,
 * key and offsets; its value is only hashed — never decoded, never stored. A delivery-log record
 * (JSON written by the dispatcher and the pull service) becomes a DeliveryEntry. A record that is
 * neither (no Roomcast headers, unreadable JSON) gives no row; the sink counts it and moves on.
 */
import { decodeHeaders, type IHeaders } from '@roomcast/kafka';
import { type DeadLetterEntry, type DeliveryEntry, type EventEntry, isEventId, sha256 } from '@roomcast/log';

export interface SinkRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

const STATES = new Set(['QUEUED', 'SENT', 'DELIVERED', 'ERRORED', 'FAILED', 'CANCELLED']);
const OUTCOMES = new Set(['delivered', 'retry', 'failed', 'cancelled', 'dead-lettered', 'leased', 'acked', 'nacked', 'lease-expired', 'streamed']);
const MODES = new Set(['push', 'pull', 'stream']);

function date(v: unknown): Date | null {
  if (typeof v !== 'string') return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function eventEntry(r: SinkRecord, roomId: string, urgent: boolean): EventEntry | undefined {
  const h = decodeHeaders(r.headers);
  if (!h || !isEventId(h.id) || r.value === null) return undefined;
  const publishedAt = date(h.time);
  if (!publishedAt) return undefined;
  return {
    loggedAt: new Date(Number(r.timestamp)),
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    eventId: h.id.toLowerCase(),
    roomId,
    eventType: h.eventType,
    publisher: h.publisher,
    publishedAt,
    urgent,
    keySha256: r.key === null ? null : sha256(r.key),
    payloadSha256: sha256(r.value),
    size: r.value.length,
    classification: h.classification,
    priority: h.priority,
    schemaId: h.schemaId,
    traceparent: h.traceparent ?? null,
    schemaVersion: h.schemaVersion ?? null,
  };
}

export function deliveryEntry(r: SinkRecord): DeliveryEntry | undefined {
  if (r.value === null) return undefined;
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(r.value.toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof j !== 'object' || j === null) return undefined;
  const text = (k: string) => (typeof j[k] === 'string' ? (j[k] as string) : null);
  const int = (k: string) => (typeof j[k] === 'number' && Number.isFinite(j[k]) ? Math.round(j[k] as number) : null);
  const eventId = text('eventId');
  const state = text('state');
  const occurredAt = date(j.time);
  const mode = text('mode') ?? 'push';
  const outcome = text('outcome');
  if (!outcome || !OUTCOMES.has(outcome)) return undefined;
  if (!eventId || !isEventId(eventId) || !state || !STATES.has(state) || !occurredAt || !MODES.has(mode)) return undefined;
  const latency = typeof j.latencyMs === 'number' && Number.isFinite(j.latencyMs) ? Math.round(j.latencyMs * 1000) : null;
  return {
    loggedAt: new Date(Number(r.timestamp)),
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    eventId: eventId.toLowerCase(),
    roomId: text('roomId') ?? '',
    eventType: text('eventType') ?? '',
    subscriptionId: text('subscriptionId') ?? '',
    subscriber: text('subscriber') ?? '',
    mode,
    attempt: int('attempt') ?? 0,
    outcome,
    state,
    httpStatus: int('httpStatus'),
    errorClass: text('errorClass'),
    durationUs: latency,
    nextAttemptAt: date(j.nextAttemptAt),
    occurredAt,
    publishedAt: date(j.publishedAt),
  };
}

function header(h: IHeaders | undefined, name: string): string | undefined {
  const v = h?.[name];
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : one.toString();
}

function intOf(v: string | undefined): number | null {
  if (v === undefined || !/^\d{1,9}$/.test(v)) return null;
  return Number(v);
}

/**
 * A dead-letter record becomes a DeadLetterEntry (decision 0026): the event's own headers, and
 * who gave up, why and where from — `rc-dlq-*` from the dispatcher, `rc-dead-reason`,
 * `rc-subscription` and `rc-source-*` from the pull service. `roomOf` maps a source topic to its room.
 */
export function deadLetterEntry(r: SinkRecord, roomOf: (topic: string, subscriptionId: string) => string): DeadLetterEntry | undefined {
  const h = decodeHeaders(r.headers);
  if (!h || !isEventId(h.id) || r.value === null) return undefined;
  const publishedAt = date(h.time);
  if (!publishedAt) return undefined;
  const push = header(r.headers, 'rc-dlq-subscription');
  const subscriptionId = push ?? header(r.headers, 'rc-subscription');
  if (!subscriptionId) return undefined;
  let source: { topic: string; partition: number; offset: string } | undefined;
  if (push) {
    const m = /^(.+)\/(\d{1,9})\/(\d{1,19})$/.exec(header(r.headers, 'rc-dlq-source') ?? '');
    if (m) source = { topic: m[1] as string, partition: Number(m[2]), offset: m[3] as string };
  } else {
    const topic = header(r.headers, 'rc-source-topic');
    const partition = intOf(header(r.headers, 'rc-source-partition'));
    const offset = header(r.headers, 'rc-source-offset');
    if (topic && partition !== null && offset && /^\d{1,19}$/.test(offset)) source = { topic, partition, offset };
  }
  if (!source) return undefined;
  const detail = push ? (header(r.headers, 'rc-dlq-detail') ?? null) : null;
  return {
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    deadLetteredAt: date(header(r.headers, 'rc-dlq-time')) ?? new Date(Number(r.timestamp)),
    subscriptionId,
    roomId: roomOf(source.topic, subscriptionId),
    mode: push ? 'push' : 'pull',
    eventId: h.id.toLowerCase(),
    eventType: h.eventType,
    publisher: h.publisher,
    publishedAt,
    classification: h.classification,
    reason: (push ? header(r.headers, 'rc-dlq-reason') : header(r.headers, 'rc-dead-reason')) ?? 'unknown',
    detail,
    attempts: intOf(header(r.headers, 'rc-dlq-attempts')),
    httpStatus: intOf(header(r.headers, 'rc-dlq-status')) ?? (detail ? intOf(/^HTTP (\d{3})$/.exec(detail)?.[1]) : null),
    sourceTopic: source.topic,
    sourcePartition: source.partition,
    sourceOffset: source.offset,
  };
}
