import { describe, expect, it } from 'vitest';
import { decodeHeaders, encodeHeaders, type EventHeaders } from './headers.ts';
import { kafkaNames } from './names.ts';

describe('event headers', () => {
  const h: EventHeaders = {
    id: '0190a5b2-0000-7000-8000-000000000000',
    eventType: 'newBirth',
    publisher: 'DEV/GOV/MOH/clinic',
    time: '2026-11-22T10:00:00.000Z',
    priority: 'HIGH',
    classification: 'PHI',
    schemaId: 12,
    keyId: 'k1',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  };

  it('round-trips through Kafka header bytes', () => {
    const wire = Object.fromEntries(Object.entries(encodeHeaders(h)).map(([k, v]) => [k, Buffer.from(String(v))]));
    expect(decodeHeaders(wire)).toEqual(h);
  });

  it('rejects records missing a required header', () => {
    const { 'rc-id': _dropped, ...rest } = encodeHeaders(h) as Record<string, string>;
    expect(decodeHeaders(rest)).toBeUndefined();
    expect(decodeHeaders(undefined)).toBeUndefined();
  });
});

describe('kafka names', () => {
  const names = kafkaNames('rc');
  const room = { instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'births' };
  it('derives every name from one prefix', () => {
    expect(names.roomTopic(room)).toBe('rc.room.DEV.GOV.MOH.births');
    expect(names.urgentTopic(room)).toBe('rc.room.DEV.GOV.MOH.births.urgent');
    expect(names.subscriptionGroup('sub_1')).toBe('rc.sub.sub_1');
    expect(kafkaNames('t42').deadLetterTopic()).toBe('t42.dead-letter');
  });
  it('refuses prefixes that are not safe in topic names', () => {
    expect(() => kafkaNames('bad prefix')).toThrow(/invalid/);
    expect(() => kafkaNames('a/b')).toThrow(/invalid/);
  });
});
