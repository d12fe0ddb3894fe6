/** The routing contract through real Redis: generations only move forward and reach followers fast. */
import { randomBytes } from 'node:crypto';
import { silentLogger } from '@roomcast/core';
import { createRedis, redisKeys } from '@roomcast/redis';
import { afterAll, describe, expect, it } from 'vitest';
import { infraEndpoints } from '../../../scripts/infra/config.ts';
import { EMPTY_CONTRACT, type RoutingContract } from './contract.ts';
import { followContract, loadContract, publishContract } from './store.ts';

const redis = createRedis({ url: infraEndpoints().redisUrl });
const keys = redisKeys(`t_routing_${randomBytes(4).toString('hex')}`);
const contract = (generation: number): RoutingContract => ({ ...EMPTY_CONTRACT, generation, createdAt: new Date().toISOString() });

afterAll(async () => {
  await redis.del(keys.routingContract, `${keys.routingContract}:generation`);
  await redis.quit();
});

describe('routing contract store', () => {
  it('reaches a running follower within 2 seconds and refuses stale generations', async () => {
    expect(await publishContract(redis, keys, contract(1))).toBe(true);
    const follower = await followContract({ redis, keys, logger: silentLogger, pollMs: 60_000 });
    try {
      expect(follower.current().contract.generation).toBe(1);
      const seen = new Promise<number>((resolve) => follower.onChange((next) => resolve(next.contract.generation)));
      const started = performance.now();
      expect(await publishContract(redis, keys, contract(2))).toBe(true);
      expect(await seen).toBe(2);
      expect(performance.now() - started).toBeLessThan(2000);

      expect(await publishContract(redis, keys, contract(2))).toBe(false);
      expect(await publishContract(redis, keys, contract(1))).toBe(false);
      expect((await loadContract(redis, keys)).generation).toBe(2);
    } finally {
      await follower.stop();
    }
  });

  it('starts a new follower (a restarted process) from the current generation', async () => {
    await publishContract(redis, keys, contract(5));
    const follower = await followContract({ redis, keys, logger: silentLogger });
    try {
      expect(follower.current().contract.generation).toBe(5);
    } finally {
      await follower.stop();
    }
  });
});
