/** Live-stream metrics on the registry the composition root passes in. */
import { Counter, Gauge, type Registry } from 'prom-client';

export class StreamMetrics {
  readonly open: Gauge<'subscription' | 'transport'>;
  readonly events: Counter<'subscription' | 'transport'>;
  readonly disconnects: Counter<'reason' | 'transport'>;
  readonly refused: Counter<'reason'>;
  readonly skipped: Counter<'subscription' | 'reason'>;
  readonly bufferedBytes: Gauge;
  #bufferedSource: () => number = () => 0;

  constructor(registry: Registry) {
    const source = () => this.#bufferedSource();
    this.bufferedBytes = new Gauge({
      name: 'roomcast_stream_buffered_bytes',
      help: 'Bytes of events waiting in the buffers of all live streams of this process (each bounded by ROOMCAST_STREAM_BUFFER_BYTES plus one fetch)',
      registers: [registry],
      collect() {
        this.set(source());
      },
    });
    this.open = new Gauge({
      name: 'roomcast_stream_open',
      help: 'Live streams (SSE or WebSocket) open on this process, by subscription and transport',
      labelNames: ['subscription', 'transport'],
      registers: [registry],
    });
    this.events = new Counter({
      name: 'roomcast_stream_events_total',
      help: 'Events written to live streams, by subscription and transport',
      labelNames: ['subscription', 'transport'],
      registers: [registry],
    });
    this.disconnects = new Counter({
      name: 'roomcast_stream_disconnects_total',
      help: 'Live streams ended, by reason (client_closed, slow_reader, max_duration, subscription_gone, credential_revoked, room_changed, server_stopping, kafka_error, handshake_failed) and transport',
      labelNames: ['reason', 'transport'],
      registers: [registry],
    });
    this.refused = new Counter({
      name: 'roomcast_stream_refused_total',
      help: 'Stream requests refused before opening: the per-subscription or per-process limit (limit_subscription, limit_process)',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.skipped = new Counter({
      name: 'roomcast_stream_records_skipped_total',
      help: "Records of the subscription's event type not streamed: past the subscription's TTL (expired), cancelled by the publisher (cancelled) or not decryptable (decrypt_failed)",
      labelNames: ['subscription', 'reason'],
      registers: [registry],
    });
  }

  /** Where the buffered-bytes gauge reads its value at each scrape. */
  observeBuffers(source: () => number): void {
    this.#bufferedSource = source;
  }
}
