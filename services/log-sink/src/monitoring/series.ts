/**
 * The operational time series, pure: which columns group each dimension, how a delivery row's
 * error is classed, the seconds a bucket covers inside the asked range, and how the rows of the
 * three log queries (published, delivered, errors) merge into one series per group.
 */

export const DIMENSIONS = ['rooms', 'event-types', 'subscriptions'] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export const BUCKETS = ['minute', 'hour', 'day'] as const;
export type Bucket = (typeof BUCKETS)[number];

const BUCKET_MS: Record<Bucket, number> = { minute: 60_000, hour: 3600_000, day: 86_400_000 };

/** Delivery-log outcomes that are an error of an attempt or a hand-out. */
export const ERROR_OUTCOMES = ['retry', 'failed', 'dead-lettered', 'nacked', 'lease-expired'];

/**
 * The class of an error row: the HTTP status class when the subscriber answered (`http_4xx`,
 * `http_5xx`), else the recorded transport error or reason (`ECONNREFUSED`, `lease_expired`),
 * else the outcome. Transport codes and reasons come from the platform, never from tenants, so
 * the set stays small.
 */
export const ERROR_CLASS_SQL = `CASE WHEN http_status IS NOT NULL THEN 'http_' || (http_status / 100)::text || 'xx' WHEN outcome = 'dead-lettered' THEN 'dead_lettered' ELSE coalesce(left(error_class, 40), outcome) END`;

/** Seconds of the bucket starting at `start` that lie inside [from, to): the divisor of its rate. */
export function bucketSeconds(start: Date, bucket: Bucket, from: Date, to: Date): number {
  const lo = Math.max(start.getTime(), from.getTime());
  const hi = Math.min(start.getTime() + BUCKET_MS[bucket], to.getTime());
  return Math.max(0, hi - lo) / 1000;
}

/** Count per second, rounded to 6 decimals; 0 for an empty span. */
export function perSecond(count: number, seconds: number): number {
  return seconds > 0 ? Math.round((count / seconds) * 1e6) / 1e6 : 0;
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** `percentile_cont(ARRAY[.5,.95,.99])` → rounded percentiles; null when no row had a value. */
export function percentiles(v: readonly (number | null)[] | null | undefined): Percentiles | null {
  if (!v || v.length < 3 || v.some((x) => x === null)) return null;
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { p50: r(v[0] as number), p95: r(v[1] as number), p99: r(v[2] as number) };
}

/** One bucket of one group, as answered. */
export interface SeriesPoint {
  time: string;
  published: { count: number; perSecond: number } | null;
  delivered: { count: number; perSecond: number };
  /** Every delivery-log row of the bucket (attempts, hand-outs, transitions). */
  deliveryRows: number;
  errors: { total: number; byClass: Record<string, number> };
  /** Publish → delivered, over the rows that reached DELIVERED. */
  latencyMs: Percentiles | null;
  /** HTTP call of each push attempt. */
  attemptMs: Percentiles | null;
}

export interface PublishedRow {
  t: Date;
  group: string;
  n: number;
}
export interface DeliveredRow {
  t: Date;
  group: string;
  rows: number;
  delivered: number;
  latency: (number | null)[] | null;
  attempt: (number | null)[] | null;
}
export interface ErrorRow {
  t: Date;
  group: string;
  cls: string;
  n: number;
}

/**
 * Merges the three queries' rows into points per group (a group is the dimension's key,
 * already joined to one string), buckets ascending. `published` is null for groups whose
 * published count is not defined (none here) or not visible to the caller.
 */
export function mergeSeries(
  rows: { published: PublishedRow[] | null; delivered: DeliveredRow[]; errors: ErrorRow[] },
  range: { from: Date; to: Date; bucket: Bucket },
): Map<string, SeriesPoint[]> {
  const points = new Map<string, Map<number, SeriesPoint>>();
  const point = (group: string, t: Date): SeriesPoint => {
    let byTime = points.get(group);
    if (!byTime) {
      byTime = new Map();
      points.set(group, byTime);
    }
    let p = byTime.get(t.getTime());
    if (!p) {
      p = {
        time: t.toISOString(),
        published: rows.published ? { count: 0, perSecond: 0 } : null,
        delivered: { count: 0, perSecond: 0 },
        deliveryRows: 0,
        errors: { total: 0, byClass: {} },
        latencyMs: null,
        attemptMs: null,
      };
      byTime.set(t.getTime(), p);
    }
    return p;
  };
  const seconds = (t: Date) => bucketSeconds(t, range.bucket, range.from, range.to);
  for (const r of rows.published ?? []) {
    const p = point(r.group, r.t);
    p.published = { count: r.n, perSecond: perSecond(r.n, seconds(r.t)) };
  }
  for (const r of rows.delivered) {
    const p = point(r.group, r.t);
    p.delivered = { count: r.delivered, perSecond: perSecond(r.delivered, seconds(r.t)) };
    p.deliveryRows = r.rows;
    p.latencyMs = percentiles(r.latency);
    p.attemptMs = percentiles(r.attempt);
  }
  for (const r of rows.errors) {
    const p = point(r.group, r.t);
    p.errors.byClass[r.cls] = (p.errors.byClass[r.cls] ?? 0) + r.n;
    p.errors.total += r.n;
  }
  const out = new Map<string, SeriesPoint[]>();
  for (const [group, byTime] of points) out.set(group, [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p));
  return out;
}
