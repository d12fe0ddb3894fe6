/**
 * A pull subscription's shared queue in Redis: a bounded window of its Kafka records, with
 * leases. Every pull process reads and writes the same keys, so any process serves any request;
 * the Kafka consumer group member that owns a partition feeds it (feeder.ts). The scripts and the
 * state diagram are in queue-scripts.ts.
 *
 * Keys under `keys.pullQueue(subscriptionId)`:
 *   data, info, dc, lease, ids, deadwhy   hashes by entry (ids: event id → entry)
 *   ready:u, ready:n                      sorted by feed order; the urgent lane is drained first
 *   leases, delayed, dead                 sorted by lease expiry / availability / claim expiry
 *   age                                   sorted by publish time (oldest unacknowledged)
 *   heads, fifo:<key>                     FIFO: the key's head entry, and the entries behind it
 *   pending:<lane><p>, acked:<lane><p>    offsets fed and not finished / finished, not committed
 *   seq                                   feed counter
 *
 * A receipt is `<tag>.<entry>.<deliveryCount>.<token>`: the tag ties it to its subscription, the
 * delivery count and random token to one hand-out.
 */
import { createHash, randomBytes } from 'node:crypto';
import { dropPullQueue, luaScript, type Redis, type RedisKeys } from '@roomcast/redis';
import { CLAIM_DEAD, CONFIRM, FEED, FINISH, LEASE, PURGE_BELOW, SETTLE, SWEEP } from './queue-scripts.ts';

const scripts = {
  feed: luaScript(FEED),
  lease: luaScript(LEASE),
  settle: luaScript(SETTLE),
  confirm: luaScript(CONFIRM),
  sweep: luaScript(SWEEP),
  claimDead: luaScript(CLAIM_DEAD),
  finish: luaScript(FINISH),
  purgeBelow: luaScript(PURGE_BELOW),
};

export type Lane = 'u' | 'n';

export function entryId(lane: Lane, partition: number, offset: string): string {
  return `${lane}${partition}:${offset}`;
}

export function parseEntry(entry: string): { lane: Lane; partition: number; offset: string } | undefined {
  const m = /^([un])(\d{1,6}):(\d{1,20})$/.exec(entry);
  return m ? { lane: m[1] as Lane, partition: Number(m[2]), offset: m[3] as string } : undefined;
}

/** One record fed into the queue. `blob` is what the hand-out needs (pull-item.ts). */
export interface QueueRecord {
  entry: string;
  publishedMs: number;
  eventId: string;
  /** FIFO key ('' when none). */
  key: string;
  blob: string;
}

export interface LeasedEntry {
  entry: string;
  deliveryCount: number;
  blob: string;
  receipt: string;
  expiresAt: number;
}

export interface DeadEntry {
  entry: string;
  reason: string;
  blob: string | null;
}

export type SettleOutcome = 'ok' | 'expired' | 'not_held';
export interface SettleResult {
  outcome: SettleOutcome;
  /** extend: the new lease expiry. */
  expiresAt?: number;
  /** A settled lease (outcome ok): its event, how many times it had been handed out, when it was published (ms). */
  eventId?: string;
  deliveryCount?: number;
  publishedMs?: number;
}

/** A lease that ran out before it was settled: the event goes back to ready. */
export interface ExpiredLease {
  eventId: string;
  deliveryCount: number;
  publishedMs: number;
}

type RawExpired = [string, string, string][];
const expiredOf = (raw: RawExpired): ExpiredLease[] => raw.map(([eventId, dc, published]) => ({ eventId, deliveryCount: Number(dc), publishedMs: Number(published) }));

export interface QueueStats {
  /** Events in the buffer: ready, leased, delayed, waiting behind a FIFO head or being dead-lettered. */
  depth: number;
  ready: number;
  leased: number;
  delayed: number;
  /** Publish time (ms) of the oldest unacknowledged event in the buffer. */
  oldestMs: number | undefined;
}

