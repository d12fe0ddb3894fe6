import { createLogger } from '@roomcast/core';
import type { Redis } from '@roomcast/redis';
import { describe, expect, it } from 'vitest';
import { WakeBoard } from './wake.ts';

// The board's subscriber connection is not used by these tests: notify() is what a message calls.
const fakeRedis = { duplicate: () => ({ on: () => {}, subscribe: async () => {}, quit: async () => {} }) } as unknown as Redis;
const board = () => new WakeBoard(fakeRedis, 'wake', createLogger({ level: 'silent' }));

describe('long-poll wake-ups', () => {
  it('wakes a waiter on an announcement for its subscription only', async () => {
    const b = board();
    let woken = false;
    const waiting = b.wait('s1', b.ticket('s1'), 10_000).then(() => {
      woken = true;
    });
    b.notify('s2');
    await new Promise((r) => setTimeout(r, 20));
    expect(woken).toBe(false);
    b.notify('s1');
    await waiting;
    expect(woken).toBe(true);
  });

  it('returns at once when an announcement came after the ticket (no lost wake-up)', async () => {
    const b = board();
    const ticket = b.ticket('s1');
    b.notify('s1');
    const started = Date.now();
    await b.wait('s1', ticket, 10_000);
    expect(Date.now() - started).toBeLessThan(50);
  });

  it('ends at its timeout or when the request is aborted', async () => {
    const b = board();
    const started = Date.now();
    await b.wait('s1', b.ticket('s1'), 100);
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    const abort = new AbortController();
    const waiting = b.wait('s1', b.ticket('s1'), 10_000, abort.signal);
    abort.abort();
    await waiting;
    await b.close();
  });
});
