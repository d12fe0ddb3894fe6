/**
 * The event ledger: what a replay of a publisher-chosen event id needs, and nothing else, for the
 * dedup window (decision 0020 — Redis holds nothing per event for generated ids):
 *
 * - a publisher-supplied id is reserved atomically (Lua: GET, else SET with a short TTL) before
 *   producing. Once produced the reservation becomes a compact record — a 96-bit digest of the
 *   payload fingerprint, the partition and the offset — under a key hashed from room, publisher
 *   and id (under 200 bytes of Redis per event). The same id with the same fingerprint answers
 *   the original result without producing again; with a different fingerprint 409
 *   `publish.id_conflict`. A duplicate that arrives while the first is still producing waits up
 *   to `waitMs` for its result, then gets 409 `publish.id_in_progress` (Retry-After). A failed
 *   produce releases the reservation, so a retry can succeed. Generated ids (UUIDv7) cannot
 *   repeat: no reservation, no record.
 * - cancellation marks (GovStack `deleteEvent`), set per cancelled event for the topic
 *   retention: the dispatcher reads them before each attempt.
 *
 * Event status is answered from the message log and Kafka (status-routes.ts), not from here.
 */
import { type Logger, RoomcastError, uuidv7 } from '@roomcast/core';
import { eventMarks, type EventMarks, luaScript, type Redis, type RedisKeys } from '@roomcast/redis';
import type { IngressMetrics } from './metrics.ts';
import type { Reservation, Reserved } from './rate-limit.ts';
import { withTimeout } from './timeout.ts';

/** A reservation while its publish is under way (JSON in Redis, for seconds). */
interface PendingRecord {
  state: 'pending';
  /** 96-bit digest of the payload fingerprint (`digestOf`). */
  hash: string;
  /** Tells this reservation from a later one. */
  token: string;
}

/** A published id, compact: `d:<digest>:<partition>:<offset>`. */
interface DoneRecord {
  state: 'done';
  hash: string;
  partition: number;
  sequence: number;
}

/** The first 96 bits of the payload fingerprint (event-id.ts `payloadHash`, hex), base64url: enough to tell two payloads of one id apart. */
export function digestOf(hashHex: string): string {
  return Buffer.from(hashHex.slice(0, 24), 'hex').toString('base64url');
}

function parseRecord(raw: string): PendingRecord | DoneRecord | undefined {
  if (raw.startsWith('d:')) {
    const [, hash, partition, sequence] = raw.split(':');
    if (!hash || partition === undefined || sequence === undefined) return undefined;
    return { state: 'done', hash, partition: Number(partition), sequence: Number(sequence) };
  }
  try {
    return JSON.parse(raw) as PendingRecord;
  } catch {
    return undefined;
  }
}

export interface ProducedEvent {
  id: string;
  partition: number;
  sequence: number;
}

/** A claimed event id: either a replay of an earlier publish, or new (produce, then complete or release). */
export type Claim =
  | { replayed: true; result: ProducedEvent }
  | {
      replayed: false;
      id: string;
      complete(result: ProducedEvent): Promise<void>;
      release(): Promise<void>;
      /** The caller was answered 503 but the send goes on: keep the id reserved until it settles, then complete or release. */
      settleLater(send: Promise<ProducedEvent>): void;
    };

export interface BeginInput {
  roomId: string;
  publisher: string;
  eventType: string;
  classification: string;
  /** The publisher's id, if it named one. */
  requestedId: string | undefined;
  hash: string;
}

/** KEYS[1] record; ARGV pending JSON, TTL ms. Returns the existing record, or nil once reserved. */
const RESERVE = luaScript(`
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`);

