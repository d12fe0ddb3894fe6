/**
 * The record headers every event carries on its room topic. One codec, used by the ingress
 * to write and by the dispatcher and pull to read, so the two sides cannot drift.
 */
import type { IHeaders } from 'kafkajs';

export interface EventHeaders {
  id: string;
  eventType: string;
  publisher: string;
  time: string;
  priority: string;
  classification: string;
  schemaId: number;
  /** The schema's version under its registry subject (records written before it was carried have none). */
  schemaVersion?: number;
  keyId?: string;
  traceparent?: string;
}

const NAMES = {
  id: 'rc-id',
  eventType: 'rc-event-type',
  publisher: 'rc-publisher',
  time: 'rc-time',
  priority: 'rc-priority',
  classification: 'rc-classification',
  schemaId: 'rc-schema-id',
  schemaVersion: 'rc-schema-version',
  keyId: 'rc-key-id',
  traceparent: 'traceparent',
} as const;

export function encodeHeaders(h: EventHeaders): IHeaders {
  const out: IHeaders = {
    [NAMES.id]: h.id,
    [NAMES.eventType]: h.eventType,
    [NAMES.publisher]: h.publisher,
    [NAMES.time]: h.time,
    [NAMES.priority]: h.priority,
    [NAMES.classification]: h.classification,
    [NAMES.schemaId]: String(h.schemaId),
  };
  if (h.schemaVersion !== undefined) out[NAMES.schemaVersion] = String(h.schemaVersion);
  if (h.keyId) out[NAMES.keyId] = h.keyId;
  if (h.traceparent) out[NAMES.traceparent] = h.traceparent;
  return out;
}

function text(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

/** Returns undefined when a required header is missing: such a record is not a Roomcast event. */
export function decodeHeaders(headers: IHeaders | undefined): EventHeaders | undefined {
  const id = text(headers, NAMES.id);
  const eventType = text(headers, NAMES.eventType);
  const publisher = text(headers, NAMES.publisher);
  const time = text(headers, NAMES.time);
  const schemaId = Number(text(headers, NAMES.schemaId));
  if (!id || !eventType || !publisher || !time || !Number.isInteger(schemaId)) return undefined;
  const out: EventHeaders = {
    id,
    eventType,
    publisher,
    time,
    priority: text(headers, NAMES.priority) ?? 'NORMAL',
    classification: text(headers, NAMES.classification) ?? 'INTERNAL',
    schemaId,
  };
  const schemaVersion = Number(text(headers, NAMES.schemaVersion));
  if (Number.isInteger(schemaVersion) && schemaVersion > 0) out.schemaVersion = schemaVersion;
  const keyId = text(headers, NAMES.keyId);
  if (keyId) out.keyId = keyId;
  const traceparent = text(headers, NAMES.traceparent);
  if (traceparent) out.traceparent = traceparent;
  return out;
}
