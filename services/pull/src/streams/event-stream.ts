/**
 * One live stream: a groupless Kafka reader over both lanes of a room, a bounded buffer of
 * prepared events, and the cursor of each event. Transports (SSE, WebSocket: transports.ts)
 * take items with `next()` only as fast as their socket accepts bytes, so a slow reader stops
 * the Kafka reading instead of growing memory:
 *
 *   Kafka ──fetch──▶ buffer (≤ bufferEvents and ≤ bufferBytes, + one fetch) ──next()──▶ socket
 *                      │ full: reading pauses until it drains to half
 *                      └ paused longer than slowReaderMs: the stream ends, reason `slow_reader`
 *
 * Each event's id is the cursor of everything delivered up to and including it (cursor.ts);
 * records of other event types advance the cursor without being delivered. Urgent-lane
 * partitions are listed first in every fetch, so an urgent record that arrives with normal ones
 * is delivered before them; otherwise events interleave as Kafka hands them over. Order is
 * Kafka's: per partition, hence per key.
 */
import type { Logger } from '@roomcast/core';
import { type FetchedRecord, type GrouplessReader, isOffsetOutOfRange, type PartitionPosition } from '@roomcast/kafka';
import type { RoomRoute } from '@roomcast/routing';
import { encodeCursor, type LanePositions } from './cursor.ts';

export interface StreamSettings {
  /** A heartbeat is sent after this long without anything else. */
  heartbeatMs: number;
  /** Most prepared events held for a slow socket. */
  bufferEvents: number;
  /** Most bytes of prepared events held for a slow socket. */
  bufferBytes: number;
  /** A stream whose reading stayed paused (buffer full) this long is ended as `slow_reader`. */
  slowReaderMs: number;
  /** Bytes asked for in one fetch (all partitions together). */
  fetchMaxBytes: number;
  /** Longest wait of one fetch for a record (the long poll). */
  fetchWaitMs: number;
  /** A stream ends (max_duration) after this long whatever the client asked; it may resume with its last id. */
  maxDurationMs: number;
}

export const DEFAULT_STREAM_SETTINGS: StreamSettings = {
  heartbeatMs: 15_000,
  bufferEvents: 1000,
  bufferBytes: 4 * 1024 * 1024,
  slowReaderMs: 30_000,
  fetchMaxBytes: 1024 * 1024,
  fetchWaitMs: 1000,
  maxDurationMs: 3_600_000,
};

export type EndReason =
  | 'client_closed'
  | 'slow_reader'
  | 'max_duration'
  | 'subscription_gone'
  | 'credential_revoked'
  | 'room_changed'
  | 'server_stopping'
  | 'kafka_error'
  | 'handshake_failed';

export interface StreamEvent {
  kind: 'event';
  /** The cursor after this event (SSE `id`). */
  id: string;
  /** The event as JSON text. */
  data: string;
  /** For the message log: which event, published when (ISO). */
  eventId: string;
  publishedAt: string;
}

export type StreamItem = StreamEvent | { kind: 'heartbeat' };

/** A record the stream will deliver unless its publisher cancelled it. */
export interface PreparedEvent {
  /** The event item as JSON text. */
  data: string;
  publisher: string;
  eventId: string;
  /** The publish time (ISO), from the record's headers. */
  publishedAt: string;
}

