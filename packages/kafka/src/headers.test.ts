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
    expect(names.roomTopic(room)).toBe('rc.rooms.DEV.GOV.MOH.births');
    expect(names.urgentTopic(room)).toBe('rc.rooms.DEV.GOV.MOH.births.urgent');
    expect(names.legacyRoomTopic(room)).toBe('rc.room.DEV.GOV.MOH.births');
    expect(names.topicsOfRoom(room, null)).toEqual({ topic: 'rc.room.DEV.GOV.MOH.births', urgentTopic: 'rc.room.DEV.GOV.MOH.births.urgent' });
    expect(names.topicsOfRoom(room, 'rc.rooms.DEV.GOV.MOH.births')).toEqual({ topic: 'rc.rooms.DEV.GOV.MOH.births', urgentTopic: 'rc.rooms.DEV.GOV.MOH.births.urgent' });
    expect(names.subscriptionGroup('sub_1')).toBe('rc.sub.sub_1');
    expect(kafkaNames('t42').deadLetterTopic()).toBe('t42.dead-letter');
  });
  it('names distinct rooms with topics distinct even where Kafka treats . and _ alike', () => {
    const kafkaKey = (topic: string) => topic.replaceAll('.', '_');
    const a = names.roomTopic({ instance: 'DEV', memberClass: 'GOV', memberCode: 'SECA', room: 'B_C' });
    const b = names.roomTopic({ instance: 'DEV', memberClass: 'GOV', memberCode: 'SECA_B', room: 'C' });
    expect(kafkaKey(names.legacyRoomTopic({ instance: 'DEV', memberClass: 'GOV', memberCode: 'SECA', room: 'B_C' }))).toBe(
      kafkaKey(names.legacyRoomTopic({ instance: 'DEV', memberClass: 'GOV', memberCode: 'SECA_B', room: 'C' })),
    );
    expect([a, b]).toEqual(['rc.rooms.DEV.GOV.SECA.B-uC', 'rc.rooms.DEV.GOV.SECA-uB.C']);
    expect(kafkaKey(a)).not.toBe(kafkaKey(b));
    // Every combination of -, _ and letters over two segments: no two addresses share a name.
    const parts = ['a', 'a-', 'a_', 'a-u', 'a--', 'a_u', 'a-_', 'a_-', 'a-u-', 'a_u_', 'u'];
    const seen = new Map<string, string>();
    for (const m of parts) {
      for (const r of parts) {
        const key = kafkaKey(names.roomTopic({ instance: 'I', memberClass: 'C', memberCode: m, room: r }));
        expect(seen.get(key), `${m}/${r}`).toBeUndefined();
        seen.set(key, `${m}/${r}`);
      }
    }
  });
  it('names a room whose name would be too long for Kafka by a digest', () => {
    const long = { instance: 'DEV', memberClass: 'G'.repeat(63), memberCode: 'M_'.repeat(31), room: 'r_'.repeat(31) };
    const topic = names.roomTopic(long);
    expect(topic).toMatch(/^rc\.rooms\.h\.[0-9a-f]{40}$/);
    expect(names.urgentTopic(long)).toBe(`${topic}.urgent`);
    expect(names.roomTopic({ ...long, room: 'r-'.repeat(31) })).not.toBe(topic);
    const short = names.roomTopic({ ...long, room: 'x' });
    expect(short.length + '.urgent'.length).toBeLessThanOrEqual(249);
  });
  it('refuses prefixes that are not safe in topic names', () => {
    expect(() => kafkaNames('bad prefix')).toThrow(/invalid/);
    expect(() => kafkaNames('a/b')).toThrow(/invalid/);
  });
});
