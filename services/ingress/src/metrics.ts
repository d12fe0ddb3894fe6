/** Ingress metrics on the registry the composition root passes in. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class IngressMetrics {
  readonly requests: Counter<'room' | 'event_type' | 'outcome'>;
  readonly latency: Histogram<'room' | 'event_type'>;
  readonly validationFailures: Counter<'reason'>;
  readonly dedupHits: Counter<'room' | 'outcome'>;
  readonly rateLimited: Counter<'room' | 'scope'>;
  readonly rateLimitFallback: Gauge;
  readonly batchRecords: Histogram;
  readonly batchBytes: Histogram;
  readonly produceErrors: Counter<'reason'>;
  readonly validations: Counter<'path'>;
  readonly validationRefusals: Counter<'reason'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'roomcast_publish_requests_total',
      help: 'Publish requests that reached a known room and event type, by outcome (accepted, invalid, forbidden, produce_error)',
      labelNames: ['room', 'event_type', 'outcome'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'roomcast_publish_duration_seconds',
      help: 'Time from request received to Kafka acknowledgement for accepted events',
      labelNames: ['room', 'event_type'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    });
    this.validations = new Counter({
      name: 'roomcast_publish_validations_total',
      help: 'Schema validations by where they ran: inline (on the event loop, cost within ROOMCAST_VALIDATION_INLINE_COST) or worker (a validation worker thread with a time budget)',
      labelNames: ['path'],
      registers: [registry],
    });
    this.validationRefusals = new Counter({
      name: 'roomcast_publish_validation_refusals_total',
      help: 'Costly validations refused: budget_spent (the worker ran out of ROOMCAST_VALIDATION_BUDGET_MS; 422), memory_spent (the worker ran out of heap; 422), schema_struck_out (the schema spent the budget repeatedly; 422), busy (queue full; 503)',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.validationFailures = new Counter({
      name: 'roomcast_publish_validation_failures_total',
      help: 'Publish bodies (or batch items) refused as bad input, by reason (content_type, too_large, invalid_utf8, invalid_json, shape, event_type_mismatch, too_deep, forbidden_key, unsafe_number, string_too_long, schema, batch_too_large, record_too_large)',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.dedupHits = new Counter({
      name: 'roomcast_publish_dedup_hits_total',
      help: 'Publishes whose event id was already known: replayed (same payload, original result), conflict (different payload, 409), in_progress (409 while the first is producing)',
      labelNames: ['room', 'outcome'],
      registers: [registry],
    });
    this.rateLimited = new Counter({
      name: 'roomcast_publish_rate_limited_total',
      help: 'Publishes refused with 429, by room and by the limit that refused them (publisher, room, publisher_bytes: the per-process byte budget)',
      labelNames: ['room', 'scope'],
      registers: [registry],
    });
    this.rateLimitFallback = new Gauge({
      name: 'roomcast_rate_limit_fallback',
      help: '1 while rate limits are decided in process memory because Redis is unavailable, else 0',
      registers: [registry],
    });
    this.batchRecords = new Histogram({
      name: 'roomcast_publish_batch_records',
      help: 'Events per Kafka produce request sent by the publish batcher',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096],
      registers: [registry],
    });
    this.batchBytes = new Histogram({
      name: 'roomcast_publish_batch_bytes',
      help: 'Approximate bytes (values, keys, headers) per Kafka produce request sent by the publish batcher',
      buckets: [1024, 4096, 16384, 65536, 262144, 1048576, 4194304],
      registers: [registry],
    });
    this.produceErrors = new Counter({
      name: 'roomcast_publish_produce_errors_total',
      help: 'Events whose produce request failed or was refused (answered 503): reason is the error name — BatcherOverloadedError when too many were waiting, else the Kafka client error. Publishes answered 503 because the acknowledgement timed out are not counted here; roomcast_publish_requests_total{outcome="produce_error"} counts every 503',
      labelNames: ['reason'],
      registers: [registry],
    });
  }
}
