import { describe, expect, it } from 'vitest';
import { deliveryView } from './delivery-view.ts';

const t0 = new Date('2026-12-06T10:00:00.000Z');
const later = (ms: number) => new Date(t0.getTime() + ms);
const row = (sub: string, attempt: number, state: string, atMs: number, http: number | null = null) => ({
  subscription_id: sub,
  subscriber: `DEV/GOV/X/${sub}`,
  mode: 'push',
  attempt,
  state,
  http_status: http,
  error_class: null,
  occurred_at: later(atMs),
});
const subs = [
  { id: 'a', clientId: 'DEV/GOV/X/a', mode: 'PUSH' as const },
  { id: 'b', clientId: 'DEV/GOV/X/b', mode: 'PULL' as const },
];

describe('deliveryView', () => {
  it('shows QUEUED for a subscription nothing was tried for', () => {
    expect(deliveryView(subs, [], new Map())).toEqual([
      { subscriptionId: 'a', subscriberId: 'DEV/GOV/X/a', mode: 'PUSH', state: 'QUEUED', attempts: 0, lastStatus: null, lastError: null, updatedAt: null },
      { subscriptionId: 'b', subscriberId: 'DEV/GOV/X/b', mode: 'PULL', state: 'QUEUED', attempts: 0, lastStatus: null, lastError: null, updatedAt: null },
    ]);
  });

  it('never turns a logged final state back into a pending one, and keeps the highest attempt count', () => {
    // Delivered at attempt 3; a redelivery after a crash then wrote SENT with attempt 1 to Redis.
    const rows = [row('a', 2, 'ERRORED', 0, 503), row('a', 3, 'DELIVERED', 1000, 204)];
    const pending = new Map([['a', { state: 'SENT' as const, attempts: 1, lastStatus: null, lastError: null, updatedAt: later(5000).toISOString() }]]);
    const [a] = deliveryView(subs, rows, pending);
    expect(a).toMatchObject({ state: 'DELIVERED', attempts: 3, lastStatus: 204 });
  });

  it('prefers the newer of a pending Redis state and the last logged non-final row', () => {
    const rows = [row('a', 1, 'ERRORED', 0, 503)];
    const newer = new Map([['a', { state: 'SENT' as const, attempts: 2, lastStatus: 503, lastError: null, updatedAt: later(100).toISOString() }]]);
    expect(deliveryView(subs, rows, newer)[0]).toMatchObject({ state: 'SENT', attempts: 2 });
    const older = new Map([['a', { state: 'SENT' as const, attempts: 1, lastStatus: null, lastError: null, updatedAt: later(-100).toISOString() }]]);
    expect(deliveryView(subs, rows, older)[0]).toMatchObject({ state: 'ERRORED', attempts: 1, lastStatus: 503 });
  });

  it('lists a subscription that left the contract but has logged deliveries', () => {
    const items = deliveryView(subs, [row('gone', 1, 'FAILED', 0, 400)], new Map());
    expect(items.map((i) => i.subscriptionId)).toEqual(['a', 'b', 'gone']);
    expect(items[2]).toMatchObject({ subscriberId: 'DEV/GOV/X/gone', mode: 'PUSH', state: 'FAILED' });
  });
});
