/**
 * The pull operations behind the routes (routes.ts): find the caller's PULL subscription,
 * lease with long-poll, open the leased records into EventItems, settle leases and confirm by
 * event id. Stateless: everything shared lives in the queue in Redis, so any process answers.
 *
 * Lease state machine of one event (per hand-out):
 *
 *   ready ──onLease──▶ leased ──onAck/onConfirm──▶ finished
 *                        ├──onNack──▶ ready (or delayed, then ready)
 *                        ├──onExtend──▶ leased (later expiry)
 *                        └──onExpiry──▶ ready (lease_expiries_total)
 */
import { type DataKeyRing, type Logger, openEventPayload, type RoomAddress, RoomcastError } from '@roomcast/core';
import { decodeHeaders } from '@roomcast/kafka';
import { decodeWire } from '@roomcast/registry';
import type { DeliveryStatusStore, DeliveryStatusWrite } from '@roomcast/redis';
import type { RoomRoute, RoutingFollower, RoutingIndex, SubscriptionRoute } from '@roomcast/routing';
import { DEAD_CLAIM_MS, type DeadLetters } from './dead-letter.ts';
import { eventItemText, fromBlob } from './pull-item.ts';
import type { PullDeliveryRecord, PullOutcome } from '../delivery-log.ts';
import type { DeadEntry, ExpiredLease, LeasedEntry, PullStore, SettleResult } from './queue-store.ts';
import type { PullMetrics } from './metrics.ts';
import type { WakeBoard } from './wake.ts';

export interface PullServiceOptions {
  routing: RoutingFollower;
  store: PullStore;
  wake: WakeBoard;
  metrics: PullMetrics;
  deadLetters: DeadLetters;
  dataKeys: DataKeyRing | undefined;
  logger: Logger;
  /** Resolves when this process's feeder for the subscription has purged stale entries (feeder.ts). */
  ready(subscriptionId: string): Promise<void>;
  /** The event status per subscriber (decision 0016): SENT when handed out, DELIVERED when acknowledged. */
  status?: DeliveryStatusStore;
  /** Appends every transition (hand-out, ack, nack, lease expiry, dead letter) to the delivery-log topic (delivery-log.ts). */
  deliveryLog?: { write(records: PullDeliveryRecord[]): void };
}

/** One transition of one event in one subscription, for the status store and the message log. */
interface Transition {
  eventId: string;
  outcome: PullOutcome;
  state: 'SENT' | 'DELIVERED' | 'FAILED' | 'QUEUED';
  attempt: number;
  publishedMs?: number | undefined;
  reason?: string;
}

export interface Target {
  sub: SubscriptionRoute;
  room: RoomRoute;
}

export class PullService {
  readonly #o: PullServiceOptions;
  /** Subscriptions by room, client and event type, rebuilt once per routing generation. */
  #byKey: { index: RoutingIndex; map: Map<string, SubscriptionRoute> } | undefined;

  constructor(o: PullServiceOptions) {
    this.#o = o;
  }

  /** The caller's subscription to this event type in this room, which must be an ACTIVE PULL one. */
  target(client: string, address: RoomAddress, eventType: string): Target {
    const index = this.#o.routing.current();
    if (this.#byKey?.index !== index) {
      this.#byKey = { index, map: new Map(index.contract.subscriptions.map((s) => [`${s.roomId}\u0000${s.clientId}\u0000${s.eventType}`, s])) };
    }
    const room = index.room(address);
    const sub = room ? this.#byKey.map.get(`${room.id}\u0000${client}\u0000${eventType}`) : undefined;
    if (!room || !sub) throw new RoomcastError('subscription.not_found', { detail: `${client} has no subscription to ${eventType} in this room` });
    if (sub.mode !== 'PULL') throw new RoomcastError('subscription.invalid_state', { detail: `The subscription is delivered by ${sub.mode}, not PULL; switch it with PATCH …/api/v1/subs/${eventType}` });
    if (sub.status !== 'ACTIVE') throw new RoomcastError('subscription.invalid_state', { detail: 'The subscription is paused' });
    return { sub, room };
  }

