/** Dispatcher metrics on the registry the composition root passes in. */
import { createHash } from 'node:crypto';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class DispatcherMetrics {
  readonly attempts: Counter<'subscription' | 'outcome'>;
  readonly attemptDuration: Histogram<'subscription'>;
  readonly endToEnd: Histogram<'subscription'>;
  readonly decryptFailures: Counter<'subscription'>;
  readonly inFlight: Gauge<'subscription'>;
  readonly inFlightRequests: Gauge;
  readonly lag: Gauge<'subscription'>;
  readonly retries: Counter<'subscription'>;
  readonly deadLettered: Counter<'subscription' | 'reason'>;
  readonly circuit: Gauge<'endpoint'>;
  readonly logFailures: Counter;
  readonly consumers: Gauge;
  readonly redriven: Counter<'outcome'>;
  #heldBytes: () => number = () => 0;

  constructor(registry: Registry) {
    this.attempts = new Counter({
      name: 'roomcast_delivery_attempts_total',
      help: 'Push delivery attempts by subscription and outcome (delivered, retry, failed, cancelled)',
      labelNames: ['subscription', 'outcome'],
      registers: [registry],
    });
    this.attemptDuration = new Histogram({
      name: 'roomcast_delivery_attempt_duration_seconds',
      help: 'Duration of one push attempt, request sent to response read',
      labelNames: ['subscription'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.endToEnd = new Histogram({
      name: 'roomcast_delivery_end_to_end_seconds',
      help: 'Time from publish to successful delivery',
      labelNames: ['subscription'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    this.decryptFailures = new Counter({
      name: 'roomcast_delivery_decrypt_failures_total',
      help: 'Classified records that could not be decrypted (unknown key id, missing master key, or a ciphertext that does not authenticate); retried, never delivered',
      labelNames: ['subscription'],
      registers: [registry],
    });
      this.inFlight = new Gauge({
      name: 'roomcast_delivery_in_flight',
      help: 'Deliveries holding a slot (being attempted) per subscription; at most its maxInFlight',
      labelNames: ['subscription'],
      registers: [registry],
    });
    this.inFlightRequests = new Gauge({
      name: 'roomcast_delivery_requests_in_flight',
      help: 'Push HTTP requests open right now, all subscriptions',
      registers: [registry],
    });
    this.lag = new Gauge({
      name: 'roomcast_delivery_queue_depth',
      help: 'Per subscription: records not fetched yet plus fetched records whose delivery is not final (consumer lag)',
      labelNames: ['subscription'],
      registers: [registry],
    });
    this.retries = new Counter({
      name: 'roomcast_delivery_retries_scheduled_total',
      help: 'Retries scheduled after an attempt that may succeed later (408, 429, 5xx, timeout, connection error)',
      labelNames: ['subscription'],
      registers: [registry],
    });
    this.deadLettered = new Counter({
      name: 'roomcast_delivery_dead_lettered_total',
      help: 'Events written to the dead-letter topic, by subscription and reason (rejected, attempts, window, expired)',
      labelNames: ['subscription', 'reason'],
      registers: [registry],
    });
    this.circuit = new Gauge({
      name: 'roomcast_delivery_circuit_state',
      help: 'Circuit breaker per endpoint origin, labelled by its fingerprint (ep_ + 16 hex of SHA-256 of the origin; the dispatcher log maps it to the origin): 0 closed, 1 half-open, 2 open',
      labelNames: ['endpoint'],
      registers: [registry],
    });
    this.logFailures = new Counter({
      name: 'roomcast_delivery_log_failures_total',
      help: 'Attempts that could not be written to the delivery log or the event status',
      registers: [registry],
    });
    this.redriven = new Counter({
      name: 'roomcast_redrive_events_total',
      help: 'Redriven dead letters read by this dispatcher, by outcome: settled (delivered or cancelled), dead_lettered (failed again), not_delivered (subscription paused or no longer PUSH: dead-lettered again at once), skipped (subscription gone or record unreadable)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.consumers = new Gauge({
      name: 'roomcast_delivery_subscriptions_running',
      help: 'Push subscriptions with a running consumer in this process',
      registers: [registry],
    });
    const heldBytes = () => this.#heldBytes();
    new Gauge({
      name: 'roomcast_delivery_held_bytes',
      help: 'Estimated bytes of events held in the windows of all push subscriptions of this process, against ROOMCAST_DISPATCH_MEMORY_BYTES',
      registers: [registry],
      collect() {
        this.set(heldBytes());
      },
    });
  }

  /** Where the held-bytes gauge reads its value at each scrape. */
  readHeldBytes(source: () => number): void {
    this.#heldBytes = source;
  }
}

/** The label naming a push endpoint origin in metrics: a fingerprint, so scrapes do not list subscribers' addresses. */
export function endpointFingerprint(origin: string): string {
  return `ep_${createHash('sha256').update(origin).digest('hex').slice(0, 16)}`;
}