/** KEYS[1] record; ARGV[1] the exact pending JSON this process wrote. */
const RELEASE = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/** KEYS[1] record; ARGV the pending JSON, TTL ms: renews the reservation while it is still this one. */
const KEEP = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`);

export interface LedgerOptions {
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  metrics: IngressMetrics;
  /** Dedup window: lifetime of a published id's record. */
  windowMs: number;
  /** Lifetime of a cancellation mark: as long as the topic keeps the record. */
  cancelTtlMs: number;
  /** Lifetime of a reservation whose holder died before completing. */
  pendingMs?: number;
  /** How long a concurrent duplicate waits for the first one's result. */
  waitMs?: number;
  redisTimeoutMs?: number;
}

export class EventLedger {
  readonly #o: LedgerOptions;
  readonly #marks: EventMarks;

  constructor(options: LedgerOptions) {
    this.#o = options;
    this.#marks = eventMarks(options.redis, options.keys);
  }

  /**
   * The reservation of a publisher-chosen id (key and pending record), so the rate limiter can
   * make it in the same Redis call as the tokens (rate-limit.ts); undefined for generated ids.
   */
  prepare(input: BeginInput): Reservation | undefined {
    if (input.requestedId === undefined) return undefined;
    return {
      key: this.#o.keys.eventRecord(input.roomId, input.publisher, input.requestedId),
      pending: JSON.stringify({ state: 'pending', hash: digestOf(input.hash), token: uuidv7() } satisfies PendingRecord),
      ttlMs: this.#o.pendingMs ?? 30_000,
    };
  }

  /**
   * Claims the event id. `prepared` and `first` come from `prepare` and a reservation already
   * attempted with the rate-limit tokens (its answer is used instead of a first Redis call).
   */
  async begin(input: BeginInput, prepared?: Reservation, first?: Reserved): Promise<Claim> {
    const { requestedId } = input;
    if (requestedId === undefined) {
      const id = uuidv7();
      // Nothing to keep: the id cannot repeat, and status comes from the message log.
      return { replayed: false, id, complete: async () => {}, release: async () => {}, settleLater: (send) => void send.catch(() => {}) };
    }
    const { key, pending, ttlMs } = prepared ?? (this.prepare(input) as Reservation);
    const deadline = Date.now() + (this.#o.waitMs ?? 2000);
    let answer = first;
    for (;;) {
      const existing = answer ? answer.existing : ((await this.#redis(RESERVE.run(this.#o.redis, [key], [pending, ttlMs]))) as string | null | undefined);
      answer = undefined;
      // Our own pending record: a combined call that timed out here but ran in Redis reserved it.
      if (existing === null || existing === undefined || existing === pending) {
        return {
          replayed: false,
          id: requestedId,
          complete: (result) => this.#complete(key, input, result),
          release: () => this.abandon({ key, pending, ttlMs }),
          settleLater: (send) => this.#settleLater({ key, pending, ttlMs }, send, (result) => this.#complete(key, input, result)),
        };
      }
      const record = parseRecord(String(existing));
      if (record && record.hash !== digestOf(input.hash)) {
        this.#o.metrics.dedupHits.inc({ room: input.roomId, outcome: 'conflict' });
        throw new RoomcastError('publish.id_conflict', { detail: `Event id ${requestedId} was already used with a different payload`, errors: [{ pointer: '/id', message: 'already used with a different payload' }] });
      }
      if (record?.state === 'done') {
        this.#o.metrics.dedupHits.inc({ room: input.roomId, outcome: 'replayed' });
        return { replayed: true, result: { id: requestedId, partition: record.partition, sequence: record.sequence } };
      }
      if (Date.now() >= deadline) {
        this.#o.metrics.dedupHits.inc({ room: input.roomId, outcome: 'in_progress' });
        throw new RoomcastError('publish.id_in_progress', { detail: `Event id ${requestedId} is being published by another request`, headers: { 'retry-after': '1' } });
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Drops a reservation this attempt made (a failed produce, or an event refused after it was reserved), so a retry can use the id. */
  async abandon(r: Reservation): Promise<void> {
    await RELEASE.run(this.#o.redis, [r.key], [r.pending]).catch((err: unknown) => this.#o.logger.warn('event id reservation not released', { key: r.key, error: err }));
  }

  /** Keeps a reservation alive (its TTL renewed while it is still ours) until the send settles; then records or frees it. */
  #settleLater(r: Reservation, send: Promise<ProducedEvent>, complete: (result: ProducedEvent) => Promise<void>): void {
    const renew = () => void KEEP.run(this.#o.redis, [r.key], [r.pending, r.ttlMs]).catch(() => {});
    const timer = setInterval(renew, Math.max(1000, Math.floor(r.ttlMs / 2)));
    timer.unref();
    send.then(
      (result) => {
        clearInterval(timer);
        return complete(result);
      },
      () => {
        clearInterval(timer);
        return this.abandon(r);
      },
    );
  }

  /** Whether the publisher cancelled the event. */
  async isCancelled(roomId: string, publisher: string, eventId: string): Promise<boolean> {
    return this.#redis(this.#marks.isCancelled(roomId, publisher, eventId));
  }

  /** Marks a published event cancelled; the dispatcher starts no further attempt for it. */
  async cancel(roomId: string, publisher: string, eventId: string): Promise<void> {
    await this.#redis(this.#marks.cancel(roomId, publisher, eventId, this.#o.cancelTtlMs));
  }

  async #complete(key: string, input: BeginInput, result: ProducedEvent): Promise<void> {
    const record = `d:${digestOf(input.hash)}:${result.partition}:${result.sequence}`;
    try {
      await withTimeout(this.#o.redis.set(key, record, 'PX', this.#o.windowMs), this.#o.redisTimeoutMs ?? 1000);
    } catch (err) {
      // Kafka has the event: the publish succeeded. Only dedup after the reservation expires is lost for this id.
      this.#o.logger.warn('event id record not written; a replay after the reservation expires publishes again', { eventId: result.id, error: err });
    }
  }

  async #redis<T>(p: Promise<T>): Promise<T> {
    try {
      return await withTimeout(p, this.#o.redisTimeoutMs ?? 1000);
    } catch (err) {
      throw new RoomcastError('dependency.unavailable', { detail: 'Redis is unavailable; retry', cause: err, headers: { 'retry-after': '1' } });
    }
  }
}
