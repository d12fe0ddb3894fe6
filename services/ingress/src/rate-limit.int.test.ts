/**
 * Leased rate-limit tokens against the real Redis: publishes with generated ids take their
 * token from a block leased by the process, so a busy publisher costs a Redis call per block,
 * not per event; a slow one leases about what it spends; and two processes sharing the buckets
 * never admit more than the limit between them.
 */
import { randomBytes } from 'node:crypto';
import { createLogger, RoomcastError } from '@roomcast/core';
import { createRedis, redisKeys, type ScriptClient } from '@roomcast/redis';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { infraEndpoints } from '../../../scripts/infra/config.ts';
import { IngressMetrics } from './metrics.ts';
import { LEASE_MS, RateLimiter } from './rate-limit.ts';

const redis = createRedis({ url: infraEndpoints().redisUrl });
const prefix = `t_lease_${randomBytes(4).toString('hex')}`;

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

/** The real client, counting script calls and the tokens they asked for (ARGV[1] of TAKE). */
function counted(): ScriptClient & { calls: number; asked: number } {
  const c = {
    calls: 0,
    asked: 0,
    evalsha: (sha: string, numKeys: number, ...args: string[]) => {
      c.calls++;
      c.asked += Number(args[numKeys]);
      return redis.evalsha(sha, numKeys, ...args);
    },
    eval: (script: string, numKeys: number, ...args: string[]) => redis.eval(script, numKeys, ...args),
  };
  return c;
}

function limiter(client: ScriptClient, tag: string, ratePerSec: number, burst: number) {
  return new RateLimiter({
    redis: client,
    keys: redisKeys(`${prefix}_${tag}`),
    settings: { publisher: { ratePerSec, burst }, room: { ratePerSec: 0, burst: 1 } },
    logger: createLogger({ level: 'silent' }),
    metrics: new IngressMetrics(new Registry()),
  });
}

async function admitted(l: RateLimiter, attempts: number): Promise<number> {
  const outcomes = await Promise.all(
    Array.from({ length: attempts }, () =>
      l.take('DEV/GOV/MOH/app', 'room-1').then(
        () => 1,
        (err: unknown) => {
          if (!(err instanceof RoomcastError) || err.code !== 'publish.rate_limited') throw err;
          return 0;
        },
      ),
    ),
  );
  return outcomes.reduce<number>((a, b) => a + b, 0);
}

describe('leased rate-limit tokens', () => {
  it('costs a Redis call per block for a busy publisher, not one per event', async () => {
    const client = counted();
    const l = limiter(client, 'busy', 10_000, 20_000);
    let ok = 0;
    for (let i = 0; i < 20; i++) ok += await admitted(l, 50);
    expect(ok).toBe(1000);
    // Blocks of 1, 2, 4 … up to 1 000 (the rate over LEASE_MS): a handful of calls, not 1 000.
    expect(client.calls).toBeLessThan(60);
    if (process.env.ROOMCAST_TEST_FIGURES) console.log(`1000 takes, ${client.calls} Redis calls`);
  });

  it('leases about what a slow publisher spends', async () => {
    const client = counted();
    const l = limiter(client, 'slow', 10_000, 20_000);
    for (let i = 0; i < 8; i++) {
      expect(await admitted(l, 1)).toBe(1);
      await new Promise((r) => setTimeout(r, LEASE_MS + 20));
    }
    // Each lease ended with tokens left, so each next block is twice what was spent: at most 2.
    expect(client.asked).toBeLessThanOrEqual(2 * 8);
  });

  it('never admits more than the shared limit across two processes', async () => {
    const a = limiter(counted(), 'shared', 200, 100);
    const b = limiter(counted(), 'shared', 200, 100);
    const started = Date.now();
    let ok = 0;
    while (Date.now() - started < 1000) {
      const [x, y] = await Promise.all([admitted(a, 20), admitted(b, 20)]);
      ok += x + y;
      await new Promise((r) => setTimeout(r, 10));
    }
    const elapsed = (Date.now() - started) / 1000;
    // The burst plus what refilled while they ran; tokens a lease did not spend are dropped, so
    // the pair may admit less, never more.
    expect(ok).toBeLessThanOrEqual(100 + Math.ceil(200 * elapsed) + 1);
    expect(ok).toBeGreaterThan(0.5 * (100 + 200 * 1));
    if (process.env.ROOMCAST_TEST_FIGURES) console.log(`two processes admitted ${ok} in ${elapsed.toFixed(2)} s (limit ${100 + Math.ceil(200 * elapsed)})`);
  });
});
