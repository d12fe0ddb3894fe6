import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PushSink, startPushSink, sumPaths } from './push-sink.ts';

let sink: PushSink;

beforeAll(async () => {
  sink = await startPushSink();
});
afterAll(() => sink.close());

async function post(path: string, id: string, key?: string, sequence?: number) {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'webhook-id': id };
  if (key) headers['ce-subject'] = key;
  const res = await request(`${sink.url}${path}`, { method: 'POST', headers, body: JSON.stringify({ id, sequence: sequence ?? 0, event: {} }) });
  await res.body.dump();
  return res.statusCode;
}

describe('push bench sink (child process)', () => {
  it('answers 204 and records receipts, duplicates and per-key order by path', async () => {
    const t0 = performance.timeOrigin + performance.now();
    expect(await post('/push/a', 'e1', 'k1', 5)).toBe(204);
    await post('/push/a', 'e2', 'k1', 7);
    await post('/push/a', 'e3', 'k1', 6); // key k1 went back: reordered
    await post('/push/a', 'e4', 'k2', 1);
    await post('/push/a', 'e2', 'k1', 7); // redelivery of e2: a duplicate, in order
    await post('/push/b', 'e1');
    await post('/baseline/c1', 'same');
    await post('/baseline/c1', 'same');

    const stats = await sink.stats();
    expect(stats['/push/a']).toMatchObject({ count: 5, unique: 4, duplicates: 1, reordered: 1 });
    expect(stats['/push/b']).toMatchObject({ count: 1, unique: 1, duplicates: 0, reordered: 0 });
    // Baseline paths are only counted: one id repeated is not a duplicate.
    expect(stats['/baseline/c1']).toMatchObject({ count: 2, unique: 0, duplicates: 0 });
    expect(sumPaths(stats, '/push/')).toMatchObject({ count: 6, unique: 5, duplicates: 1, reordered: 1 });

    const times = await sink.times('/push/a');
    expect([...times.keys()].sort()).toEqual(['e1', 'e2', 'e3', 'e4']);
    const e1 = times.get('e1') ?? 0;
    expect(e1).toBeGreaterThanOrEqual(t0 - 5);
    expect(e1).toBeLessThanOrEqual(performance.timeOrigin + performance.now());
    expect(await sink.holders('e1', '/push/')).toBe(2);
    expect(await sink.holders('e4', '/push/')).toBe(1);

    const sample = await sink.sample();
    expect(sample?.path).toBe('/push/a');
    expect(sample?.headers['webhook-id']).toBe('e1');
    expect(JSON.parse(sample?.body ?? '{}')).toEqual({ id: 'e1', sequence: 5, event: {} });
    expect(sample?.headers).not.toHaveProperty('content-length');

    expect(await sink.waitFor((st) => (st['/push/b']?.count ?? 0) >= 1, 1000)).toBe(true);
    expect(await sink.waitFor((st) => (st['/push/b']?.count ?? 0) >= 2, 200)).toBe(false);
  });
});
