import { createLogger } from '@roomcast/core';
import type { FetchedRecord, FetchResult, GrouplessReader, PartitionPosition } from '@roomcast/kafka';
import type { RoomRoute } from '@roomcast/routing';
import { describe, expect, it } from 'vitest';
import { decodeCursor } from './cursor.ts';
import { DEFAULT_STREAM_SETTINGS, EventStream, type StreamSettings } from './event-stream.ts';

const room = { id: 'room_1', topic: 't', urgentTopic: 't.urgent', partitions: 2 } as RoomRoute;

/** A reader over an endless topic: every fetch answers `perFetch` records of each partition asked. */
function fakeReader(perFetch: number, typeOf: (offset: number) => string = () => 'wanted') {
  const calls: PartitionPosition[][] = [];
  const reader = {
    closed: false,
    async fetch(positions: PartitionPosition[]): Promise<FetchResult> {
      calls.push(positions);
      await new Promise((r) => setTimeout(r, 1));
      const records: FetchedRecord[] = [];
      const next = positions.map((p) => {
        const from = Number(p.offset);
        for (let o = from; o < from + perFetch; o++) {
          records.push({ topic: p.topic, partition: p.partition, offset: String(o), key: null, value: Buffer.from(typeOf(o)), headers: {}, timestamp: '0' });
        }
        return { ...p, offset: String(from + perFetch) };
      });
      return { records, positions: next };
    },
    async close() {
      reader.closed = true;
    },
  };
  return { reader, calls };
}

function streamOf(reader: unknown, settings: Partial<StreamSettings> = {}) {
  return new EventStream({
    reader: reader as GrouplessReader,
    room,
    start: { normal: [0n, 0n], urgent: [0n, 0n] },
    settings: { ...DEFAULT_STREAM_SETTINGS, ...settings },
    prepare: (r) => (r.value?.toString() === 'wanted' ? { data: JSON.stringify({ at: `${r.topic}/${r.partition}/${r.offset}` }), publisher: 'p', eventId: r.offset, publishedAt: '2026-12-06T10:00:00.000Z' } : undefined),
    logger: createLogger({ level: 'silent' }),
  });
}

describe('EventStream', () => {
  it('stops reading when its buffer is full, and ends a reader that stays slow', async () => {
    const { reader, calls } = fakeReader(10);
    const s = streamOf(reader, { bufferEvents: 50, slowReaderMs: 150 });
    s.start();
    expect(await s.ended).toBe('slow_reader');
    // One fetch brings 40 records (4 partitions × 10): the buffer stopped at its bound + one fetch.
    expect(s.peakBufferedEvents).toBeLessThanOrEqual(50 + 40);
    expect(calls.length).toBeLessThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 20));
    expect(reader.closed).toBe(true);
    expect(s.bufferedEvents).toBe(0);
  });

  it('keeps reading for a reader that keeps up', async () => {
    const { reader } = fakeReader(5);
    const s = streamOf(reader, { bufferEvents: 50, slowReaderMs: 150 });
    s.start();
    let n = 0;
    const until = Date.now() + 400;
    while (Date.now() < until) {
      const item = await s.next();
      if (item?.kind === 'event') n++;
    }
    expect(s.endReason).toBeUndefined();
    expect(n).toBeGreaterThan(100);
    s.end('client_closed');
    expect(await s.next()).toBeUndefined();
  });

  it('gives each event the cursor of everything up to it, urgent lane first, passed-over records included', async () => {
    // Odd offsets are another event type: passed over, but the cursor moves past them.
    const { reader } = fakeReader(2, (o) => (o % 2 === 0 ? 'wanted' : 'other'));
    const s = streamOf(reader);
    s.start();
    const first = await s.next();
    const second = await s.next();
    s.end('client_closed');
    if (first?.kind !== 'event' || second?.kind !== 'event') throw new Error('expected events');
    expect(JSON.parse(first.data)).toEqual({ at: 't.urgent/0/0' });
    expect(decodeCursor(first.id, room.id, { normal: 2, urgent: 2 }, '/x')).toEqual({ normal: [0n, 0n], urgent: [1n, 0n] });
    // The second event (urgent/1/0) comes after urgent/0/1, passed over: its cursor counts it.
    expect(JSON.parse(second.data)).toEqual({ at: 't.urgent/1/0' });
    expect(decodeCursor(second.id, room.id, { normal: 2, urgent: 2 }, '/x')).toEqual({ normal: [0n, 0n], urgent: [2n, 1n] });
  });

  it('sends a heartbeat when nothing came for heartbeatMs', async () => {
    const idle = {
      fetch: async (p: PartitionPosition[]) => {
        await new Promise((r) => setTimeout(r, 20));
        return { records: [], positions: p };
      },
      close: async () => {},
    };
    const s = streamOf(idle, { heartbeatMs: 50 });
    s.start();
    const started = Date.now();
    expect(await s.next()).toEqual({ kind: 'heartbeat' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    s.end('max_duration');
    expect(await s.ended).toBe('max_duration');
  });
});