export interface LeaseRequest {
  now: number;
  max: number;
  leaseMs: number;
  maxDeliveries: number;
  ttlMs: number;
  /** How long a claim on a dead entry lasts before another process may dead-letter it. */
  deadClaimMs: number;
}

export interface LeaseResult {
  expired: ExpiredLease[];
  items: LeasedEntry[];
  dead: DeadEntry[];
  /** When nothing was handed out: the earliest moment a lease or delay ends. */
  nextAt: number | undefined;
}

type Triple = [string, string, string | null];

export class PullStore {
  readonly redis: Redis;
  readonly #keys: RedisKeys;

  constructor(redis: Redis, keys: RedisKeys) {
    this.redis = redis;
    this.#keys = keys;
  }

  #base(sub: string): string {
    return this.#keys.pullQueue(sub);
  }

  static tag(sub: string): string {
    return createHash('sha256').update(sub).digest('hex').slice(0, 8);
  }

  async feed(sub: string, records: QueueRecord[], o: { bufferMax: number; fifo: boolean }): Promise<{ consumed: number; fed: number }> {
    const args: Array<string | number> = [o.bufferMax, o.fifo ? 1 : 0];
    for (const r of records) args.push(r.entry, r.publishedMs, r.eventId, r.key, r.blob);
    const [consumed, fed] = (await scripts.feed.run(this.redis, [this.#base(sub)], args)) as [number, number];
    if (fed > 0) await this.wake(sub);
    return { consumed, fed };
  }

  async lease(sub: string, r: LeaseRequest): Promise<LeaseResult> {
    const token = randomBytes(9).toString('base64url');
    const raw = (await scripts.lease.run(this.redis, [this.#base(sub)], [r.now, r.max, r.leaseMs, token, r.maxDeliveries, r.ttlMs, r.deadClaimMs])) as [
      RawExpired,
      Triple[],
      Triple[],
      string,
    ];
    const tag = PullStore.tag(sub);
    const expiresAt = r.now + r.leaseMs;
    return {
      expired: expiredOf(raw[0]),
      items: raw[1].map(([entry, dc, blob]) => ({ entry, deliveryCount: Number(dc), blob: blob ?? '', receipt: `${tag}.${entry}.${dc}.${token}`, expiresAt })),
      dead: raw[2].map(([entry, reason, blob]) => ({ entry, reason, blob })),
      nextAt: raw[3] === '' ? undefined : Number(raw[3]),
    };
  }

  /** Acks, nacks (param: delay ms) or extends (param: lease ms) leases named by receipts, in order. */
  async settle(sub: string, op: 'ack' | 'nack' | 'extend', receipts: string[], param: number, now: number): Promise<{ results: SettleResult[]; expired: ExpiredLease[] }> {
    const tag = PullStore.tag(sub);
    const parsed = receipts.map((r) => {
      const parts = r.split('.');
      return parts.length === 4 && parts[0] === tag && parseEntry(parts[1] as string) && /^\d+$/.test(parts[2] as string) ? parts.slice(1) : undefined;
    });
    const args: Array<string | number> = [now, op, param];
    for (const p of parsed) if (p) args.push(...p);
    const valid = parsed.some(Boolean);
    type Raw = [[string, string, string, string][], number, RawExpired];
    const raw: Raw = valid ? ((await scripts.settle.run(this.redis, [this.#base(sub)], args)) as Raw) : [[], 0, []];
    const [settled, released, expired] = raw;
    if (released > 0) await this.wake(sub);
    let i = 0;
    const results = parsed.map((p): SettleResult => {
      if (!p) return { outcome: 'not_held' };
      const [outcome, at, eventId, published] = settled[i++] ?? ['not_held', '', '', ''];
      const r: SettleResult = { outcome: outcome as SettleOutcome };
      if (outcome !== 'ok') return r;
      if (op === 'extend') r.expiresAt = Number(at);
      if (eventId) Object.assign(r, { eventId, deliveryCount: Number(p[1]), publishedMs: Number(published) });
      return r;
    });
    return { results, expired: expiredOf(expired) };
  }

  /** GovStack confirm: finishes the event if it is leased now. */
  async confirm(sub: string, eventId: string, now: number): Promise<{ outcome: 'ok' | 'unknown' | 'not_leased'; expired: ExpiredLease[]; deliveryCount: number; publishedMs: number }> {
    const [outcome, released, expired, dc, published] = (await scripts.confirm.run(this.redis, [this.#base(sub)], [now, eventId])) as ['ok' | 'unknown' | 'not_leased', number, RawExpired, string?, string?];
    if (released > 0) await this.wake(sub);
    return { outcome, expired: expiredOf(expired), deliveryCount: Number(dc ?? 1), publishedMs: Number(published) };
  }

  /** Expired leases and due delays become ready again; wakes waiting pullers when some did. */
  async sweep(sub: string, now: number): Promise<{ expired: ExpiredLease[]; promoted: number }> {
    const [expired, promoted] = (await scripts.sweep.run(this.redis, [this.#base(sub)], [now])) as [RawExpired, number];
    if (expired.length + promoted > 0) await this.wake(sub);
    return { expired: expiredOf(expired), promoted };
  }

  async claimDead(sub: string, now: number, claimMs: number, n: number): Promise<DeadEntry[]> {
    const raw = (await scripts.claimDead.run(this.redis, [this.#base(sub)], [now, claimMs, n])) as Triple[];
    return raw.map(([entry, reason, blob]) => ({ entry, reason, blob }));
  }

  async finish(sub: string, entries: string[]): Promise<void> {
    if (entries.length === 0) return;
    const released = (await scripts.finish.run(this.redis, [this.#base(sub)], entries)) as number;
    if (released > 0) await this.wake(sub);
  }

  async purgeBelow(sub: string, lane: Lane, partition: number, offset: string): Promise<number> {
    return (await scripts.purgeBelow.run(this.redis, [this.#base(sub)], [lane, partition, offset])) as number;
  }

  /** The lowest offset of the partition still in the queue (fed, not finished). */
  async lowestPending(sub: string, lane: Lane, partition: number): Promise<bigint | undefined> {
    const first = await this.redis.zrange(`${this.#base(sub)}pending:${lane}${partition}`, 0, 0);
    return first[0] === undefined ? undefined : BigInt(first[0]);
  }

  /** Drops tombstones below a committed offset: a new owner starts at it and never re-feeds them. */
  async trimAcked(sub: string, lane: Lane, partition: number, committed: bigint): Promise<void> {
    await this.redis.zremrangebyscore(`${this.#base(sub)}acked:${lane}${partition}`, '-inf', `(${committed}`);
  }

  async stats(sub: string): Promise<QueueStats> {
    const b = this.#base(sub);
    const r = await this.redis
      .multi()
      .hlen(`${b}data`)
      .zcard(`${b}ready:u`)
      .zcard(`${b}ready:n`)
      .zcard(`${b}leases`)
      .zcard(`${b}delayed`)
      .zrange(`${b}age`, 0, 0, 'WITHSCORES')
      .exec();
    const v = (i: number) => r?.[i]?.[1];
    const oldest = v(5) as string[] | undefined;
    return {
      depth: Number(v(0) ?? 0),
      ready: Number(v(1) ?? 0) + Number(v(2) ?? 0),
      leased: Number(v(3) ?? 0),
      delayed: Number(v(4) ?? 0),
      oldestMs: oldest?.[1] === undefined ? undefined : Number(oldest[1]),
    };
  }

  /** Deletes the whole queue (the subscription was deleted). */
  async drop(sub: string): Promise<void> {
    await dropPullQueue(this.redis, this.#keys, sub);
  }

  async wake(sub: string): Promise<void> {
    await this.redis.publish(this.#keys.pullWake, sub);
  }
}
