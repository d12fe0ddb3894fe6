/** Dispatcher metrics on the registry the composition root passes in. */
import { Counter, Histogram, type Registry } from 'prom-client';

export class DispatcherMetrics {
  readonly attempts: Counter<'subscription' | 'outcome'>;
  readonly attemptDuration: Histogram<'subscription'>;
  readonly endToEnd: Histogram<'subscription'>;
  readonly decryptFailures: Counter<'subscription'>;

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
  }
}
