import { describe, expect, it } from 'vitest';
import { partitionSeek } from './seek.ts';

const bounds = { low: '10', high: '50' };

describe('partitionSeek', () => {
  it('moves to the first retained record, or to the end', () => {
    expect(partitionSeek({ kind: 'earliest' }, bounds, undefined, '40')).toEqual({ target: '10', end: '50', records: 40, skipped: 0 });
    expect(partitionSeek({ kind: 'latest' }, bounds, undefined, '40')).toEqual({ target: '50', end: '50', records: 0, skipped: 10 });
  });

  it('moves to the broker’s offset for a time, within the retained records', () => {
    expect(partitionSeek({ kind: 'time', ms: 1 }, bounds, '30', '45')).toMatchObject({ target: '30', records: 20, skipped: 0 });
    expect(partitionSeek({ kind: 'time', ms: 1 }, bounds, '3', '45')).toMatchObject({ target: '10', records: 40 });
  });

  it('reads nothing when no record is as recent as the time', () => {
    expect(partitionSeek({ kind: 'time', ms: 1 }, bounds, '-1', '45')).toMatchObject({ target: '50', records: 0, skipped: 5 });
    expect(partitionSeek({ kind: 'time', ms: 1 }, bounds, undefined, undefined)).toMatchObject({ target: '50', records: 0, skipped: 0 });
  });

  it('counts what a seek ahead skips from the first retained record when the committed one is gone', () => {
    expect(partitionSeek({ kind: 'time', ms: 1 }, bounds, '20', '4')).toMatchObject({ target: '20', skipped: 10 });
    expect(partitionSeek({ kind: 'latest' }, bounds, undefined, undefined)).toMatchObject({ skipped: 0 });
  });
});
