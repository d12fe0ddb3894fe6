/**
 * Produce batcher: gathers concurrent single-record sends into one producer request.
 *
 * Each `add()` resolves with the caller's own topic, partition and offset only after Kafka
 * acknowledged the whole flush (the `send` function decides durability: the ingress passes the
 * idempotent producer's `sendBatch` with acks=all), and rejects if that flush failed. Flushes are
 * strictly one at a time — the idempotent producer allows one request in flight anyway — and
 * while one is in flight the next gathers (pipelining). A flush starts when the oldest waiting
 * record has lingered `lingerMs`, or at once when a full batch (`maxBatchRecords` or
 * `maxBatchBytes`) is waiting. Waiting records are bounded (`maxQueuedRecords`,
 * `maxQueuedBytes`): beyond that `add()` rejects at once with `BatcherOverloadedError`.
 *
 * Order: records of one flush keep their arrival order within each topic, and a flush is sent
 * only after the previous one was answered, so records with the same key (same partition) are
 * written in the order they were added.
 *
 * Offsets: the partitioner of `createDurableProducer` writes the partition it chose onto each
 * message (`message.partition`); a partition's records in one request form one record batch
 * with consecutive offsets from the `baseOffset` Kafka answers. The batcher maps them back.
 */
import type { IHeaders, Message, RecordMetadata, TopicMessages } from 'kafkajs';

export interface BatcherOptions {
  /** Sends every topic's messages in one request; resolves with one entry per topic-partition once Kafka acknowledged. */
  send: (topicMessages: TopicMessages[]) => Promise<RecordMetadata[]>;
  /** How long the first record of a batch waits for others (0: until the current tick's records are in). */
  lingerMs: number;
  maxBatchRecords: number;
  maxBatchBytes: number;
  /** Records waiting for a flush (not counting the one in flight) beyond which `add()` refuses. */
  maxQueuedRecords: number;
  maxQueuedBytes: number;
  /**
   * Largest record accepted, as `recordBytes` counts it plus a record batch's own overhead; a
   * larger one is refused at once with `RecordTooLargeError` instead of failing its whole flush
   * at the broker (max.message.bytes). Unset: no check.
   */
  maxRecordBytes?: number;
  /** Called after each flush with its size and outcome (metrics). */
  onFlush?: (flush: { records: number; bytes: number; ok: boolean; error?: unknown }) => void;
  /** Called when `add()` refuses a record because the queue is full (metrics). */
  onRefused?: (err: BatcherOverloadedError) => void;
}

export interface BatchedRecord {
  topic: string;
  partition: number;
  offset: string;
}

/** `add()` refused because too many records already wait for a flush. Nothing was sent. */
export class BatcherOverloadedError extends Error {
  constructor(message = 'too many records are waiting to be produced') {
    super(message);
    this.name = 'BatcherOverloadedError';
  }
}

