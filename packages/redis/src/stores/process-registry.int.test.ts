/** The process registry against real Redis, under a prefix of this test's own, with a clock the test moves. */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { infraEndpoints } from '../../../../scripts/infra/config.ts';
import { createRedis, redisKeys } from '../redis.ts';
import { processRegistryStore } from './process-registry.ts';

const redis = createRedis({ url: infraEndpoints().redisUrl });
const keys = redisKeys(`t_procreg_${randomBytes(4).toString('hex')}`);
let now = 1_000_000;
const store = processRegistryStore(redis, keys, () => now);
const TTL = 1_000;

afterAll(async () => {
  await redis.del(keys.processes, keys.processExpiry);
  await redis.quit();
});

describe('process registry', () => {
  it('lists a process from its first heartbeat, refreshes it, and removes it on a graceful stop', async () => {
    const id = randomUUID();
    await store.beat(id, { processId: id, roles: ['ingress'], n: 1 }, TTL);
    expect(await store.live()).toEqual([{ id, entry: { processId: id, roles: ['ingress'], n: 1 }, expiresAt: now + TTL }]);
    now += 800;
    await store.beat(id, { processId: id, roles: ['ingress'], n: 2 }, TTL);
    now += 800;
    // 1.6 s after the first heartbeat, 0.8 s after the second: still live, with the newer entry.
    expect((await store.live()).map((e) => e.entry)).toEqual([{ processId: id, roles: ['ingress'], n: 2 }]);
    await store.remove(id);
    expect(await store.live()).toEqual([]);
    expect(await redis.exists(keys.processes, keys.processExpiry)).toBe(0);
  });

  it('drops a process whose heartbeats stopped (killed) once its TTL has passed', async () => {
    const killed = randomUUID();
    const alive = randomUUID();
    await store.beat(killed, { processId: killed }, TTL);
    await store.beat(alive, { processId: alive }, TTL);
    now += TTL - 1;
    await store.beat(alive, { processId: alive }, TTL);
    expect((await store.live()).map((e) => e.id).sort()).toEqual([alive, killed].sort());
    now += 2;
    expect((await store.live()).map((e) => e.id)).toEqual([alive]);
    expect(await redis.hlen(keys.processes)).toBe(1);
    expect(await redis.zcard(keys.processExpiry)).toBe(1);
    await store.remove(alive);
  });

  it('holds only live processes however often processes restart without stopping', async () => {
    // Three services, each killed and restarted 100 times (a new process id per start), one heartbeat each.
    for (let restart = 0; restart < 100; restart++) {
      for (let s = 0; s < 3; s++) await store.beat(randomUUID(), { processId: 'x', restart, s }, TTL);
      now += TTL + 1;
    }
    const survivors = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of survivors) await store.beat(id, { processId: id }, TTL);
    // Every write prunes: the keys hold the three live processes, not the 300 dead ones.
    expect(await redis.hlen(keys.processes)).toBe(3);
    expect(await redis.zcard(keys.processExpiry)).toBe(3);
    expect((await store.live()).map((e) => e.id).sort()).toEqual([...survivors].sort());
    // And the keys themselves expire when no process is left to heartbeat.
    const ttl = await redis.pttl(keys.processes);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(TTL * 4);
  });
});
