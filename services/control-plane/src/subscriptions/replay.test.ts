import { RoomcastError } from '@roomcast/core';
import { describe, expect, it } from 'vitest';
import { replayPosition } from './replay.ts';

const now = Date.parse('2026-12-07T12:00:00Z');

function refusal(from: string): string[] {
  try {
    replayPosition(from, now);
  } catch (err) {
    if (err instanceof RoomcastError && err.code === 'request.validation_failed') return (err.errors ?? []).map((e) => `${e.pointer}: ${e.message}`);
    throw err;
  }
  throw new Error(`${from} was accepted`);
}

describe('replayPosition', () => {
  it('names the ends and past times', () => {
    expect(replayPosition('earliest', now)).toEqual({ kind: 'earliest' });
    expect(replayPosition('latest', now)).toEqual({ kind: 'latest' });
    expect(replayPosition('2026-12-07T13:30:00+02:00', now)).toEqual({ kind: 'time', ms: Date.parse('2026-12-07T11:30:00Z') });
    expect(replayPosition('2026-12-07T12:00:00Z', now)).toEqual({ kind: 'time', ms: now });
  });

  it('refuses a time in the future and what is no time, at /from', () => {
    expect(refusal('2026-12-07T12:00:00.001Z')).toEqual(['/from: must not be in the future']);
    expect(refusal('soon')).toEqual(['/from: must be "earliest", "latest" or an RFC 3339 date-time']);
  });
});
