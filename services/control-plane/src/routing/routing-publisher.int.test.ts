/**
 * The routing publisher against real PostgreSQL and Redis, in a schema and Redis prefix of this
 * test's own: concurrent republishes share builds, and the generation each caller is answered
 * carries its change. Every contract published is recorded as it is written, so a caller's
 * generation is checked itself, not a later one that would carry the change anyway.
 */
import { randomBytes } from 'node:crypto';
import { newId, silentLogger } from '@roomcast/core';
import { createDb, dropSchema, migrate, type PrismaClient } from '@roomcast/db';
import { kafkaNames } from '@roomcast/kafka';
import { createRedis, type Redis, redisKeys } from '@roomcast/redis';
import { contractKeys, followContract, loadContract, type RoutingContract } from '@roomcast/routing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infraEndpoints } from '../../../../scripts/infra/config.ts';
import { routingPublisher } from './routing-publisher.ts';

const { databaseUrl, redisUrl } = infraEndpoints();
const prefix = `t_cp_routing_${randomBytes(4).toString('hex')}`;
const keys = redisKeys(prefix);
const signing = contractKeys(randomBytes(32));
let db: PrismaClient;
let redis: Redis;

/** Every contract published through `client`, by generation; `failNext` makes the next publish fail. */
function recording(client: Redis) {
  const published = new Map<number, RoutingContract>();
  const control = { published, failNext: false };
  const redis = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'eval') return Reflect.get(target, prop, receiver);
      return async (...args: unknown[]) => {
        if (control.failNext) {
          control.failNext = false;
          throw new Error('redis refused the publish');
        }
        const stored = await (target.eval as (...a: unknown[]) => Promise<unknown>)(...args);
        // Builds of one publisher run one at a time, so what is stored now is this build's contract.
        const contract = await loadContract(target, keys, signing);
        published.set(contract.generation, contract);
        return stored;
      };
    },
  });
  return { redis, control };
}

const generationsSince = (id: number) => db.routingGeneration.findMany({ where: { id: { gt: id } }, orderBy: { id: 'asc' } });
const latestGeneration = async () => (await db.routingGeneration.findFirst({ orderBy: { id: 'desc' } }))?.id ?? 0;

beforeAll(async () => {
  await migrate({ databaseUrl, schema: prefix });
  db = createDb({ databaseUrl, schema: prefix });
  redis = createRedis({ url: redisUrl });
});

afterAll(async () => {
  await db?.$disconnect();
  const stored = await redis.keys(`${prefix}:*`);
  if (stored.length > 0) await redis.del(...stored);
  await redis.quit();
  await dropSchema(databaseUrl, prefix);
});

describe('routing publisher', () => {
  it('publishes 20 concurrent changes in fewer than 20 generations, each caller’s generation carrying its change', async () => {
    const { redis: publishing, control } = recording(redis);
    const publisher = routingPublisher(db, kafkaNames(prefix), publishing, keys, signing, silentLogger);
    const follower = await followContract({ redis, keys, signing, logger: silentLogger, pollMs: 60_000 });
    try {
      const before = await latestGeneration();
      const patterns = Array.from({ length: 20 }, (_, i) => `hooks-${i}.coalesce.example`);
      const answers = await Promise.all(
        patterns.map((pattern) =>
          publisher.changeAndRepublish(`endpoint allowlist: ${pattern} added`, () => db.endpointAllowlist.create({ data: { id: newId('alw'), pattern, createdBy: 'test' } })),
        ),
      );

      const generations = answers.map((a) => a.generation);
      const distinct = [...new Set(generations)];
      expect(distinct.length).toBeLessThan(patterns.length);
      // One generation row per build, and nothing else published.
      const rows = await generationsSince(before);
      expect(rows.map((r) => r.id)).toEqual(distinct.sort((a, b) => a - b));
      expect([...control.published.keys()].sort((a, b) => a - b)).toEqual(rows.map((r) => r.id));
      for (const [i, pattern] of patterns.entries()) {
        const generation = generations[i] as number;
        expect(control.published.get(generation)?.endpointAllowlist, `${pattern} in generation ${generation}`).toContain(pattern);
        // What callers rely on: the data plane, once it holds that generation, has the change.
        expect((await follower.waitFor(generation)).contract.endpointAllowlist).toContain(pattern);
      }
      // A shared build records the reasons of its callers, joined and kept short.
      for (const row of rows.filter((r) => generations.filter((g) => g === r.id).length > 1)) {
        expect(row.reason).toMatch(/^endpoint allowlist: hooks-\d+\.coalesce\.example added; /);
        expect(row.reason.length).toBeLessThanOrEqual(200);
      }
    } finally {
      await follower.stop();
    }
  });

  it('rejects only the callers of a failed build; the next build still publishes for its own', async () => {
    const { redis: publishing, control } = recording(redis);
    const publisher = routingPublisher(db, kafkaNames(prefix), publishing, keys, signing, silentLogger);
    const before = await latestGeneration();
    control.failNext = true;
    // The first starts a build at once; the other two arrive while it runs and share the next.
    const first = publisher.republish('first');
    const later = [publisher.republish('second'), publisher.republish('third')];
    await expect(first).rejects.toThrow('redis refused the publish');
    const [second, third] = await Promise.all(later);
    expect(second).toBe(third);
    // The failed build's generation row rolled back with its transaction.
    const rows = await generationsSince(before);
    expect(rows.map((r) => [r.id, r.reason])).toEqual([[second, 'second; third']]);
    expect(control.published.get(second as number)?.generation).toBe(second);
    expect((await loadContract(redis, keys, signing)).generation).toBe(second);
  });
});
