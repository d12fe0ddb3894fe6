import { describe, expect, it } from 'vitest';
import { PublishLedger, reconcile } from './ledger.ts';

describe('publish ledger reconciliation', () => {
  const ledger = new PublishLedger();
  ledger.answered(201, 'a', 'a1');
  ledger.answered(201, 'a', 'a2');
  ledger.answered(503, 'a');
  ledger.answered(201, 'a', 'a3');
  ledger.answered(201, 'b', 'b1');

  it('keeps acknowledged ids per key in order and counts every answer', () => {
    expect(ledger.acked.get('a')).toEqual(['a1', 'a2', 'a3']);
    expect(ledger.count(201)).toBe(4);
    expect(ledger.count(503)).toBe(1);
  });

  it('finds nothing wrong in a complete, ordered delivery', () => {
    const r = reconcile(ledger.acked, [{ key: 'a', id: 'a1' }, { key: 'b', id: 'b1' }, { key: 'a', id: 'a2' }, { key: 'a', id: 'a3' }]);
    expect(r).toEqual({ acknowledged: 4, delivered: 4, lost: 0, duplicates: 0, orderViolations: 0, unacknowledgedDelivered: 0 });
  });

  it('counts lost events, duplicates, late first deliveries and unacknowledged arrivals', () => {
    const r = reconcile(ledger.acked, [
      { key: 'a', id: 'a2' },
      { key: 'a', id: 'a1' }, // first delivery after a later one of its key
      { key: 'a', id: 'a2' }, // redelivery: a duplicate, not a violation
      { key: 'a', id: 'x9' }, // answered 503 but stored
    ]);
    expect(r).toEqual({ acknowledged: 4, delivered: 2, lost: 2, duplicates: 1, orderViolations: 1, unacknowledgedDelivered: 1 });
  });
});
