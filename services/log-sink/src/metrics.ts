/** Prometheus metrics of the log sink. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class SinkMetrics {
  readonly lagRecords: Gauge<'topic'>;
  readonly lagSeconds: Gauge<'topic'>;
  readonly batchRows: Histogram;
  readonly writeSeconds: Histogram;
  readonly rows: Counter<'table'>;
  readonly skipped: Counter<'reason'>;
  readonly writeFailures: Counter;
  readonly checkpointAge: Gauge;
  readonly checkpoints: Counter;
  #lastCheckpoint = Date.now();

  constructor(registry: Registry) {
    this.lagRecords = new Gauge({ name: 'roomcast_log_sink_lag_records', help: 'Records of a topic the log sink has not written yet (high watermark minus position, summed over the partitions it owns)', labelNames: ['topic'], registers: [registry] });
    this.lagSeconds = new Gauge({ name: 'roomcast_log_sink_lag_seconds', help: 'Age of the last record the log sink wrote, per topic, when it wrote it', labelNames: ['topic'], registers: [registry] });
    this.batchRows = new Histogram({ name: 'roomcast_log_sink_batch_rows', help: 'Rows per log write', buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000], registers: [registry] });
    this.writeSeconds = new Histogram({ name: 'roomcast_log_sink_write_seconds', help: 'Duration of one log write transaction', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] });
    this.rows = new Counter({ name: 'roomcast_log_rows_total', help: 'Rows appended to the message log', labelNames: ['table'], registers: [registry] });
    this.skipped = new Counter({ name: 'roomcast_log_sink_skipped_total', help: 'Records that gave no log row (already written, or not a Roomcast record)', labelNames: ['reason'], registers: [registry] });
    this.writeFailures = new Counter({ name: 'roomcast_log_sink_write_failures_total', help: 'Log write transactions that failed (the batch is read again)', registers: [registry] });
    this.checkpoints = new Counter({ name: 'roomcast_log_checkpoints_total', help: 'Signed checkpoints written', registers: [registry] });
    const self = this;
    this.checkpointAge = new Gauge({
      name: 'roomcast_log_checkpoint_age_seconds',
      help: 'Seconds since this sink last wrote a signed checkpoint',
      registers: [registry],
      collect() {
        this.set((Date.now() - self.#lastCheckpoint) / 1000);
      },
    });
  }

  checkpointed(n = 1): void {
    this.checkpoints.inc(n);
    this.#lastCheckpoint = Date.now();
  }
}

/** Prometheus metrics of the dead-letter routes (decision 0026). */
export class DeadLetterMetrics {
  readonly taken: Counter<'action'>;
  readonly failed: Counter;

  /** Reuses the counters when the registry has them already (a second log API on one process's registry). */
  constructor(registry: Registry) {
    const claimed = registry.getSingleMetric('roomcast_redrive_claimed_total');
    const refused = registry.getSingleMetric('roomcast_redrive_refused_total');
    if (claimed instanceof Counter && refused instanceof Counter) {
      this.taken = claimed as Counter<'action'>;
      this.failed = refused;
      return;
    }
    this.taken = new Counter({ name: 'roomcast_redrive_claimed_total', help: 'Dead letters taken by a redrive (handed to the redrive topic) or a purge, by action', labelNames: ['action'], registers: [registry] });
    this.failed = new Counter({ name: 'roomcast_redrive_refused_total', help: 'Dead letters a redrive could not hand on (event type deleted, payload undecryptable, record gone); they stay dead', registers: [registry] });
  }
}
