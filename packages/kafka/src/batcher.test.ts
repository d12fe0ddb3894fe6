import type { RecordMetadata, TopicMessages } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { type BatcherOptions, BatcherClosedError, BatcherOverloadedError, ProduceBatcher, RECORD_BATCH_OVERHEAD, RecordTooLargeError, recordBytes } from './batcher.ts';

/** A fake broker: partitions by key length like a partitioner would (stamping `partition`), appends, answers base offsets. */
function fakeKafka(partitions = 2) {
  const logs = new Map<string, string[]>();
  const calls: TopicMessages[][] = [];
  let gate: Promise<void> | null = null;
  let open: (() => void) | null = null;
  let failNext: Error | null = null;
  const send = async (topicMessages: TopicMessages[]): Promise<RecordMetadata[]> => {
    calls.push(topicMessages);
    if (gate) await gate;
    if (failNext) {
      const err = failNext;
      failNext = null;
      throw err;
    }
    const answer: RecordMetadata[] = [];
    for (const { topic, messages } of topicMessages) {
      const bases = new Map<number, number>();
      for (const m of messages) {
        const partition = m.key ? String(m.key).length % partitions : 0;
        m.partition = partition;
        const slot = `${topic}/${partition}`;
        const log = logs.get(slot) ?? [];
        logs.set(slot, log);
        if (!bases.has(partition)) bases.set(partition, log.length);
        log.push(String(m.value));
      }
      for (const [partition, base] of bases) answer.push({ topicName: topic, partition, errorCode: 0, baseOffset: String(base) });
    }
    return answer;
  };
  return {
    send,
    calls,
    logs,
    hold() {
      gate = new Promise((r) => {
        open = r;
      });
    },
    release() {
      gate = null;
      open?.();
    },
    failOnce(err: Error) {
      failNext = err;
    },
  };
}

function batcher(k: ReturnType<typeof fakeKafka>, o: Partial<BatcherOptions> = {}) {
  const flushes: { records: number; ok: boolean }[] = [];
  const b = new ProduceBatcher({
    send: k.send,
    lingerMs: 5,
    maxBatchRecords: 100,
    maxBatchBytes: 1_000_000,
    maxQueuedRecords: 1000,
    maxQueuedBytes: 10_000_000,
    onFlush: (f) => flushes.push({ records: f.records, ok: f.ok }),
    ...o,
  });
  return { b, flushes };
}

const msg = (key: string, value: string) => ({ key, value: Buffer.from(value) });

