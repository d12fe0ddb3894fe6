/**
 * Dead-lettering for pull queues. An entry past its subscription's TTL or delivery limit is
 * claimed in Redis (by the lease that found it, or later by the sweeper once a claim lapsed),
 * produced to the dead-letter topic with its original key, value and headers plus why and
 * where from, and only then finished — so its offset can be committed. A crash in between
 * produces it again after the claim lapses: the dead-letter topic is at-least-once too.
 */
import type { Logger } from '@roomcast/core';
import type { Producer } from '@roomcast/kafka';
import { ACKS_ALL, type Message, recordBytes } from '@roomcast/kafka';
import type { RoomRoute, SubscriptionRoute } from '@roomcast/routing';
import type { PullMetrics } from './metrics.ts';
import { fromBlob } from './pull-item.ts';
import { type DeadEntry, parseEntry, type PullStore } from './queue-store.ts';

export const DEAD_CLAIM_MS = 30_000;

/** Most bytes in one dead-letter send (the topic accepts INTERNAL_TOPIC_MAX_MESSAGE_BYTES); a larger record goes alone. */
const SEND_MAX_BYTES = 1024 * 1024;

/** Consecutive groups of messages of at most `maxBytes` each (a larger message forms a group alone). */
export function chunksOf<M extends Message>(messages: M[], maxBytes: number): M[][] {
  const out: M[][] = [];
  let current: M[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = recordBytes(m);
    if (current.length > 0 && bytes + size > maxBytes) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

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
      // One send is one record batch per partition: keep each well under the topic's max.message.bytes.
      for (const chunk of chunksOf(messages, SEND_MAX_BYTES)) await this.#o.producer.send({ topic: this.#o.topic, acks: ACKS_ALL, messages: chunk });
      await this.#o.store.finish(sub.id, dead.map((d) => d.entry));
      for (const d of dead) this.#o.metrics.deadLettered.inc({ subscription: sub.id, reason: d.reason });
      this.#o.logger.warn('events dead-lettered', { subscriptionId: sub.id, count: dead.length, reasons: [...new Set(dead.map((d) => d.reason))] });
    } catch (err) {
      this.#o.logger.error('dead-lettering failed; retried after the claim lapses', { subscriptionId: sub.id, count: dead.length, error: err });
    }
  }
}