  /** Leases up to `max` events, waiting up to `waitMs` for the first; returns EventItem JSON texts. */
  async lease(t: Target, o: { max: number; waitMs: number; leaseMs: number; receipts: boolean; signal?: AbortSignal }): Promise<string[]> {
    const { store, wake, metrics } = this.#o;
    const deadline = Date.now() + o.waitMs;
    await this.#o.ready(t.sub.id);
    for (let pass = 0; ; pass++) {
      const ticket = wake.ticket(t.sub.id);
      const r = await store.lease(t.sub.id, {
        now: Date.now(),
        max: o.max,
        leaseMs: o.leaseMs,
        maxDeliveries: t.sub.retry.maxAttempts,
        ttlMs: t.sub.ttlSeconds * 1000,
        deadClaimMs: DEAD_CLAIM_MS,
      });
      this.#expired(t, r.expired);
      if (r.dead.length > 0) {
        await this.#o.deadLetters.send(t.sub, t.room, r.dead);
        this.#recordDead(t, r.dead);
      }
      const handed: Transition[] = [];
      const items = r.items.flatMap((e) => this.#open(t, e, o.receipts, handed));
      this.#record(t, handed);
      // Everything found was dead-lettered: look again at once (a few times) before answering or sleeping.
      if (items.length === 0 && r.dead.length > 0 && pass < 5) continue;
      if (items.length > 0 || Date.now() >= deadline || o.signal?.aborted) {
        metrics.pulls.inc({ subscription: t.sub.id, outcome: items.length > 0 ? 'events' : 'empty' });
        if (items.length > 0) metrics.handedOut.inc({ subscription: t.sub.id }, items.length);
        return items;
      }
      await wake.wait(t.sub.id, ticket, Math.min(deadline, r.nextAt ?? deadline) - Date.now(), o.signal);
    }
  }

  /**
   * Status writes and log records are bookkeeping: a failure is logged, never answered to the
   * puller. The status store (decision 0016) keeps only what is not final; the message log
   * (delivery-log.ts) gets every transition.
   */
  #record(t: Target, transitions: Transition[]): void {
    if (transitions.length === 0) return;
    const time = new Date().toISOString();
    const writes: Array<DeliveryStatusWrite & { reason?: string }> = transitions
      .filter((x) => x.outcome !== 'lease-expired' && x.outcome !== 'nacked')
      .map((x) => ({
        roomId: t.room.id,
        eventId: x.eventId,
        subscriptionId: t.sub.id,
        entry: { state: x.state as 'SENT' | 'DELIVERED' | 'FAILED', attempts: x.attempt, lastStatus: null, lastError: null, updatedAt: time },
        ...(x.reason ? { reason: x.reason } : {}),
      }));
    if (writes.length > 0) this.#o.status?.recordMany(writes).catch((err: unknown) => this.#o.logger.warn('pull delivery status not recorded', { count: writes.length, error: err }));
    this.#o.deliveryLog?.write(
      transitions.map((x) => {
        const published = x.publishedMs !== undefined && Number.isFinite(x.publishedMs) && x.publishedMs > 0 ? x.publishedMs : undefined;
        return {
          eventId: x.eventId,
          subscriptionId: t.sub.id,
          roomId: t.room.id,
          eventType: t.sub.eventType,
          subscriber: t.sub.clientId,
          mode: 'pull',
          attempt: x.attempt,
          outcome: x.outcome,
          state: x.state,
          httpStatus: null,
          errorClass: x.reason ?? null,
          latencyMs: null,
          time,
          nextAttemptAt: null,
          publishedAt: published === undefined ? null : new Date(published).toISOString(),
        };
      }),
    );
  }

  /** Leases that ran out: the events are ready again (QUEUED), counted and logged. */
  #expired(t: Target, expired: ExpiredLease[]): void {
    if (expired.length === 0) return;
    this.#o.metrics.leaseExpiries.inc({ subscription: t.sub.id }, expired.length);
    this.#record(
      t,
      expired.map((x) => ({ eventId: x.eventId, outcome: 'lease-expired', state: 'QUEUED', attempt: x.deliveryCount, publishedMs: x.publishedMs, reason: 'lease_expired' })),
    );
  }

  /** Dead-lettered entries (delivery limit or TTL): FAILED, final. */
  #recordDead(t: Target, dead: DeadEntry[]): void {
    this.#record(
      t,
      dead.flatMap((d) => {
        const h = d.blob ? decodeHeaders(fromBlob(d.blob).h) : undefined;
        return h ? [{ eventId: h.id, outcome: 'dead-lettered' as const, state: 'FAILED' as const, attempt: t.sub.retry.maxAttempts, publishedMs: Date.parse(h.time), reason: d.reason }] : [];
      }),
    );
  }

  #open(t: Target, e: LeasedEntry, withReceipt: boolean, handed: Transition[]): string[] {
    try {
      const rec = fromBlob(e.blob);
      const headers = decodeHeaders(rec.h);
      const wire = decodeWire(Buffer.from(rec.v, 'base64'));
      if (!headers || !wire) throw new Error('not a Roomcast event');
      const payload = openEventPayload(this.#o.dataKeys, t.room, headers, wire.payload).toString('utf8');
      handed.push({ eventId: headers.id, outcome: 'leased', state: 'SENT', attempt: e.deliveryCount, publishedMs: Date.parse(headers.time) });
      return [
        eventItemText(t.room, {
          headers,
          key: rec.k,
          partition: rec.p,
          offset: rec.o,
          payload,
          deliveryCount: e.deliveryCount,
          leaseExpiresAt: e.expiresAt,
          ...(withReceipt ? { receipt: e.receipt } : {}),
        }),
      ];
    } catch (err) {
      // Left leased: it is handed out again after the lease, and dead-lettered at the delivery limit.
      this.#o.metrics.openFailures.inc({ subscription: t.sub.id });
      this.#o.logger.error('leased record not opened', { subscriptionId: t.sub.id, entry: e.entry, error: (err as Error).message });
      return [];
    }
  }

  async settle(t: Target, op: 'ack' | 'nack' | 'extend', receipts: string[], paramMs: number): Promise<SettleResult[]> {
    const { results, expired } = await this.#o.store.settle(t.sub.id, op, receipts, paramMs, Date.now());
    this.#expired(t, expired);
    for (const r of results) this.#o.metrics.settled.inc({ subscription: t.sub.id, op, outcome: r.outcome });
    if (op !== 'extend') {
      const done = results.filter((r) => r.outcome === 'ok' && r.eventId);
      this.#record(
        t,
        done.map((r) => ({
          eventId: r.eventId as string,
          outcome: op === 'ack' ? 'acked' : 'nacked',
          state: op === 'ack' ? 'DELIVERED' : 'QUEUED',
          attempt: r.deliveryCount ?? 1,
          publishedMs: r.publishedMs,
        })),
      );
    }
    return results;
  }

  /** GovStack confirm: 204 when leased now, 404 unknown, 409 not leased (lease expired or never handed out). */
  async confirm(t: Target, eventId: string): Promise<void> {
    await this.#o.ready(t.sub.id);
    const { outcome, expired, deliveryCount, publishedMs } = await this.#o.store.confirm(t.sub.id, eventId.toLowerCase(), Date.now());
    this.#expired(t, expired);
    if (outcome === 'ok') this.#record(t, [{ eventId: eventId.toLowerCase(), outcome: 'acked', state: 'DELIVERED', attempt: deliveryCount, publishedMs }]);
    this.#o.metrics.settled.inc({ subscription: t.sub.id, op: 'ack', outcome: outcome === 'not_leased' ? 'expired' : outcome });
    if (outcome === 'unknown') throw new RoomcastError('event.not_found', { detail: 'No such event waiting in this subscription (unknown, or already confirmed)' });
    if (outcome === 'not_leased') throw new RoomcastError('pull.lease_expired', { detail: 'The event is not handed out now (its lease expired); pull it again' });
  }

  /** Periodic: expired leases back to ready, and dead entries whose claim lapsed dead-lettered. */
  async sweep(subs: SubscriptionRoute[]): Promise<void> {
    const index = this.#o.routing.current();
    for (const sub of subs) {
      const room = index.roomById(sub.roomId);
      if (!room) continue;
      const { expired } = await this.#o.store.sweep(sub.id, Date.now());
      this.#expired({ sub, room }, expired);
      const dead = await this.#o.store.claimDead(sub.id, Date.now(), DEAD_CLAIM_MS, 100);
      await this.#o.deadLetters.send(sub, room, dead);
      this.#recordDead({ sub, room }, dead);
    }
  }
}
