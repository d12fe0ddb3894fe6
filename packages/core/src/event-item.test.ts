import { describe, expect, it } from 'vitest';
import { EVENT_ITEM_SCHEMA, type EventItemInput, eventItemFields, eventItemText } from './event-item.ts';

const base: EventItemInput = {
  id: '0193a1b2-0000-7000-8000-000000000001',
  offset: '41',
  partition: 2,
  publisher: 'DEV/GOV/MOH/clinic-a',
  eventType: 'birth',
  time: '2026-12-07T10:00:00.000Z',
};

describe('event item', () => {
  it('writes the GovStack fields with the publisher split into publisherId, and splices the payload in as text', () => {
    const text = eventItemText(base, '{"weight":3200,"nested":{"a":[1,2]}}');
    expect(JSON.parse(text)).toEqual({
      id: base.id,
      sequence: 41,
      partition: 2,
      publisherId: { instanceId: 'DEV', memberClass: 'GOV', memberCode: 'MOH', applicationCode: 'clinic-a' },
      eventType: 'birth',
      time: base.time,
      event: { weight: 3200, nested: { a: [1, 2] } },
    });
    expect(text.endsWith(',"event":{"weight":3200,"nested":{"a":[1,2]}}}')).toBe(true);
  });

  it('leaves out what a view does not carry, keeps a null key, and drops an unparsable publisher', () => {
    expect(Object.keys(eventItemFields({ ...base, key: null, room: 'DEV/GOV/MOH/births' }))).toEqual(['id', 'sequence', 'partition', 'publisherId', 'eventType', 'room', 'key', 'time']);
    expect(eventItemFields({ ...base, publisher: 'not a client id' }).publisherId).toBeUndefined();
    expect('key' in eventItemFields(base)).toBe(false);
  });

  it('describes in its schema every field the builder can write, and requires only what every view writes', () => {
    const all = eventItemFields({
      ...base,
      room: 'DEV/GOV/MOH/births',
      lane: 'urgent',
      key: 'k',
      priority: 'HIGH',
      status: 'PUBLISHED',
      deliveryCount: 1,
      leaseExpiresAt: base.time,
      receipt: 'r',
    });
    const described = Object.keys(EVENT_ITEM_SCHEMA.properties);
    expect([...Object.keys(all), 'event'].sort()).toEqual([...described].sort());
    for (const field of EVENT_ITEM_SCHEMA.required) expect(Object.keys(eventItemFields(base))).toContain(field);
  });
});
