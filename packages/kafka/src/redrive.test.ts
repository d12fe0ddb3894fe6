import { describe, expect, it } from 'vitest';
import { redriveHeaders, redriveTargetOf } from './redrive.ts';

const target = { subscriptionId: 'sub_1', redriveId: 'rdr_1', ratePerSec: 25, source: { topic: 'p.rooms.DEV.GOV.MOH.births', partition: 1, offset: 42 }, key: 'mother-1' };

describe('redrive records', () => {
  it('carry the event’s own headers and the target, not the dead letter’s bookkeeping', () => {
    const h = redriveHeaders(
      { 'rc-id': 'x', 'rc-event-type': 'newBirth', 'rc-dlq-subscription': 'sub_1', 'rc-dlq-reason': 'rejected', 'rc-dead-reason': 'ttl', 'rc-subscription': 'sub_9', 'rc-source-topic': 't', 'rc-redrive-id': 'old', traceparent: 'tp' },
      target,
    );
    expect(Object.keys(h).sort()).toEqual(['rc-event-type', 'rc-id', 'rc-redrive-id', 'rc-redrive-key', 'rc-redrive-rate', 'rc-redrive-source', 'rc-redrive-subscription', 'traceparent']);
    expect(h['rc-redrive-id']).toBe('rdr_1');
    expect(redriveTargetOf(h)).toEqual(target);
  });

  it('read back as no target when a header is missing or malformed', () => {
    const h = redriveHeaders({}, { ...target, key: null });
    expect(redriveTargetOf(h)).toEqual({ ...target, key: null });
    expect(redriveTargetOf(undefined)).toBeUndefined();
    expect(redriveTargetOf({ ...h, 'rc-redrive-rate': '0' })).toBeUndefined();
    expect(redriveTargetOf({ ...h, 'rc-redrive-source': 'no-position' })).toBeUndefined();
    const { 'rc-redrive-subscription': _, ...rest } = h;
    expect(redriveTargetOf(rest)).toBeUndefined();
  });
});
