/**
 * Content filters at delivery time (decision 0028), the same for push, pull and streams: the
 * subscription's filter (parsed once per routing generation, packages/routing filter.ts) decides
 * whether an event of its type is delivered. A filtered-out event is final at once for the
 * caller (its offset may be committed), counted here and written nowhere else.
 *
 * The payload is read only when the filter names a payload field; classified payloads are then
 * decrypted in memory, as delivery itself would. A payload that cannot be read (no key yet, not
 * JSON) is let through: the mode's own path handles it as it does today (retry, dead letter),
 * so a filter never turns an unreadable record into a silent skip.
 */
import type { Logger } from '@roomcast/core';
import type { EventHeaders } from '@roomcast/kafka';
import { subscriptionFilter } from '@roomcast/routing';
import { Counter, type Registry } from 'prom-client';

export type FilterMode = 'push' | 'pull' | 'stream';

const FILTERED = 'roomcast_delivery_filtered_total';

/** The subscription fields a filter decision needs (a SubscriptionRoute has them). */
export interface FilteredSubscription {
  id: string;
  filter?: unknown;
}

export class ContentFilters {
  readonly #filtered: Counter<'subscription' | 'mode'>;
  readonly #logger: Logger;

  constructor(registry: Registry, logger: Logger) {
    this.#logger = logger;
    // Push, pull and streams of one process share the counter.
    this.#filtered =
      (registry.getSingleMetric(FILTERED) as Counter<'subscription' | 'mode'> | undefined) ??
      new Counter({
        name: FILTERED,
        help: "Events of a subscription's type that its content filter left out (final at once, not delivered), by subscription and mode (push, pull, stream)",
        labelNames: ['subscription', 'mode'],
        registers: [registry],
      });
  }

  /**
   * Whether the event is delivered. `payload` gives the plain JSON text (or throws); it is called
   * only when the filter reads payload fields.
   */
  admits(mode: FilterMode, sub: FilteredSubscription, headers: EventHeaders, key: string | null, payload: () => Buffer | string): boolean {
    const filter = subscriptionFilter(sub, (errors) =>
      this.#logger.warn('subscription filter not understood by this version; delivering every event', { subscriptionId: sub.id, errors: errors.slice(0, 3) }),
    );
    if (!filter) return true;
    let data: unknown;
    if (filter.readsData) {
      try {
        const text = payload();
        data = JSON.parse(typeof text === 'string' ? text : text.toString('utf8'));
      } catch {
        return true;
      }
    }
    const match = filter.matches({
      id: headers.id,
      type: headers.eventType,
      key,
      publisher: headers.publisher,
      classification: headers.classification,
      priority: headers.priority,
      time: headers.time,
      schemaVersion: headers.schemaVersion,
      data,
    });
    if (!match) this.#filtered.inc({ subscription: sub.id, mode });
    return match;
  }

}
