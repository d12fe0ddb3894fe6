/**
 * What a stream delivers for one Kafka record: the subscription's event type only, within the
 * subscription's TTL and matching its content filter (decision 0028), both as the latest
 * routing generation has them (`sub` is replaced while the stream is open), with a classified payload decrypted (as push delivery does), as the JSON
 * text of an event item — the GovStack EventItem fields plus Roomcast's partition, lane and key.
 */
import { type DataKeyRing, eventItemText, type Logger, openEventPayload } from '@roomcast/core';
import { decodeHeaders, type FetchedRecord } from '@roomcast/kafka';
import { decodeWire } from '@roomcast/registry';
import type { RoomRoute, SubscriptionRoute } from '@roomcast/routing';
import type { ContentFilters } from '@roomcast/runtime';
import type { PreparedEvent } from './event-stream.ts';
import type { StreamMetrics } from './metrics.ts';

export interface PrepareDeps {
  room: RoomRoute;
  sub: SubscriptionRoute;
  dataKeys: DataKeyRing | undefined;
  metrics: StreamMetrics;
  filters: ContentFilters;
  logger: Logger;
  now?: () => number;
}

export function recordPreparer(d: PrepareDeps): (r: FetchedRecord) => PreparedEvent | undefined {
  const now = d.now ?? Date.now;
  return (r) => {
    const headers = decodeHeaders(r.headers);
    const wire = r.value ? decodeWire(r.value) : undefined;
    if (!headers || !wire || headers.eventType !== d.sub.eventType) return undefined;
    const published = Date.parse(headers.time);
    if (Number.isFinite(published) && published + d.sub.ttlSeconds * 1000 < now()) {
      d.metrics.skipped.inc({ subscription: d.sub.id, reason: 'expired' });
      return undefined;
    }
    let payload: string;
    try {
      payload = openEventPayload(d.dataKeys, d.room, headers, wire.payload).toString('utf8');
    } catch (err) {
      d.metrics.skipped.inc({ subscription: d.sub.id, reason: 'decrypt_failed' });
      d.logger.error('stream record not decrypted; passed over', { subscriptionId: d.sub.id, eventId: headers.id, topic: r.topic, partition: r.partition, offset: r.offset, error: (err as Error).message });
      return undefined;
    }
    const key = r.key ? r.key.toString('utf8') : null;
    // Decided on the decrypted payload; a record it leaves out advances the cursor like one of another type.
    if (!d.filters.admits('stream', d.sub, headers, key, () => payload)) return undefined;
    // The event item (packages/core event-item.ts) with the lane; the payload is spliced in as text.
    const data = eventItemText(
      {
        id: headers.id,
        offset: r.offset,
        partition: r.partition,
        publisher: headers.publisher,
        eventType: headers.eventType,
        lane: r.topic === d.room.urgentTopic ? 'urgent' : 'normal',
        ...(key !== null ? { key } : {}),
        time: headers.time,
        priority: headers.priority,
      },
      payload,
    );
    return { data, publisher: headers.publisher, eventId: headers.id, publishedAt: headers.time };
  };
}

/**
 * Cancellation marks of a batch of events, read in parallel. A failed read delivers (as push
 * does, decision 0012): cancelling is a publisher's request, not a guarantee.
 */
export function cancellationCheck(
  d: Pick<PrepareDeps, 'room' | 'sub' | 'metrics' | 'logger'>,
  isCancelled: (roomId: string, publisher: string, eventId: string) => Promise<boolean>,
): (events: PreparedEvent[]) => Promise<boolean[]> {
  return async (events) => {
    try {
      const flags = await Promise.all(events.map((e) => isCancelled(d.room.id, e.publisher, e.eventId)));
      const n = flags.filter(Boolean).length;
      if (n > 0) d.metrics.skipped.inc({ subscription: d.sub.id, reason: 'cancelled' }, n);
      return flags;
    } catch (err) {
      d.logger.warn('cancellation marks not readable; streaming', { subscriptionId: d.sub.id, error: err });
      return events.map(() => false);
    }
  };
}