export interface EventStreamOptions {
  reader: GrouplessReader;
  room: RoomRoute;
  start: LanePositions;
  settings: StreamSettings;
  /** What to deliver for a record, or undefined to pass over it (another type, expired…). */
  prepare(record: FetchedRecord): PreparedEvent | undefined;
  /** Which of these events their publisher cancelled (GovStack deleteEvent); passed over like others. */
  cancelled?(events: PreparedEvent[]): Promise<boolean[]>;
  logger: Logger;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class EventStream {
  readonly #o: EventStreamOptions;
  readonly #buffer: StreamEvent[] = [];
  #bufferedBytes = 0;
  #positions: PartitionPosition[];
  readonly #progress: LanePositions;
  #endReason: EndReason | undefined;
  #endResolve!: (r: EndReason) => void;
  readonly ended: Promise<EndReason>;
  #wakeTaker: (() => void) | undefined;
  #wakeReader: (() => void) | undefined;
  #slowTimer: NodeJS.Timeout | undefined;
  #lastItemAt = Date.now();
  /** Highest buffer occupancy seen, for tests and logs. */
  peakBufferedEvents = 0;

  constructor(o: EventStreamOptions) {
    this.#o = o;
    this.#progress = { normal: [...o.start.normal], urgent: [...o.start.urgent] };
    const lane = (topic: string, offsets: bigint[]) => offsets.map((offset, partition) => ({ topic, partition, offset: offset.toString() }));
    // Urgent lane first: what is waiting there is handed over first.
    this.#positions = [...lane(o.room.urgentTopic, o.start.urgent), ...lane(o.room.topic, o.start.normal)];
    this.ended = new Promise((r) => {
      this.#endResolve = r;
    });
  }

  /** The cursor of the position the stream started at (sent first, so a reconnect misses nothing). */
  get startCursor(): string {
    return encodeCursor(this.#o.room.id, this.#o.start);
  }

  get endReason(): EndReason | undefined {
    return this.#endReason;
  }

  get bufferedEvents(): number {
    return this.#buffer.length;
  }

  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  start(): void {
    void this.#readLoop().finally(() => this.#o.reader.close());
  }

  end(reason: EndReason): void {
    if (this.#endReason) return;
    this.#endReason = reason;
    clearTimeout(this.#slowTimer);
    this.#buffer.length = 0;
    this.#bufferedBytes = 0;
    this.#wakeTaker?.();
    this.#wakeReader?.();
    this.#endResolve(reason);
  }

  /** The next event, or a heartbeat when nothing came for heartbeatMs; undefined once ended. */
  async next(): Promise<StreamItem | undefined> {
    for (;;) {
      if (this.#endReason) return undefined;
      const event = this.#take();
      if (event) return event;
      const due = this.#lastItemAt + this.#o.settings.heartbeatMs - Date.now();
      if (due <= 0) {
        this.#lastItemAt = Date.now();
        return { kind: 'heartbeat' };
      }
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#wakeTaker = resolve;
        timer = setTimeout(resolve, due);
      });
      clearTimeout(timer);
      this.#wakeTaker = undefined;
    }
  }

  /** Events already buffered, up to about `maxBytes` (lets a transport write several at once). */
  takeBuffered(maxBytes: number): StreamEvent[] {
    const out: StreamEvent[] = [];
    let bytes = 0;
    while (bytes < maxBytes) {
      const e = this.#take();
      if (!e) break;
      out.push(e);
      bytes += e.data.length;
    }
    return out;
  }

  #take(): StreamEvent | undefined {
    const e = this.#buffer.shift();
    if (!e) return undefined;
    this.#bufferedBytes -= e.data.length;
    this.#lastItemAt = Date.now();
    if (this.#buffer.length <= this.#o.settings.bufferEvents / 2 && this.#bufferedBytes <= this.#o.settings.bufferBytes / 2) this.#wakeReader?.();
    return e;
  }

  #full(): boolean {
    return this.#buffer.length >= this.#o.settings.bufferEvents || this.#bufferedBytes >= this.#o.settings.bufferBytes;
  }

  async #readLoop(): Promise<void> {
    const s = this.#o.settings;
    let failures = 0;
    while (!this.#endReason) {
      if (this.#full()) {
        // Back-pressure: stop reading Kafka until the socket has taken half of the buffer.
        this.#slowTimer = setTimeout(() => this.end('slow_reader'), s.slowReaderMs);
        await new Promise<void>((resolve) => {
          this.#wakeReader = resolve;
        });
        this.#wakeReader = undefined;
        clearTimeout(this.#slowTimer);
        continue;
      }
      try {
        const result = await this.#o.reader.fetch(this.#positions, { maxWaitMs: s.fetchWaitMs, maxBytes: s.fetchMaxBytes });
        if (this.#endReason) break;
        await this.#accept(result.records, result.positions);
        failures = 0;
      } catch (err) {
        if (this.#endReason) break;
        if (isOffsetOutOfRange(err)) {
          // The cursor pointed at records retention has deleted: continue at the oldest kept.
          const clamped = await this.#o.reader.clamp(this.#positions).catch(() => undefined);
          if (clamped) {
            this.#positions = clamped.positions;
            this.#o.logger.warn('stream resumed after records deleted by retention', { roomId: this.#o.room.id, partitions: clamped.skippedForward });
            continue;
          }
        }
        failures++;
        this.#o.logger.warn('stream fetch failed', { roomId: this.#o.room.id, failures, error: err });
        if (failures >= 5) {
          this.end('kafka_error');
          break;
        }
        await sleep(200 * 2 ** failures);
      }
    }
  }

  async #accept(records: FetchedRecord[], positions: PartitionPosition[]): Promise<void> {
    const { room } = this.#o;
    const laneOf = (topic: string) => (topic === room.urgentTopic ? this.#progress.urgent : this.#progress.normal);
    const prepared = records.map((r) => this.#o.prepare(r));
    const candidates = prepared.filter((p): p is PreparedEvent => p !== undefined);
    const flags = candidates.length > 0 && this.#o.cancelled ? await this.#o.cancelled(candidates) : [];
    if (this.#endReason) return;
    const cancelled = new Set(candidates.filter((_, i) => flags[i] === true));
    for (const [i, r] of records.entries()) {
      laneOf(r.topic)[r.partition] = BigInt(r.offset) + 1n;
      const p = prepared[i];
      if (p === undefined || cancelled.has(p)) continue;
      this.#buffer.push({ kind: 'event', id: encodeCursor(room.id, this.#progress), data: p.data, eventId: p.eventId, publishedAt: p.publishedAt });
      this.#bufferedBytes += p.data.length;
    }
    // Control records and passed-over records at the end advance the next event's cursor.
    for (const p of positions) laneOf(p.topic)[p.partition] = BigInt(p.offset);
    this.#positions = positions;
    if (this.#buffer.length > this.peakBufferedEvents) this.peakBufferedEvents = this.#buffer.length;
    if (this.#buffer.length > 0) this.#wakeTaker?.();
  }
}
