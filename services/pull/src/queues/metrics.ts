/**
 * Pull-queue metrics on the registry the composition root passes in. Counters count what this
 * process did; the depth and age gauges read the shared queue in Redis at scrape time, so every
 * pull process reports the same value (aggregate them with max, not sum).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { QueueStats } from './queue-store.ts';

export class PullMetrics {
  readonly pulls: Counter<'subscription' | 'outcome'>;
  readonly handedOut: Counter<'subscription'>;
  readonly settled: Counter<'subscription' | 'op' | 'outcome'>;
  readonly leaseExpiries: Counter<'subscription'>;
  readonly fed: Counter<'subscription'>;
  readonly deadLettered: Counter<'subscription' | 'reason'>;
  readonly openFailures: Counter<'subscription'>;

  constructor(registry: Registry, stats: () => Promise<Array<{ subscription: string; stats: QueueStats }>>) {
    this.pulls = new Counter({
      name: 'roomcast_pull_requests_total',
      help: 'Pull requests (GovStack pull and the lease route) by subscription and outcome (events, empty)',
      labelNames: ['subscription', 'outcome'],
      registers: [registry],
    });
    this.handedOut = new Counter({
      name: 'roomcast_pull_events_total',
      help: 'Events handed out under a lease (each hand-out counts, redeliveries too)',
      labelNames: ['subscription'],
      registers: [registry],
    });
    this.settled = new Counter({
      name: 'roomcast_pull_settlements_total',
      help: 'Acks (GovStack confirm included), nacks and lease extensions by outcome (ok, expired, not_held, unknown)',
      labelNames: ['subscription', 'op', 'outcome'],
      registers: [registry],
    });
    this.leaseExpiries = new Counter({
      name: 'roomcast_pull_lease_expiries_total',
      help: 'Leases that ended without an ack; their events became available again',
      labelNames: ['subscription'],
      registers: [registry],
    });
    this.fed = new Counter({
      name: 'roomcast_pull_fed_total',
      help: 'Records fed from Kafka into the subscription queue by this process',
      labelNames: ['subscription'],
      registers: [registry],
    });
    this.deadLettered = new Counter({
      name: 'roomcast_pull_dead_lettered_total',
      help: 'Events sent to the dead-letter topic by reason (ttl_expired, delivery_limit)',
      labelNames: ['subscription', 'reason'],
      registers: [registry],
    });
    this.openFailures = new Counter({
      name: 'roomcast_pull_open_failures_total',
      help: 'Leased records whose payload could not be opened (decrypted); left to expire and counted as deliveries',
      labelNames: ['subscription'],
      registers: [registry],
    });
    // Both gauges collect in the same scrape: read Redis once for them.
    let pending: Promise<Array<{ subscription: string; stats: QueueStats }>> | undefined;
    const gathered = () => {
      pending ??= stats()
        .catch(() => [])
        .finally(() => setTimeout(() => (pending = undefined), 100));
      return pending;
    };
    new Gauge({
      name: 'roomcast_pull_queue_depth',
      help: 'Events in the subscription queue by state (ready, leased, delayed, total); read from Redis at scrape',
      labelNames: ['subscription', 'state'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const s of await gathered()) {
          this.set({ subscription: s.subscription, state: 'total' }, s.stats.depth);
          this.set({ subscription: s.subscription, state: 'ready' }, s.stats.ready);
          this.set({ subscription: s.subscription, state: 'leased' }, s.stats.leased);
          this.set({ subscription: s.subscription, state: 'delayed' }, s.stats.delayed);
        }
      },
    });
    new Gauge({
      name: 'roomcast_pull_oldest_unacked_age_seconds',
      help: 'Age (since publish) of the oldest unacknowledged event in the subscription queue; 0 when empty',
      labelNames: ['subscription'],
      registers: [registry],
      async collect() {
        this.reset();
        const now = Date.now();
        for (const s of await gathered()) this.set({ subscription: s.subscription }, s.stats.oldestMs === undefined ? 0 : Math.max(0, (now - s.stats.oldestMs) / 1000));
      },
    });
  }
}
