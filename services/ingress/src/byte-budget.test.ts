import { RoomcastError } from '@roomcast/core';
import { describe, expect, it } from 'vitest';
import { ByteBudget } from './byte-budget.ts';

function refusal(fn: () => void): RoomcastError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RoomcastError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('ByteBudget', () => {
  it('lets a burst through, then refuses with 429 and a Retry-After until the rate refills it', () => {
    const budget = new ByteBudget({ bytesPerSec: 1000, burstBytes: 4000 });
    budget.charge('a', 'room', 4000, 0);
    const err = refusal(() => budget.charge('a', 'room', 2000, 0));
    expect([err.status, err.code, err.headers?.['retry-after']]).toEqual([429, 'publish.rate_limited', '2']);
    // Another publisher has its own bucket; a refused body cost nothing.
    budget.charge('b', 'room', 4000, 0);
    budget.charge('a', 'room', 2000, 2000);
  });

  it('is off at 0 bytes per second', () => {
    const budget = new ByteBudget({ bytesPerSec: 0, burstBytes: 1024 });
    for (let i = 0; i < 10; i++) budget.charge('a', 'room', 1_000_000, 0);
  });
});
