import { describe, expect, it } from 'vitest';
import { type Job, JobScheduler } from './job-scheduler.ts';

interface T extends Job {
  name: string;
}
const job = (name: string, key: string | null, lane: 0 | 1 = 1): T => ({ name, key, lane });

function drain(s: JobScheduler<T>): string[] {
  const out: string[] = [];
  for (let j = s.take(); j; j = s.take()) out.push(j.name);
  return out;
}

describe('JobScheduler', () => {
  it('runs at most `limit` jobs at once without FIFO', () => {
    const s = new JobScheduler<T>(false, 2);
    for (const n of ['a', 'b', 'c']) s.push(job(n, 'k'));
    expect(drain(s)).toEqual(['a', 'b']);
    expect(s.running).toBe(2);
    expect(s.pending).toBe(3);
  });

  it('FIFO: one job per key in flight, keys in parallel', () => {
    const s = new JobScheduler<T>(true, 10);
    const a1 = job('a1', 'a');
    s.push(a1);
    s.push(job('a2', 'a'));
    s.push(job('b1', 'b'));
    s.push(job('n1', null));
    s.push(job('n2', null));
    expect(drain(s)).toEqual(['a1', 'b1', 'n1', 'n2']);
    s.finish(a1);
    expect(drain(s)).toEqual(['a2']);
  });

  it('a suspended job frees its slot but holds its key', () => {
    const s = new JobScheduler<T>(true, 1);
    const a1 = job('a1', 'a');
    s.push(a1);
    s.push(job('a2', 'a'));
    s.push(job('b1', 'b'));
    expect(drain(s)).toEqual(['a1']);
    s.suspend(a1);
    expect(drain(s)).toEqual(['b1']);
    s.resume(a1);
    expect(s.take()).toBeUndefined(); // b1 holds the only slot
  });

  it('resumed jobs go before fresh ones, urgent lane before normal', () => {
    const s = new JobScheduler<T>(false, 1);
    const r = job('retry', null);
    s.push(r);
    expect(s.take()?.name).toBe('retry');
    s.suspend(r);
    s.push(job('fresh', null));
    s.resume(r);
    s.push(job('urgent', null, 0));
    const first = s.take();
    expect(first?.name).toBe('urgent');
    s.finish(first as T);
    expect(s.take()?.name).toBe('retry');
  });

  it('discards dropped jobs and lets the next of their key run', () => {
    const s = new JobScheduler<T>(true, 5);
    const a1 = job('a1', 'a');
    const a2 = job('a2', 'a');
    s.push(a1);
    s.push(a2);
    s.push(job('a3', 'a'));
    a1.dropped = true;
    a2.dropped = true;
    expect(drain(s)).toEqual(['a3']);
    expect(s.pending).toBe(1);
  });

  it('keeps keys of the two lanes apart', () => {
    const s = new JobScheduler<T>(true, 5);
    s.push(job('n', 'k', 1));
    s.push(job('u', 'k', 0));
    expect(drain(s)).toEqual(['u', 'n']);
  });

  it('applies a new limit', () => {
    const s = new JobScheduler<T>(false, 1);
    for (const n of ['a', 'b', 'c']) s.push(job(n, null));
    expect(drain(s)).toEqual(['a']);
    s.setLimit(3);
    expect(drain(s)).toEqual(['b', 'c']);
  });
});
