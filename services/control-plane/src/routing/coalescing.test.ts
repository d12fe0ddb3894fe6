import { describe, expect, it } from 'vitest';
import { coalescing } from './coalescing.ts';

/** A run the test finishes by hand: each call is recorded with its arguments and how to settle it. */
function manualRuns() {
  const runs: Array<{ args: string[]; finish: (n: number) => void; fail: (err: Error) => void }> = [];
  const run = (args: string[]) =>
    new Promise<number>((resolve, reject) => {
      runs.push({ args: [...args], finish: resolve, fail: reject });
    });
  return { runs, call: coalescing(run) };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise((r) => setImmediate(r));

describe('coalescing', () => {
  it('runs a call at once when nothing runs, and each later call again', async () => {
    const { runs, call } = manualRuns();
    const first = call('a');
    expect(runs.map((r) => r.args)).toEqual([['a']]);
    runs[0]?.finish(1);
    expect(await first).toBe(1);
    const second = call('b');
    expect(runs.map((r) => r.args)).toEqual([['a'], ['b']]);
    runs[1]?.finish(2);
    expect(await second).toBe(2);
  });

  it('gathers the calls made during a run into exactly one next run, and never answers them with the running one', async () => {
    const { runs, call } = manualRuns();
    const first = call('a');
    const later = [call('b'), call('c'), call('d')];
    await settle();
    expect(runs).toHaveLength(1);
    runs[0]?.finish(1);
    expect(await first).toBe(1);
    await settle();
    expect(runs.map((r) => r.args)).toEqual([['a'], ['b', 'c', 'd']]);
    runs[1]?.finish(2);
    expect(await Promise.all(later)).toEqual([2, 2, 2]);
    expect(runs).toHaveLength(2);
  });

  it('starts the next run only once the running one has settled', async () => {
    const { runs, call } = manualRuns();
    void call('a');
    const waiting = call('b');
    await settle();
    expect(runs).toHaveLength(1);
    runs[0]?.finish(1);
    await settle();
    expect(runs).toHaveLength(2);
    // A call during the second run waits for a third, not for the second.
    const third = call('c');
    await settle();
    expect(runs.map((r) => r.args)).toEqual([['a'], ['b']]);
    runs[1]?.finish(2);
    expect(await waiting).toBe(2);
    await settle();
    expect(runs.map((r) => r.args)).toEqual([['a'], ['b'], ['c']]);
    runs[2]?.finish(3);
    expect(await third).toBe(3);
  });

  it('rejects exactly the callers of a failed run; the next run still goes ahead for its own', async () => {
    const { runs, call } = manualRuns();
    const first = call('a');
    const later = [call('b'), call('c')];
    runs[0]?.fail(new Error('postgres down'));
    await expect(first).rejects.toThrow('postgres down');
    await settle();
    expect(runs.map((r) => r.args)).toEqual([['a'], ['b', 'c']]);
    runs[1]?.finish(2);
    expect(await Promise.all(later)).toEqual([2, 2]);

    const again = call('d');
    const afterFailure = call('e');
    runs[2]?.finish(3);
    await settle();
    runs[3]?.fail(new Error('redis down'));
    expect(await again).toBe(3);
    await expect(afterFailure).rejects.toThrow('redis down');
  });

  it('treats a run that throws before its first await like one that rejects', async () => {
    const call = coalescing<string, number>(() => {
      throw new Error('bad');
    });
    const results = await Promise.allSettled([call('a'), call('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
