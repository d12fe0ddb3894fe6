/**
 * Dead-lettering for pull queues. An entry past its subscription's TTL or delivery limit is
 * claimed in Redis (by the lease that found it, or later by the sweeper once a claim lapsed),
 * produced to the dead-letter topic with its original key, value and headers plus why and
 * where from, and only then finished — so its offset can be committed. A crash in between
 * produces it again after the claim lapses: the dead-letter topic is at-least-once too.
 */
import type { Logger } from '@roomcast/core';
import type { Producer } from '@roomcast/kafka';
import { ACKS_ALL } from '@roomcast/kafka';
import type { RoomRoute, SubscriptionRoute } from '@roomcast/routing';
import type { PullMetrics } from './queue-metrics.ts';
import { fromBlob } from './pull-item.ts';
import { type DeadEntry, parseEntry, type PullStore } from './pull-queue.ts';

export const DEAD_CLAIM_MS = 30_000;

export class DeadLetters {
  readonly #o: { producer: Producer; topic: string; store: PullStore; metrics: PullMetrics; logger: Logger };

  constructor(o: { producer: Producer; topic: string; store: PullStore; metrics: PullMetrics; logger: Logger }) {
    this.#o = o;
  }

  /** Produces the entries to the dead-letter topic, then finishes them; failures stay claimed. */
  async send(sub: SubscriptionRoute, room: RoomRoute, dead: DeadEntry[]): Promise<void> {
    if (dead.length === 0) return;
    const messages = dead.flatMap((d) => {
      const at = parseEntry(d.entry);
      if (!d.blob || !at) return [];
      const r = fromBlob(d.blob);
      return [
        {
          key: r.k,
          value: Buffer.from(r.v, 'base64'),
          headers: {
            ...r.h,
            'rc-dead-reason': d.reason,
            'rc-subscription': sub.id,
            'rc-source-topic': at.lane === 'u' ? room.urgentTopic : room.topic,
            'rc-source-partition': String(at.partition),
            'rc-source-offset': at.offset,
          },
        },
      ];
    });
    try {
      if (messages.length > 0) await this.#o.producer.send({ topic: this.#o.topic, acks: ACKS_ALL, messages });
      await this.#o.store.finish(sub.id, dead.map((d) => d.entry));
      for (const d of dead) this.#o.metrics.deadLettered.inc({ subscription: sub.id, reason: d.reason });
      this.#o.logger.warn('events dead-lettered', { subscriptionId: sub.id, count: dead.length, reasons: [...new Set(dead.map((d) => d.reason))] });
    } catch (err) {
      this.#o.logger.error('dead-lettering failed; retried after the claim lapses', { subscriptionId: sub.id, count: dead.length, error: err });
    }
  }
}
