/**
 * The pull queue's scripts against a real Redis, with an injected clock: leases and their expiry,
 * ack/nack/extend outcomes, FIFO heads, urgent lane first, dedup on re-feed, the bounded buffer,
 * TTL and delivery-limit dead-lettering, the commit point and purging below a committed offset.
 */
import { randomBytes } from 'node:crypto';
import { createRedis, type Redis, redisKeys } from '@roomcast/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraEndpoints } from '../../../../scripts/infra/config.ts';
import { entryId, PullStore, type QueueRecord } from './queue-store.ts';

let redis: Redis;
let store: PullStore;
const prefix = `t_pq_${randomBytes(4).toString('hex')}`;
let n = 0;
const newSub = () => `sub-${++n}`;
const T0 = 1_800_000_000_000;

function rec(lane: 'u' | 'n', partition: number, offset: number, key = '', publishedMs = T0): QueueRecord {
  return { entry: entryId(lane, partition, String(offset)), publishedMs, eventId: `00000000-0000-4000-8000-${String(offset).padStart(12, '0')}`, key, blob: `blob-${lane}${partition}-${offset}` };
}

const lease = (sub: string, now: number, max = 10, o: Partial<{ leaseMs: number; maxDeliveries: number; ttlMs: number }> = {}) =>
  store.lease(sub, { now, max, leaseMs: o.leaseMs ?? 10_000, maxDeliveries: o.maxDeliveries ?? 50, ttlMs: o.ttlMs ?? 0, deadClaimMs: 30_000 });

