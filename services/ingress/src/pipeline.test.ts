import { describe, expect, it } from 'vitest';
import { eventKey } from './pipeline.ts';

describe('eventKey', () => {
  it("uses the event type's key attribute when it has one", () => {
    expect(eventKey('/patient/id', { key: 'ignored' }, { patient: { id: 'p-9' } })).toBe('p-9');
    expect(eventKey('/n', {}, { n: 42 })).toBe('42');
    expect(eventKey('/patient/id', {}, { patient: {} })).toBeNull();
    expect(eventKey('/patient', {}, { patient: { id: 1 } })).toBeNull();
  });
  it("falls back to the publisher's key, else none", () => {
    expect(eventKey(null, { key: 'k-1' }, {})).toBe('k-1');
    expect(eventKey(null, { key: '' }, {})).toBeNull();
    expect(eventKey(null, {}, {})).toBeNull();
  });
});
