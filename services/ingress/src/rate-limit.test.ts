import { createLogger, RoomcastError } from '@roomcast/core';
import { redisKeys, type ScriptClient } from '@roomcast/redis';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { IngressMetrics } from './metrics.ts';
import { RateLimiter } from './rate-limit.ts';

/** A Redis client that is down: every script call fails. */
function downRedis(): ScriptClient & { calls: number } {
  const client = {
    calls: 0,
    evalsha: async () => {
      client.calls++;
      throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    },
    eval: async () => {
      throw new Error('unreachable');
    },
  };
  return client;
}

function limiter(redis: ScriptClient, clock: { now: number }) {
  const registry = new Registry();
  const logs: string[] = [];
  const logger = createLogger({ level: 'silent' });
  logger.warn = (msg: string) => void logs.push(msg);
  const metrics = new IngressMetrics(registry);
  const l = new RateLimiter({
    redis,
    keys: redisKeys('t_unit'),
    settings: { publisher: { ratePerSec: 2, burst: 3 }, room: { ratePerSec: 0, burst: 1 } },
    logger,
    metrics,
    retryRedisAfterMs: 5000,
    now: () => clock.now,
  });
  return { l, logs, registry };
}

async function refusal(p: Promise<unknown>): Promise<RoomcastError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RoomcastError) return err;
  }
  throw new Error('expected a refusal');
}

describe('RateLimiter without Redis', () => {
  it('falls back to a per-process bucket: same limits, 429 with Retry-After, logged once, metric set', async () => {
    const redis = downRedis();
    const clock = { now: 1_000_000 };
    const { l, logs, registry } = limiter(redis, clock);
    for (let i = 0; i < 3; i++) await l.take('DEV/GOV/MOH/clinic-a', 'room_1');
    const refused = await refusal(l.take('DEV/GOV/MOH/clinic-a', 'room_1'));
    expect(refused.code).toBe('publish.rate_limited');
    expect(refused.headers).toEqual({ 'retry-after': '1' });
    // Other publishers have their own bucket.
    await l.take('DEV/GOV/MOH/clinic-b', 'room_1');
    expect(l.usingFallback).toBe(true);
    expect(logs).toEqual(['rate limits fall back to per-process buckets: Redis unavailable']);
    // Redis is not asked again (no per-request timeout) until retryRedisAfterMs has passed.
    expect(redis.calls).toBe(1);
    clock.now += 500;
    await l.take('DEV/GOV/MOH/clinic-a', 'room_1');
    expect(redis.calls).toBe(1);
    clock.now += 5000;
    await l.take('DEV/GOV/MOH/clinic-a', 'room_1');
    expect(redis.calls).toBe(2);
    expect(logs).toHaveLength(1);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/roomcast_rate_limit_fallback 1/);
    expect(metrics).toMatch(/roomcast_publish_rate_limited_total\{room="room_1",scope="publisher"\} 1/);
  });

  it('asks nothing when every limit is disabled', async () => {
    const redis = downRedis();
    const registry = new Registry();
    const l = new RateLimiter({
      redis,
      keys: redisKeys('t_unit'),
      settings: { publisher: { ratePerSec: 0, burst: 1 }, room: { ratePerSec: 0, burst: 1 } },
      logger: createLogger({ level: 'silent' }),
      metrics: new IngressMetrics(registry),
    });
    for (let i = 0; i < 10; i++) await l.take('DEV/GOV/MOH/clinic-a', 'room_1');
    expect(redis.calls).toBe(0);
  });
});
