/**
 * Publish rate limits against the real Redis: a publisher's burst passes, the next event is
 * refused with 429 and Retry-After — after the body checks, before schema validation — and
 * publishing works again once the bucket has refilled. (The per-process fallback when Redis is
 * down is unit-tested on the limiter: services/ingress/src/rate-limit.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, publish, type SeededDemo, seedDemo } from '../../scripts/lib/demo.ts';
import { startSubscriber, type Subscriber } from '../../scripts/lib/subscriber.ts';
import { request } from '../support/api.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform.ts';

let t: TestPlatform;
let sub: Subscriber;
let seeded: SeededDemo;

beforeAll(async () => {
  t = await startTestPlatform('ratelim', { ROOMCAST_RATE_PUBLISHER_PER_SEC: '2', ROOMCAST_RATE_PUBLISHER_BURST: '3' });
  sub = await startSubscriber();
  seeded = await seedDemo(t.platform.url, t.adminKey, sub.url);
  await t.platform.routing.waitFor(seeded.generation);
});

afterAll(async () => {
  await sub?.close();
  await t?.cleanup();
});

async function raw(event: unknown, bodyType: string = DEMO.eventType) {
  const res = await fetch(`${t.platform.url}${DEMO.roomPath}/pub/v1/${DEMO.eventType}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${seeded.publisherKey}`, 'content-type': 'application/json', 'x-govstack-client': DEMO.publisherClient },
    body: JSON.stringify({ eventType: bodyType, event }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
}

describe('publish rate limit', () => {
  it('passes the burst, then answers 429 with Retry-After until the bucket refills', async () => {
    for (let i = 0; i < 3; i++) expect((await publish(t.platform.url, seeded.publisherKey, DEMO.sampleEvent)).status).toBe(201);
    const limited = await raw(DEMO.sampleEvent);
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('publish.rate_limited');
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);

    // Order of checks: body problems are reported before the limit, schema problems after it.
    expect((await raw(DEMO.sampleEvent, 'other')).body.code).toBe('publish.event_type_mismatch');
    expect((await raw({ ...DEMO.sampleEvent, weight: 'heavy' })).body.code).toBe('publish.rate_limited');

    await new Promise((r) => setTimeout(r, Number(limited.retryAfter) * 1000 + 100));
    expect((await publish(t.platform.url, seeded.publisherKey, DEMO.sampleEvent)).status).toBe(201);

    const metrics = String((await request(t.platform.url, 'GET', '/metrics')).body);
    expect(metrics).toMatch(/roomcast_publish_rate_limited_total\{room="[^"]+",scope="publisher"\} [2-9]/);
    expect(metrics).toMatch(/roomcast_rate_limit_fallback 0/);
    // The bucket lives in Redis under the test's prefix.
    expect(await t.platform.runtime.redis.exists(t.platform.runtime.keys.rateBucket('publisher', DEMO.publisherClient))).toBe(1);
  });
});
