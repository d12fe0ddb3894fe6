/**
 * Bare-producer baseline: the same Kafka client and durability settings as the publish path
 * (kafkajs through @roomcast/kafka, idempotent, maxInFlightRequests 1, acks=all) sending one
 * record per send() to a fresh 2-partition topic, with the record the publish path would write.
 */
import type { Logger } from '@roomcast/core';
import { ACKS_ALL, createDurableProducer, createKafka, deleteTopics, encodeHeaders, ensureTopics } from '@roomcast/kafka';
import { encodeWire } from '@roomcast/registry';

export interface BareProducer {
  topic: string;
  /** Sends one record and resolves once the broker acknowledged it with acks=all. */
  send(): Promise<boolean>;
  /** Sends `n` such records in one acks=all request (one `sendBatch`, as the ingress's batcher does) and resolves once acknowledged. */
  sendBatch(n: number): Promise<boolean>;
  /** Disconnects and deletes the topic. */
  close(): Promise<void>;
}

/** The event headers a publish of the demo event writes (kafkajs shape), for the bench's bare records. */
export function benchEventHeaders() {
  return encodeHeaders({
    id: '019a0000-0000-7000-8000-000000000000',
    eventType: 'newBirth',
    publisher: 'DEV/GOV/MOH/clinic-a',
    time: new Date().toISOString(),
    priority: 'NORMAL',
    classification: 'INTERNAL',
    schemaId: 1,
  });
}

export async function startBareProducer(o: { brokers: string[]; topic: string; event: unknown; key: string; logger: Logger }): Promise<BareProducer> {
  const kafka = createKafka({ brokers: o.brokers, clientId: 'roomcast-bench', logger: o.logger });
  await ensureTopics(kafka, [{ topic: o.topic, partitions: 2 }]);
  const producer = createDurableProducer(kafka);
  await producer.connect();
  // Same framing as a publish: Confluent wire header (magic byte + schema id) + JSON payload.
  const value = encodeWire(1, Buffer.from(JSON.stringify(o.event)));
  const headers = benchEventHeaders();
  return {
    topic: o.topic,
    async send() {
      await producer.send({ topic: o.topic, acks: ACKS_ALL, messages: [{ key: o.key, value, headers }] });
      return true;
    },
    async sendBatch(n: number) {
      const messages = Array.from({ length: n }, () => ({ key: o.key, value, headers }));
      await producer.sendBatch({ topicMessages: [{ topic: o.topic, messages }], acks: ACKS_ALL });
      return true;
    },
    async close() {
      await producer.disconnect();
      await deleteTopics(kafka, [o.topic]);
    },
  };
}
