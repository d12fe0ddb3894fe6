/** The routing contract through real Redis: generations only move forward and reach followers fast. */
import { randomBytes } from 'node:crypto';
import { silentLogger } from '@roomcast/core';
import { createRedis, redisKeys } from '@roomcast/redis';
import { afterAll, describe, expect, it } from 'vitest';
import { infraEndpoints } from '../../../scripts/infra/config.ts';
import { EMPTY_CONTRACT, type RoutingContract } from './contract.ts';
import { contractKeys, ContractSignatureError } from './signing.ts';
import { ContractShapeError, followContract, loadContract, publishContract } from './store.ts';

const redis = createRedis({ url: infraEndpoints().redisUrl });
const keys = redisKeys(`t_routing_${randomBytes(4).toString('hex')}`);
const signing = contractKeys(randomBytes(32));
const contract = (generation: number): RoutingContract => ({ ...EMPTY_CONTRACT, generation, createdAt: new Date().toISOString() });

afterAll(async () => {
  await redis.del(keys.routingContract, `${keys.routingContract}:generation`);
  await redis.quit();
});

describe('routing contract store', () => {
  it('reaches a running follower within 2 seconds and refuses stale generations', async () => {
    expect(await publishContract(redis, keys, signing, contract(1))).toBe(true);
    const follower = await followContract({ redis, keys, signing, logger: silentLogger, pollMs: 60_000 });
    try {
      expect(follower.current().contract.generation).toBe(1);
      const seen = new Promise<number>((resolve) => follower.onChange((next) => resolve(next.contract.generation)));
      const started = performance.now();
      expect(await publishContract(redis, keys, signing, contract(2))).toBe(true);
      expect(await seen).toBe(2);
      expect(performance.now() - started).toBeLessThan(2000);

      expect(await publishContract(redis, keys, signing, contract(2))).toBe(false);
      expect(await publishContract(redis, keys, signing, contract(1))).toBe(false);
      expect((await loadContract(redis, keys, signing)).generation).toBe(2);
    } finally {
      await follower.stop();
    }
  });

  it('starts a new follower (a restarted process) from the current generation', async () => {
    await publishContract(redis, keys, signing, contract(5));
    const follower = await followContract({ redis, keys, signing, logger: silentLogger });
    try {
      expect(follower.current().contract.generation).toBe(5);
    } finally {
      await follower.stop();
    }
  });

  it('refuses a contract written to Redis without the key, keeping the current one', async () => {
    await publishContract(redis, keys, signing, contract(7));
    let refused = 0;
    const follower = await followContract({ redis, keys, signing, logger: silentLogger, pollMs: 60_000, onRefused: () => refused++ });
    try {
      // An attacker with Redis access writes a newer generation granting a key of its own.
      const forged = { ...contract(8), principals: [{ keyHash: 'a'.repeat(64), role: 'GLOBAL_ADMIN' as const }] };
      const generationKey = `${keys.routingContract}:generation`;
      for (const text of [JSON.stringify(forged), contractKeys(randomBytes(32)).sign(JSON.stringify(forged)), signing.sign(JSON.stringify(contract(8))).replace('"generation":8', '"generation":9')]) {
        await redis.set(keys.routingContract, text);
        await redis.set(generationKey, '9');
        await redis.publish(keys.routingChannel, '9');
        await expect(loadContract(redis, keys, signing)).rejects.toBeInstanceOf(ContractSignatureError);
      }
      await expect.poll(() => refused, { timeout: 3000 }).toBeGreaterThanOrEqual(3);
      expect(follower.current().contract.generation).toBe(7);
      expect(follower.current().principal('a'.repeat(64))).toBeUndefined();
      // A restarted process does not route with it either.
      const fresh = await followContract({ redis, keys, signing, logger: silentLogger, pollMs: 60_000 });
      expect(fresh.current().contract.generation).toBe(0);
      await fresh.stop();
      // The control plane's next publish replaces the forgery, whatever generation it claimed.
      expect(await publishContract(redis, keys, signing, contract(8))).toBe(true);
      await expect.poll(() => follower.current().contract.generation, { timeout: 3000 }).toBe(8);
    } finally {
      await follower.stop();
    }
  });

  it('refuses a signed contract of the wrong shape, and drops fields it does not know from a good one', async () => {
    await publishContract(redis, keys, signing, contract(20));
    let refused = 0;
    const follower = await followContract({ redis, keys, signing, logger: silentLogger, pollMs: 60_000, onRefused: () => refused++ });
    try {
      // Signed with the routing key but not what the schema describes: refused, the current one kept.
      const bad = { ...contract(21), rooms: [{ id: 'r1', address: { instance: 'DEV' } }] };
      await redis.set(keys.routingContract, signing.sign(JSON.stringify(bad)));
      await redis.publish(keys.routingChannel, '21');
      await expect(loadContract(redis, keys, signing)).rejects.toBeInstanceOf(ContractShapeError);
      await expect.poll(() => refused, { timeout: 3000 }).toBeGreaterThanOrEqual(1);
      expect(follower.current().contract.generation).toBe(20);
      // A newer control plane's extra field (a rolling upgrade) does not stop the contract: it is dropped.
      const newer = { ...contract(22), futureField: { x: 1 } };
      await redis.set(keys.routingContract, signing.sign(JSON.stringify(newer)));
      await redis.publish(keys.routingChannel, '22');
      await expect.poll(() => follower.current().contract.generation, { timeout: 3000 }).toBe(22);
      expect('futureField' in follower.current().contract).toBe(false);
      // The writer checks exactly: it never publishes a field the schema does not describe.
      await expect(publishContract(redis, keys, signing, { ...contract(23), futureField: 1 } as RoutingContract)).rejects.toBeInstanceOf(ContractShapeError);
    } finally {
      await follower.stop();
    }
  });

  it('reaches the last of many generations published back to back, without waiting for the poll', async () => {
    await publishContract(redis, keys, signing, contract(100));
    const follower = await followContract({ redis, keys, signing, logger: silentLogger, pollMs: 60_000 });
    try {
      // Announcements that arrive while a reload is in flight must not be lost with it.
      // Each round publishes one after another, so announcements keep arriving during reloads.
      for (let round = 0; round < 20; round++) {
        const first = 101 + round * 10;
        for (let g = first; g < first + 10; g++) await publishContract(redis, keys, signing, contract(g));
        await follower.waitFor(first + 9, 1500);
      }
    } finally {
      await follower.stop();
    }
  });
});
