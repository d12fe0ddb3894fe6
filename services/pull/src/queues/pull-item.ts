/**
 * What a pull queue stores per record and what a puller receives (pure, unit-tested).
 *
 * The stored blob keeps the record as Kafka has it — headers, key and the Confluent-framed
 * value, still sealed for PHI/PII/CONFIDENTIAL types — so Redis never holds a classified payload
 * in plain and the dead-letter topic gets the original bytes. It is opened at hand-out.
 */
import { eventItemText as itemText } from '@roomcast/core';
import type { EventHeaders, IHeaders } from '@roomcast/kafka';
import type { RoomRoute } from '@roomcast/routing';

export interface StoredRecord {
  /** Header name → text value, as on the Kafka record. */
  h: Record<string, string>;
  /** Record key (FIFO key) or null. */
  k: string | null;
  /** Record value, base64. */
  v: string;
  /** Partition and offset in their lane's topic. */
  p: number;
  o: string;
}

export function headerText(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = typeof first === 'string' ? first : first.toString('utf8');
  }
  return out;
}

export function toBlob(r: { headers: IHeaders | undefined; key: Buffer | null; value: Buffer; partition: number; offset: string }): string {
  const stored: StoredRecord = { h: headerText(r.headers), k: r.key?.toString('utf8') ?? null, v: r.value.toString('base64'), p: r.partition, o: r.offset };
  return JSON.stringify(stored);
}

export function fromBlob(blob: string): StoredRecord {
  return JSON.parse(blob) as StoredRecord;
}

export interface HandOut {
  headers: EventHeaders;
  key: string | null;
  partition: number;
  offset: string;
  /** The event payload as JSON text (opened, without the wire prefix). */
  payload: string;
  deliveryCount: number;
  /** Roomcast lease route only. */
  receipt?: string;
  leaseExpiresAt: number;
}

/**
 * The GovStack EventItem (id, sequence, publisherId, eventType, event) with Roomcast's partition,
 * room, key, time, priority, delivery count, lease end and (lease route) receipt. The payload is
 * spliced in as text: it was validated JSON when published.
 */
export function eventItemText(room: RoomRoute, h: HandOut): string {
  const a = room.address;
  return itemText(
    {
      id: h.headers.id,
      offset: h.offset,
      partition: h.partition,
      publisher: h.headers.publisher,
      eventType: h.headers.eventType,
      room: `${a.instance}/${a.memberClass}/${a.memberCode}/${a.room}`,
      key: h.key,
      time: h.headers.time,
      priority: h.headers.priority,
      deliveryCount: h.deliveryCount,
      leaseExpiresAt: new Date(h.leaseExpiresAt).toISOString(),
      ...(h.receipt ? { receipt: h.receipt } : {}),
    },
    h.payload,
  );
}