beforeAll(() => {
  redis = createRedis({ url: infraEndpoints().redisUrl });
  store = new PullStore(redis, redisKeys(prefix));
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('pull queue', () => {
  it('hands each event to one lease at a time, again after the lease expires, and never after an ack', async () => {
    const sub = newSub();
    await store.feed(sub, [rec('n', 0, 1), rec('n', 0, 2)], { bufferMax: 100, fifo: false });
    const first = await lease(sub, T0, 10);
    expect(first.items.map((i) => i.blob)).toEqual(['blob-n0-1', 'blob-n0-2']);
    expect((await lease(sub, T0 + 1000)).items).toEqual([]);
    // The first is acked; the second's lease runs out and it is handed out again.
    const acked = await store.settle(sub, 'ack', [first.items[0]?.receipt as string], 0, T0 + 2000);
    // An ack answers the event it finished (for the event status) and how often it was handed out.
    expect(acked.results).toEqual([{ outcome: 'ok', eventId: '00000000-0000-4000-8000-000000000001', deliveryCount: 1, publishedMs: T0 }]);
    const again = await lease(sub, T0 + 10_001);
    // The lapsed lease is named (the message log records it as lease-expired).
    expect(again.expired).toEqual([{ eventId: '00000000-0000-4000-8000-000000000002', deliveryCount: 1, publishedMs: T0 }]);
    expect(again.items.map((i) => [i.blob, i.deliveryCount])).toEqual([['blob-n0-2', 2]]);
    // The old receipt is refused as expired; a forged one is not held.
    const late = await store.settle(sub, 'ack', [first.items[1]?.receipt as string, 'nonsense', `${PullStore.tag('other')}.n0:2.2.x`], 0, T0 + 10_002);
    expect(late.results.map((r) => r.outcome)).toEqual(['expired', 'not_held', 'not_held']);
    // The current holder acks; acking twice is refused.
    const receipt = again.items[0]?.receipt as string;
    expect((await store.settle(sub, 'ack', [receipt], 0, T0 + 10_003)).results[0]?.outcome).toBe('ok');
    expect((await store.settle(sub, 'ack', [receipt], 0, T0 + 10_004)).results[0]?.outcome).toBe('not_held');
    expect((await store.stats(sub)).depth).toBe(0);
  });

  it('refuses an ack after expiry even before anyone leased the event again', async () => {
    const sub = newSub();
    await store.feed(sub, [rec('n', 0, 1)], { bufferMax: 100, fifo: false });
    const [item] = (await lease(sub, T0, 1, { leaseMs: 1000 })).items;
    expect((await store.settle(sub, 'ack', [item?.receipt as string], 0, T0 + 1001)).results[0]?.outcome).toBe('expired');
    expect((await lease(sub, T0 + 1002)).items).toHaveLength(1);
  });

  it('nacks (at once or after a delay) and extends leases', async () => {
    const sub = newSub();
    await store.feed(sub, [rec('n', 0, 1), rec('n', 0, 2)], { bufferMax: 100, fifo: false });
    const [a, b] = (await lease(sub, T0, 2, { leaseMs: 5000 })).items;
    const nacked = await store.settle(sub, 'nack', [a?.receipt as string], 0, T0 + 10);
    expect(nacked.results).toEqual([{ outcome: 'ok', eventId: '00000000-0000-4000-8000-000000000001', deliveryCount: 1, publishedMs: T0 }]);
    await store.settle(sub, 'nack', [b?.receipt as string], 3000, T0 + 10);
    const now = await lease(sub, T0 + 20);
    expect(now.items.map((i) => i.blob)).toEqual(['blob-n0-1']);
    const ext = await store.settle(sub, 'extend', [now.items[0]?.receipt as string], 60_000, T0 + 4000);
    expect(ext.results[0]).toEqual({ outcome: 'ok', expiresAt: T0 + 64_000, eventId: '00000000-0000-4000-8000-000000000001', deliveryCount: 2, publishedMs: T0 });
    // After the delay only the delayed one comes back; the extended lease still holds.
    const later = await lease(sub, T0 + 30_000);
    expect(later.items.map((i) => i.blob)).toEqual(['blob-n0-2']);
    expect((await lease(sub, T0 + 30_001)).nextAt).toBe(T0 + 40_000);
  });

  it('hands out the urgent lane first', async () => {
    const sub = newSub();
    await store.feed(sub, [rec('n', 0, 1), rec('n', 0, 2)], { bufferMax: 100, fifo: false });
    await store.feed(sub, [rec('u', 1, 7)], { bufferMax: 100, fifo: false });
    expect((await lease(sub, T0, 3)).items.map((i) => i.blob)).toEqual(['blob-u1-7', 'blob-n0-1', 'blob-n0-2']);
  });

  it('FIFO: only the head of each key is out until it is acked; nack and expiry keep it the head', async () => {
    const sub = newSub();
    await store.feed(sub, [rec('n', 0, 1, 'k1'), rec('n', 0, 2, 'k1'), rec('n', 0, 3, 'k2'), rec('n', 0, 4, 'k1')], { bufferMax: 100, fifo: true });
    const first = await lease(sub, T0, 10, { leaseMs: 1000 });
    expect(first.items.map((i) => i.blob)).toEqual(['blob-n0-1', 'blob-n0-3']);
    const again = await lease(sub, T0 + 1001, 10);
    expect(again.items.map((i) => i.blob)).toEqual(['blob-n0-1', 'blob-n0-3']);
    await store.settle(sub, 'ack', [again.items[0]?.receipt as string], 0, T0 + 1002);
    const next = await lease(sub, T0 + 1003, 10);
    expect(next.items.map((i) => i.blob)).toEqual(['blob-n0-2']);
    await store.settle(sub, 'ack', [next.items[0]?.receipt as string], 0, T0 + 1004);
    expect((await lease(sub, T0 + 1005, 10)).items.map((i) => i.blob)).toEqual(['blob-n0-4']);
  });

  it('skips records it holds or finished (re-feed after a rebalance) and stops at the buffer bound', async () => {
    const sub = newSub();
    await store.feed(sub, [rec('n', 0, 1), rec('n', 0, 2)], { bufferMax: 3, fifo: false });
    const [one] = (await lease(sub, T0, 1)).items;
    await store.settle(sub, 'ack', [one?.receipt as string], 0, T0 + 1);
    const refeed = await store.feed(sub, [rec('n', 0, 1), rec('n', 0, 2), rec('n', 0, 3), rec('n', 0, 4), rec('n', 0, 5)], { bufferMax: 3, fifo: false });
    expect(refeed).toEqual({ consumed: 4, fed: 2 });
    expect((await store.stats(sub)).depth).toBe(3);
  });

  it('dead-letters past the TTL or the delivery limit, and finishes them', async () => {
    const sub = newSub();
    await store.feed(sub, [rec('n', 0, 1, '', T0 - 60_000), rec('n', 0, 2)], { bufferMax: 100, fifo: false });
    const r = await lease(sub, T0, 10, { ttlMs: 30_000, maxDeliveries: 1, leaseMs: 1000 });
    expect(r.dead.map((d) => [d.entry, d.reason])).toEqual([['n0:1', 'ttl_expired']]);
    expect(r.items.map((i) => i.entry)).toEqual(['n0:2']);
    const r2 = await lease(sub, T0 + 1001, 10, { ttlMs: 30_000, maxDeliveries: 1 });
    expect(r2.dead.map((d) => [d.entry, d.reason])).toEqual([['n0:2', 'delivery_limit']]);
    // Claimed: nobody else dead-letters them until the claim lapses.
    expect(await store.claimDead(sub, T0 + 2000, 30_000, 10)).toEqual([]);
    expect((await store.claimDead(sub, T0 + 40_000, 30_000, 10)).map((d) => d.entry)).toEqual(['n0:1', 'n0:2']);
    await store.finish(sub, ['n0:1', 'n0:2']);
    expect((await store.stats(sub)).depth).toBe(0);
    expect(await store.lowestPending(sub, 'n', 0)).toBeUndefined();
  });

  it('tracks the lowest unfinished offset per partition, confirms by event id, and purges below a committed offset', async () => {
    const sub = newSub();
    await store.feed(sub, [rec('n', 1, 10), rec('n', 1, 11), rec('n', 1, 12)], { bufferMax: 100, fifo: false });
    expect(await store.lowestPending(sub, 'n', 1)).toBe(10n);
    const items = (await lease(sub, T0, 1)).items;
    expect((await store.confirm(sub, rec('n', 1, 11).eventId, T0 + 1)).outcome).toBe('not_leased');
    expect((await store.confirm(sub, rec('n', 1, 10).eventId, T0 + 1)).outcome).toBe('ok');
    expect((await store.confirm(sub, rec('n', 1, 10).eventId, T0 + 2)).outcome).toBe('unknown');
    expect(items).toHaveLength(1);
    expect(await store.lowestPending(sub, 'n', 1)).toBe(11n);
    expect(await store.purgeBelow(sub, 'n', 1, '12')).toBe(1);
    expect(await store.lowestPending(sub, 'n', 1)).toBe(12n);
    await store.drop(sub);
    expect(await redis.keys(`${prefix}:pull:{${sub}}:*`)).toEqual([]);
  });
});
