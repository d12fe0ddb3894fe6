import { describe, expect, it } from 'vitest';
import { sharedReason } from './routing-publisher.ts';

describe('sharedReason', () => {
  it('is the reason itself for one caller, however long', () => {
    expect(sharedReason(['subscription sub_1 created'])).toBe('subscription sub_1 created');
    expect(sharedReason(['x'.repeat(300)])).toBe('x'.repeat(300));
  });

  it('joins the reasons of a shared build while they fit, and counts the rest', () => {
    expect(sharedReason(['a', 'b', 'c'])).toBe('a; b; c');
    expect(sharedReason(['a', 'b', 'c', 'd', 'e'], 14)).toBe('a; b (+3 more)');
    const burst = Array.from({ length: 500 }, (_, i) => `subscription sub_${String(i).padStart(20, '0')} created`);
    const reason = sharedReason(burst);
    expect(reason.length).toBeLessThanOrEqual(200);
    expect(reason).toMatch(/^subscription sub_0+ created; subscription sub_0+1 created; .* \(\+\d+ more\)$/);
  });
});
