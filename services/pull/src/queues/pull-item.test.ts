import { encodeHeaders } from '@roomcast/kafka';
import type { RoomRoute } from '@roomcast/routing';
import { describe, expect, it } from 'vitest';
import { eventItemText, fromBlob, toBlob } from './pull-item.ts';
import { entryId, parseEntry } from './queue-store.ts';

const room: RoomRoute = {
  id: 'room_1',
  address: { instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'births' },
  topic: 't',
  urgentTopic: 't.urgent',
  partitions: 2,
  eventTypes: [],
};
const headers = { id: '0f0e0d0c-0000-4000-8000-000000000001', eventType: 'newBirth', publisher: 'DEV/GOV/MOH/clinic-a', time: '2026-11-22T10:00:00.000Z', priority: 'HIGH', classification: 'INTERNAL', schemaId: 7 };

describe('pull items', () => {
  it('keeps the record as Kafka has it in the blob (headers, key, framed value)', () => {
    const value = Buffer.from([0, 0, 0, 0, 7, ...Buffer.from('{"a":1}')]);
    const blob = fromBlob(toBlob({ headers: encodeHeaders(headers), key: Buffer.from('k1'), value, partition: 1, offset: '42' }));
    expect(blob).toMatchObject({ k: 'k1', p: 1, o: '42', h: { 'rc-id': headers.id, 'rc-schema-id': '7' } });
    expect(Buffer.from(blob.v, 'base64').equals(value)).toBe(true);
  });

  it('renders a GovStack EventItem with the payload spliced in, plus lease fields', () => {
    const text = eventItemText(room, { headers, key: 'k1', partition: 1, offset: '42', payload: '{"a":1}', deliveryCount: 2, leaseExpiresAt: Date.parse('2026-11-22T10:00:30Z'), receipt: 'r' });
    expect(JSON.parse(text)).toEqual({
      id: headers.id,
      sequence: 42,
      partition: 1,
      publisherId: { instanceId: 'DEV', memberClass: 'GOV', memberCode: 'MOH', applicationCode: 'clinic-a' },
      eventType: 'newBirth',
      room: 'DEV/GOV/MOH/births',
      key: 'k1',
      time: headers.time,
      priority: 'HIGH',
      deliveryCount: 2,
      leaseExpiresAt: '2026-11-22T10:00:30.000Z',
      receipt: 'r',
      event: { a: 1 },
    });
  });

  it('names entries by lane, partition and offset, and parses only well-formed names', () => {
    expect(entryId('u', 3, '17')).toBe('u3:17');
    expect(parseEntry('u3:17')).toEqual({ lane: 'u', partition: 3, offset: '17' });
    for (const bad of ['x3:17', 'u:17', 'u3:', 'u3:1a', 'n0:1:2']) expect(parseEntry(bad)).toBeUndefined();
  });
});
