import { encodeHeaders, type IHeaders } from '@roomcast/kafka';
import type { DeadLetterRow } from '@roomcast/log';
import type { RoutingIndex } from '@roomcast/routing';
import { describe, expect, it } from 'vitest';
import { deadLetterEntry } from './records.ts';
import { redriveProblem } from './redrive-handoff.ts';

const ID = '0193a5f1-2b3c-7d4e-8f60-123456789abc';
const event = encodeHeaders({ id: ID, eventType: 'newBirth', publisher: 'DEV/GOV/MOH/clinic-a', time: '2026-12-06T10:00:00.000Z', priority: 'NORMAL', classification: 'PUBLIC', schemaId: 3 });
const base = { topic: 'p.dead-letter', partition: 1, offset: '17', timestamp: String(Date.parse('2026-12-06T10:05:00Z')), key: Buffer.from('k'), value: Buffer.from([0, 0, 0, 0, 3, 0x7b, 0x7d]) };
const roomOf = (topic: string) => (topic === 'p.rooms.births' ? 'room_1' : '');

describe('dead-letter records → index rows', () => {
  it('a dispatcher dead letter gives its subscription, reason, last error, status, attempts and source', () => {
    const headers = {
      ...event,
      'rc-dlq-subscription': 'sub_1',
      'rc-dlq-reason': 'rejected',
      'rc-dlq-detail': 'HTTP 400',
      'rc-dlq-attempts': '3',
      'rc-dlq-status': '400',
      'rc-dlq-source': 'p.rooms.births/0/99',
      'rc-dlq-time': '2026-12-06T10:04:00.000Z',
    };
    expect(deadLetterEntry({ ...base, headers }, roomOf)).toEqual({
      topic: 'p.dead-letter',
      partition: 1,
      offset: '17',
      deadLetteredAt: new Date('2026-12-06T10:04:00.000Z'),
      subscriptionId: 'sub_1',
      roomId: 'room_1',
      mode: 'push',
      eventId: ID,
      eventType: 'newBirth',
      publisher: 'DEV/GOV/MOH/clinic-a',
      publishedAt: new Date('2026-12-06T10:00:00.000Z'),
      classification: 'PUBLIC',
      reason: 'rejected',
      detail: 'HTTP 400',
      attempts: 3,
      httpStatus: 400,
      sourceTopic: 'p.rooms.births',
      sourcePartition: 0,
      sourceOffset: '99',
    });
    // Dead letters written before rc-dlq-status existed take the status from the last error.
    const { 'rc-dlq-status': _, ...older } = headers;
    expect(deadLetterEntry({ ...base, headers: older }, roomOf)?.httpStatus).toBe(400);
  });

  it('a pull dead letter has its own header names and the record time', () => {
    const headers = { ...event, 'rc-subscription': 'sub_2', 'rc-dead-reason': 'max_deliveries', 'rc-source-topic': 'p.rooms.births', 'rc-source-partition': '1', 'rc-source-offset': '5' };
    expect(deadLetterEntry({ ...base, headers }, roomOf)).toMatchObject({ subscriptionId: 'sub_2', mode: 'pull', reason: 'max_deliveries', detail: null, attempts: null, httpStatus: null, deadLetteredAt: new Date('2026-12-06T10:05:00Z'), sourceOffset: '5' });
  });

  it('a record without a subscription, a source or event headers gives no row', () => {
    expect(deadLetterEntry({ ...base, headers: event }, roomOf)).toBeUndefined();
    expect(deadLetterEntry({ ...base, headers: { ...event, 'rc-dlq-subscription': 'sub_1' } }, roomOf)).toBeUndefined();
    expect(deadLetterEntry({ ...base, headers: { 'rc-dlq-subscription': 'sub_1', 'rc-dlq-source': 't/0/1' } }, roomOf)).toBeUndefined();
  });
});

describe('what stops a dead letter from being redriven', () => {
  const room = { id: 'room_1', keys: [] };
  const row = { room_id: 'room_1', event_type: 'newBirth', event_id: ID } as unknown as DeadLetterRow;
  const index = (types: string[]) =>
    ({ roomById: (id: string) => (id === 'room_1' ? room : undefined), eventType: (_: unknown, name: string) => (types.includes(name) ? { name } : undefined) }) as unknown as RoutingIndex;
  const rec = (headers: IHeaders) => ({ topic: 'p.dead-letter', partition: 1, offset: '17', key: null, value: base.value, headers, timestamp: base.timestamp });

  it('nothing, for a readable record of a live event type', () => {
    expect(redriveProblem(index(['newBirth']), undefined, row, rec(event))).toBeUndefined();
  });

  it('a deleted room or event type, a record gone, or a payload that no longer opens', () => {
    expect(redriveProblem(index(['newBirth']), undefined, { ...row, room_id: 'room_gone' }, rec(event))).toBe('room_gone');
    expect(redriveProblem(index([]), undefined, row, rec(event))).toBe('event_type_gone');
    expect(redriveProblem(index(['newBirth']), undefined, row, undefined)).toBe('record_gone');
    // Sealed under a data key this process does not have.
    expect(redriveProblem(index(['newBirth']), undefined, row, rec({ ...event, 'rc-key-id': 'dk_gone' }))).toBe('undecryptable');
  });
});