/** `add()` refused a record larger than `maxRecordBytes`: Kafka would refuse it, and retrying cannot help. Nothing was sent. */
export class RecordTooLargeError extends Error {
  readonly bytes: number;
  readonly limit: number;
  constructor(bytes: number, limit: number) {
    super(`the record takes about ${bytes} bytes in Kafka; the limit is ${limit}`);
    this.name = 'RecordTooLargeError';
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** Bytes a record batch takes besides its records (Kafka's v2 batch header). */
export const RECORD_BATCH_OVERHEAD = 61;

/** `add()` refused because the batcher was closed. Nothing was sent. */
export class BatcherClosedError extends Error {
  constructor() {
    super('the produce batcher is closed');
    this.name = 'BatcherClosedError';
  }
}

interface Entry {
  topic: string;
  message: Message;
  bytes: number;
  enqueuedAt: number;
  resolve: (r: BatchedRecord) => void;
  reject: (err: unknown) => void;
}

function headerBytes(h: IHeaders | undefined): number {
  if (!h) return 0;
  let n = 0;
  for (const [k, v] of Object.entries(h)) {
    n += k.length + 8;
    if (typeof v === 'string') n += Buffer.byteLength(v);
    else if (Buffer.isBuffer(v)) n += v.length;
    else if (Array.isArray(v)) for (const x of v) n += typeof x === 'string' ? Buffer.byteLength(x) : x.length;
  }
  return n;
}

/** Approximate size of a record on the wire (value, key, headers and per-record overhead). */
export function recordBytes(m: Message): number {
  const value = m.value === null ? 0 : typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length;
  const key = m.key === null || m.key === undefined ? 0 : typeof m.key === 'string' ? Buffer.byteLength(m.key) : m.key.length;
  return value + key + headerBytes(m.headers) + 24;
}

export class ProduceBatcher {
  private readonly o: BatcherOptions;
  private pending: Entry[] = [];
  private pendingBytes = 0;
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(options: BatcherOptions) {
    if (options.maxBatchRecords < 1 || options.maxBatchBytes < 1) throw new Error('batch limits must be positive');
    this.o = options;
  }

  /** Records waiting for a flush (not counting the flush in flight). */
  get queued(): number {
    return this.pending.length;
  }

  /** Queues one record; resolves with its partition and offset once Kafka acknowledged its batch. */
  add(topic: string, message: Message): Promise<BatchedRecord> {
    if (this.closed) return Promise.reject(new BatcherClosedError());
    const bytes = recordBytes(message);
    if (this.o.maxRecordBytes !== undefined && bytes + RECORD_BATCH_OVERHEAD > this.o.maxRecordBytes) {
      return Promise.reject(new RecordTooLargeError(bytes + RECORD_BATCH_OVERHEAD, this.o.maxRecordBytes));
    }
    if (this.pending.length >= this.o.maxQueuedRecords || (this.pending.length > 0 && this.pendingBytes + bytes > this.o.maxQueuedBytes)) {
      const err = new BatcherOverloadedError();
      this.o.onRefused?.(err);
      return Promise.reject(err);
    }
    return new Promise<BatchedRecord>((resolve, reject) => {
      this.pending.push({ topic, message, bytes, enqueuedAt: performance.now(), resolve, reject });
      this.pendingBytes += bytes;
      this.schedule();
    });
  }

  /** Sends what is waiting now, then waits until every flush has been answered; later `add()`s are refused. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.inFlight || this.pending.length > 0) {
      if (this.inFlight) await this.inFlight;
      else this.flush();
    }
  }

  private full(): boolean {
    return this.pending.length >= this.o.maxBatchRecords || this.pendingBytes >= this.o.maxBatchBytes;
  }

  /** Decides when the next flush starts; nothing starts while one is in flight (it reschedules when done). */
  private schedule(): void {
    if (this.inFlight || this.pending.length === 0) return;
    if (this.full() || this.closed) {
      this.flush();
      return;
    }
    if (this.timer) return;
    const oldest = this.pending[0]?.enqueuedAt ?? performance.now();
    const wait = Math.max(0, this.o.lingerMs - (performance.now() - oldest));
    const fire = () => {
      this.timer = null;
      if (!this.inFlight) this.flush();
    };
    this.timer = wait === 0 ? (setImmediate(fire) as unknown as NodeJS.Timeout) : setTimeout(fire, wait);
  }

  private clearTimer(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    clearImmediate(this.timer as unknown as NodeJS.Immediate);
    this.timer = null;
  }

  /** Takes up to one batch off the queue and sends it. */
  private flush(): void {
    this.clearTimer();
    if (this.pending.length === 0) return;
    let n = 0;
    let bytes = 0;
    for (const e of this.pending) {
      if (n >= this.o.maxBatchRecords || (n > 0 && bytes + e.bytes > this.o.maxBatchBytes)) break;
      n++;
      bytes += e.bytes;
    }
    const batch = this.pending.splice(0, n);
    this.pendingBytes -= bytes;
    this.inFlight = this.sendBatch(batch, bytes).finally(() => {
      this.inFlight = null;
      this.schedule();
    });
  }

  private async sendBatch(batch: Entry[], bytes: number): Promise<void> {
    const byTopic = new Map<string, Entry[]>();
    for (const e of batch) {
      const list = byTopic.get(e.topic);
      if (list) list.push(e);
      else byTopic.set(e.topic, [e]);
    }
    let answer: RecordMetadata[];
    try {
      answer = await this.o.send([...byTopic].map(([topic, entries]) => ({ topic, messages: entries.map((e) => e.message) })));
    } catch (err) {
      for (const e of batch) e.reject(err);
      this.o.onFlush?.({ records: batch.length, bytes, ok: false, error: err });
      return;
    }
    const base = new Map<string, bigint>();
    for (const m of answer) {
      if (m.baseOffset !== undefined) base.set(`${m.topicName}\u0000${m.partition}`, BigInt(m.baseOffset));
    }
    // Within a topic-partition, records are appended in the order they were sent.
    const seen = new Map<string, bigint>();
    for (const [topic, entries] of byTopic) {
      for (const e of entries) {
        const partition = e.message.partition;
        const slot = `${topic}\u0000${partition}`;
        const first = base.get(slot);
        if (typeof partition !== 'number' || first === undefined) {
          e.reject(new Error(`Kafka acknowledged the batch without an offset for ${topic}[${String(partition)}]`));
          continue;
        }
        const index = seen.get(slot) ?? 0n;
        seen.set(slot, index + 1n);
        e.resolve({ topic, partition, offset: String(first + index) });
      }
    }
    this.o.onFlush?.({ records: batch.length, bytes, ok: true });
  }
}
