import { describe, expect, it } from 'vitest';
import { partitionLag, withDeadline } from './backlog.ts';
import { bucketSeconds, mergeSeries, percentiles, perSecond } from './series.ts';

const at = (iso: string) => new Date(iso);

describe('operational series', () => {
  it('divides a rate by the part of the bucket inside the range', () => {
    const from = at('2026-01-01T10:30:00Z');
    const to = at('2026-01-01T12:15:00Z');
    expect(bucketSeconds(at('2026-01-01T10:00:00Z'), 'hour', from, to)).toBe(1800);
    expect(bucketSeconds(at('2026-01-01T11:00:00Z'), 'hour', from, to)).toBe(3600);
    expect(bucketSeconds(at('2026-01-01T12:00:00Z'), 'hour', from, to)).toBe(900);
    expect(bucketSeconds(at('2026-01-01T13:00:00Z'), 'hour', from, to)).toBe(0);
    expect(perSecond(90, 1800)).toBe(0.05);
    expect(perSecond(5, 0)).toBe(0);
  });

  it('reads percentiles only when all three are there', () => {
    expect(percentiles([1.23456, 2, 3])).toEqual({ p50: 1.235, p95: 2, p99: 3 });
    expect(percentiles(null)).toBeNull();
    expect(percentiles([null, null, null])).toBeNull();
  });

  it('merges published, delivered and error rows into one ascending series per group', () => {
    const t1 = at('2026-01-01T10:00:00Z');
    const t2 = at('2026-01-01T10:01:00Z');
    const range = { from: t1, to: at('2026-01-01T10:02:00Z'), bucket: 'minute' as const };
    const merged = mergeSeries(
      {
        published: [
          { t: t2, group: 'a', n: 6 },
          { t: t1, group: 'a', n: 12 },
        ],
        delivered: [{ t: t1, group: 'a', rows: 15, delivered: 12, latency: [4, 8, 9], attempt: [1, 2, 3] }],
        errors: [
          { t: t1, group: 'a', cls: 'http_5xx', n: 2 },
          { t: t1, group: 'a', cls: 'ECONNREFUSED', n: 1 },
          { t: t2, group: 'b', cls: 'http_4xx', n: 1 },
        ],
      },
      range,
    );
    const a = merged.get('a') ?? [];
    expect(a.map((p) => p.time)).toEqual([t1.toISOString(), t2.toISOString()]);
    expect(a[0]).toEqual({
      time: t1.toISOString(),
      published: { count: 12, perSecond: 0.2 },
      delivered: { count: 12, perSecond: 0.2 },
      deliveryRows: 15,
      errors: { total: 3, byClass: { http_5xx: 2, ECONNREFUSED: 1 } },
      latencyMs: { p50: 4, p95: 8, p99: 9 },
      attemptMs: { p50: 1, p95: 2, p99: 3 },
    });
    expect(a[1]).toMatchObject({ published: { count: 6, perSecond: 0.1 }, delivered: { count: 0 }, latencyMs: null });
    // A group with only errors still has a published count of zero (published is defined).
    expect(merged.get('b')?.[0]).toMatchObject({ published: { count: 0 }, errors: { total: 1, byClass: { http_4xx: 1 } } });
  });

  it('leaves published null when the dimension has none', () => {
    const t1 = at('2026-01-01T10:00:00Z');
    const merged = mergeSeries({ published: null, delivered: [{ t: t1, group: 'a', rows: 1, delivered: 1, latency: null, attempt: null }], errors: [] }, { from: t1, to: at('2026-01-02T00:00:00Z'), bucket: 'day' });
    expect(merged.get('a')?.[0]?.published).toBeNull();
  });
});

describe('backlog arithmetic', () => {
  it('counts lag from the committed offset, from the start when none or when retention passed it', () => {
    expect(partitionLag('100', '60', '0')).toEqual({ position: '60', lag: 40 });
    expect(partitionLag('100', '-1', '20')).toEqual({ position: '20', lag: 80 });
    expect(partitionLag('100', '5', '20')).toEqual({ position: '20', lag: 80 });
    expect(partitionLag('100', '100', '0')).toEqual({ position: '100', lag: 0 });
    expect(partitionLag('100', '120', '0')).toEqual({ position: '120', lag: 0 });
  });

  it('gives up on work that outlasts its budget', async () => {
    await expect(withDeadline(new Promise((r) => setTimeout(() => r(1), 200)), 20)).rejects.toThrow(/budget/);
    await expect(withDeadline(Promise.resolve(2), 20)).resolves.toBe(2);
    await expect(withDeadline(Promise.resolve(3), 0)).rejects.toThrow(/budget/);
    // Work dropped on a spent budget that fails later is not an unhandled rejection.
    await expect(withDeadline(Promise.reject(new Error('late')), 0)).rejects.toThrow(/budget/);
  });
});