describe('ProduceBatcher', () => {
  it('gathers concurrent records into one send and gives each caller its own partition and offset', async () => {
    const k = fakeKafka();
    const { b, flushes } = batcher(k);
    const results = await Promise.all([
      b.add('t1', msg('a', 'v1')),
      b.add('t1', msg('bb', 'v2')),
      b.add('t2', msg('a', 'v3')),
      b.add('t1', msg('c', 'v4')),
      b.add('t1', msg('dd', 'v5')),
    ]);
    expect(k.calls).toHaveLength(1);
    expect(k.calls[0]?.map((t) => [t.topic, t.messages.length])).toEqual([
      ['t1', 4],
      ['t2', 1],
    ]);
    expect(results).toEqual([
      { topic: 't1', partition: 1, offset: '0' },
      { topic: 't1', partition: 0, offset: '0' },
      { topic: 't2', partition: 1, offset: '0' },
      { topic: 't1', partition: 1, offset: '1' },
      { topic: 't1', partition: 0, offset: '1' },
    ]);
    // Each offset points at that caller's own record.
    expect(k.logs.get('t1/1')).toEqual(['v1', 'v4']);
    expect(k.logs.get('t1/0')).toEqual(['v2', 'v5']);
    expect(flushes).toEqual([{ records: 5, ok: true }]);
  });

  it('offsets continue across flushes', async () => {
    const k = fakeKafka();
    const { b } = batcher(k, { lingerMs: 0 });
    await b.add('t', msg('a', 'x'));
    const second = await b.add('t', msg('a', 'y'));
    expect(second).toEqual({ topic: 't', partition: 1, offset: '1' });
    expect(k.calls).toHaveLength(2);
  });

  it('waits for the linger before sending a partial batch', async () => {
    const k = fakeKafka();
    const { b } = batcher(k, { lingerMs: 30 });
    const started = performance.now();
    const p = b.add('t', msg('a', 'x'));
    await new Promise((r) => setTimeout(r, 10));
    expect(k.calls).toHaveLength(0);
    await p;
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(k.calls).toHaveLength(1);
  });

  it('sends at once when a full batch is waiting, by record count or by bytes', async () => {
    const k = fakeKafka();
    const { b } = batcher(k, { lingerMs: 10_000, maxBatchRecords: 3 });
    const all = [b.add('t', msg('a', '1')), b.add('t', msg('a', '2')), b.add('t', msg('a', '3'))];
    expect(k.calls).toHaveLength(1);
    await Promise.all(all);

    const k2 = fakeKafka();
    const { b: b2 } = batcher(k2, { lingerMs: 10_000, maxBatchBytes: 2500 });
    const big = 'x'.repeat(1000);
    const first = [b2.add('t', msg('a', big)), b2.add('t', msg('a', big)), b2.add('t', msg('a', big))];
    // Three records exceed 2500 bytes: the flush takes the two that fit; the third lingers.
    expect(k2.calls).toHaveLength(1);
    expect(k2.calls[0]?.[0]?.messages).toHaveLength(2);
    await Promise.all(first.slice(0, 2));
    expect(b2.queued).toBe(1);
  });

  it('gathers the next batch while one is in flight, and sends it only after the first is answered', async () => {
    const k = fakeKafka();
    const { b } = batcher(k, { lingerMs: 0 });
    k.hold();
    const first = b.add('t', msg('a', '1'));
    await new Promise((r) => setImmediate(r));
    expect(k.calls).toHaveLength(1);
    const next = [b.add('t', msg('a', '2')), b.add('t', msg('a', '3')), b.add('t', msg('a', '4'))];
    await new Promise((r) => setTimeout(r, 20));
    expect(k.calls).toHaveLength(1); // one request in flight at a time
    k.release();
    const results = await Promise.all([first, ...next]);
    expect(k.calls).toHaveLength(2);
    expect(k.calls[1]?.[0]?.messages).toHaveLength(3);
    // Same key, same partition, in the order added.
    expect(results.map((r) => r.offset)).toEqual(['0', '1', '2', '3']);
    expect(k.logs.get('t/1')).toEqual(['1', '2', '3', '4']);
  });

  it('rejects every caller of a failed batch, and later batches still succeed', async () => {
    const k = fakeKafka();
    const { b, flushes } = batcher(k);
    k.failOnce(new Error('broker down'));
    const settled = await Promise.allSettled([b.add('t', msg('a', '1')), b.add('t', msg('b', '2'))]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect((settled[0] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
    await expect(b.add('t', msg('a', '3'))).resolves.toMatchObject({ partition: 1, offset: '0' });
    expect(flushes.map((f) => f.ok)).toEqual([false, true]);
  });

  it('refuses at once when too many records are waiting, without sending them', async () => {
    const k = fakeKafka();
    const { b } = batcher(k, { lingerMs: 0, maxQueuedRecords: 2 });
    k.hold();
    const inFlight = b.add('t', msg('a', '1'));
    await new Promise((r) => setImmediate(r));
    const waiting = [b.add('t', msg('a', '2')), b.add('t', msg('a', '3'))];
    await expect(b.add('t', msg('a', '4'))).rejects.toBeInstanceOf(BatcherOverloadedError);
    k.release();
    await Promise.all([inFlight, ...waiting]);
    expect(k.logs.get('t/1')).toEqual(['1', '2', '3']);
  });

  it('refuses by queued bytes too', async () => {
    const k = fakeKafka();
    const { b } = batcher(k, { lingerMs: 10_000, maxQueuedBytes: 1500 });
    const first = b.add('t', msg('a', 'x'.repeat(1000)));
    await expect(b.add('t', msg('a', 'y'.repeat(1000)))).rejects.toBeInstanceOf(BatcherOverloadedError);
    expect(b.queued).toBe(1);
    await b.close();
    await expect(first).resolves.toMatchObject({ offset: '0' });
  });

  it('refuses a record larger than maxRecordBytes at once, sending nothing, while others go on', async () => {
    const k = fakeKafka();
    const { b } = batcher(k, { lingerMs: 0, maxRecordBytes: 2000 });
    const big = msg('a', 'x'.repeat(2000));
    const refused = b.add('t', big);
    await expect(refused).rejects.toBeInstanceOf(RecordTooLargeError);
    await expect(refused).rejects.toMatchObject({ bytes: recordBytes(big) + RECORD_BATCH_OVERHEAD, limit: 2000 });
    const fits = msg('a', 'y'.repeat(2000 - RECORD_BATCH_OVERHEAD - recordBytes(msg('a', ''))));
    await expect(b.add('t', fits)).resolves.toMatchObject({ offset: '0' });
    expect(k.calls.flat().flatMap((c) => c.messages).map((m) => String(m.value).slice(0, 1))).toEqual(['y']);
  });

  it('rejects a caller whose partition the answer does not name', async () => {
    const { b } = batcher(fakeKafka(), {
      lingerMs: 0,
      send: async () => [{ topicName: 't', partition: 0, errorCode: 0, baseOffset: '7' }],
    });
    await expect(b.add('t', msg('a', '1'))).rejects.toThrow(/without an offset/);
  });

  it('close() sends what waits and refuses later records', async () => {
    const k = fakeKafka();
    const { b } = batcher(k, { lingerMs: 10_000 });
    const p = b.add('t', msg('a', '1'));
    await b.close();
    await expect(p).resolves.toMatchObject({ offset: '0' });
    await expect(b.add('t', msg('a', '2'))).rejects.toBeInstanceOf(BatcherClosedError);
  });
});
