import { describe, expect, it } from 'vitest';
import { lostProducerSequence } from './client.ts';

describe('lost producer sequence', () => {
  it('is recognised on the error or on what it wraps', () => {
    expect(lostProducerSequence({ type: 'OUT_OF_ORDER_SEQUENCE_NUMBER' })).toBe(true);
    expect(lostProducerSequence(Object.assign(new Error('retries exceeded'), { originalError: { type: 'UNKNOWN_PRODUCER_ID' } }))).toBe(true);
    expect(lostProducerSequence(Object.assign(new Error('non retriable'), { cause: { type: 'INVALID_PRODUCER_EPOCH' } }))).toBe(true);
  });

  it('is not every Kafka error', () => {
    expect(lostProducerSequence({ type: 'NOT_ENOUGH_REPLICAS' })).toBe(false);
    expect(lostProducerSequence(new Error('timeout'))).toBe(false);
    expect(lostProducerSequence(undefined)).toBe(false);
  });
});
