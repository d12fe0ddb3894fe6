import { encodeHeaders } from '@roomcast/kafka';
import { describe, expect, it } from 'vitest';
import { deliveryEntry, eventEntry } from './records.ts';
import { inScope, scopeOf, scopeSql } from './scope.ts';
import { decodeCursor, encodeCursor, groupColumns, timeRange } from './search-routes.ts';

const headers = encodeHeaders({ id: '0193A5F1-2B3C-7D4E-8F60-123456789ABC', eventType: 'newBirth', publisher: 'DEV/GOV/MOH/clinic-a', time: '2026-12-06T10:00:00.000Z', priority: 'HIGH', classification: 'PHI', schemaId: 3, schemaVersion: 2 });
const base = { topic: 'rc.room.DEV.GOV.MOH.births', partition: 0, offset: '12', timestamp: String(Date.parse('2026-12-06T10:00:00.005Z')) };

describe('records → log rows', () => {
  it('an event keeps digests of key and value, never the value', () => {
    const value = Buffer.from('secret payload bytes');
    const e = eventEntry({ ...base, key: Buffer.from('mother-1'), value, headers }, 'room_1', true);
    expect(e).toMatchObject({ eventId: '0193a5f1-2b3c-7d4e-8f60-123456789abc', roomId: 'room_1', urgent: true, classification: 'PHI', priority: 'HIGH', size: value.length, schemaId: 3, schemaVersion: 2, traceparent: null });
    expect(e?.payloadSha256).toHaveLength(32);
    expect(e?.loggedAt.toISOString()).toBe('2026-12-06T10:00:00.005Z');
    expect(JSON.stringify(e)).not.toContain('secret payload');
    expect(JSON.stringify(e)).not.toContain('mother-1');
  });

  it('a record without Roomcast headers gives no row', () => {
    expect(eventEntry({ ...base, key: null, value: Buffer.from('x'), headers: {} }, 'room_1', false)).toBeUndefined();
    expect(eventEntry({ ...base, key: null, value: null, headers }, 'room_1', false)).toBeUndefined();
  });

  it('a delivery-log record becomes a delivery row; an unreadable one none', () => {
    const rec = { eventId: '0193a5f1-2b3c-7d4e-8f60-123456789abc', subscriptionId: 'sub_1', roomId: 'room_1', eventType: 'newBirth', subscriber: 'DEV/GOV/REG/r', mode: 'push', attempt: 2, outcome: 'retry', state: 'ERRORED', httpStatus: 503, errorClass: 'HTTP 503', latencyMs: 12.3456, time: '2026-12-06T10:00:01.000Z', publishedAt: '2026-12-06T10:00:00.000Z', nextAttemptAt: '2026-12-06T10:00:03.000Z' };
    const d = deliveryEntry({ ...base, key: null, value: Buffer.from(JSON.stringify(rec)) });
    expect(d).toMatchObject({ subscriptionId: 'sub_1', attempt: 2, outcome: 'retry', state: 'ERRORED', httpStatus: 503, durationUs: 12346 });
    expect(d?.nextAttemptAt?.toISOString()).toBe('2026-12-06T10:00:03.000Z');
    expect(deliveryEntry({ ...base, key: null, value: Buffer.from('{nope') })).toBeUndefined();
    expect(deliveryEntry({ ...base, key: null, value: Buffer.from(JSON.stringify({ ...rec, state: 'WHATEVER' })) })).toBeUndefined();
    expect(deliveryEntry({ ...base, key: null, value: Buffer.from(JSON.stringify({ ...rec, eventId: 'x' })) })).toBeUndefined();
  });
});

describe('scope', () => {
  const routing = {
    contract: {
      rooms: [
        { id: 'r1', address: { instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'births' } },
        { id: 'r2', address: { instance: 'DEV', memberClass: 'GOV', memberCode: 'REG', room: 'deaths' } },
      ],
    },
  } as never;

  it('central admin sees all; member admin its rooms and applications; an application itself', () => {
    expect(scopeOf({ role: 'GLOBAL_ADMIN' }, routing)).toEqual({ all: true });
    const member = scopeOf({ role: 'MEMBER_ADMIN', member: 'DEV/GOV/MOH' }, routing);
    expect(member).toEqual({ all: false, rooms: ['r1'], prefix: 'DEV/GOV/MOH/', client: null });
    expect(inScope(member, 'r1', 'DEV/GOV/X/a')).toBe(true);
    expect(inScope(member, 'r2', 'DEV/GOV/MOH/clinic')).toBe(true);
    expect(inScope(member, 'r2', 'DEV/GOV/MOHX/clinic')).toBe(false);
    const app = scopeOf({ role: 'APPLICATION', clientId: 'DEV/GOV/MOH/clinic-a' }, routing);
    expect(inScope(app, 'r1', 'DEV/GOV/MOH/clinic-a')).toBe(true);
    expect(inScope(app, 'r1', 'DEV/GOV/MOH/clinic-b')).toBe(false);
  });

  it('turns into SQL with escaped LIKE wildcards', () => {
    const params: unknown[] = [];
    expect(scopeSql({ all: false, rooms: ['r1'], prefix: 'A/B_%/C/', client: null }, 'room_id', 'publisher', params)).toBe('(room_id = ANY($1::text[]) OR publisher LIKE $2)');
    expect(params).toEqual([['r1'], 'A/B\\_\\%/C/%']);
    expect(scopeSql({ all: false, rooms: [], prefix: null, client: null }, 'room_id', 'publisher', [])).toBe('FALSE');
  });
});

describe('search parameters', () => {
  it('time ranges are bounded and ordered', () => {
    expect(() => timeRange({ from: '2026-01-01T00:00:00Z', to: '2026-02-15T00:00:00Z' })).toThrow();
    expect(() => timeRange({ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' })).toThrow();
    expect(timeRange({ from: '2026-01-01T00:00:00Z' }, Date.parse('2026-01-02T00:00:00Z')).to.toISOString()).toBe('2026-01-02T00:00:00.000Z');
  });

  it('cursors round-trip and foreign ones are refused', () => {
    expect(decodeCursor(encodeCursor(['a', 'b']), 2)).toEqual(['a', 'b']);
    expect(() => decodeCursor(encodeCursor(['a']), 2)).toThrow();
    expect(() => decodeCursor('%%%', 2)).toThrow();
    expect(decodeCursor(undefined, 2)).toBeUndefined();
  });

  it('group names are checked', () => {
    expect(groupColumns('room, eventType', { room: 'room_id', eventType: 'event_type' })).toEqual(['room', 'eventType']);
    expect(() => groupColumns('room,room', { room: 'room_id' })).toThrow();
    expect(() => groupColumns('password', { room: 'room_id' })).toThrow();
  });
});
