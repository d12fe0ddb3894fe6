/**
 * Bare-gateway baseline: bare Hono on @hono/node-server that parses the JSON body and produces
 * it with the project's Kafka client (idempotent, acks=all), gathering concurrent sends the way
 * the ingress does (one `ProduceBatcher` with the same batching settings), and answers 201 with
 * the id once Kafka has the record. What the publish path does minus authentication, contract,
 * schema validation, rate limits and idempotency.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@roomcast/core';
import { ACKS_ALL, type BatcherOptions, createDurableProducer, createKafka, deleteTopics, encodeHeaders, ensureTopics, ProduceBatcher } from '@roomcast/kafka';
import { encodeWire } from '@roomcast/registry';
import { Hono } from 'hono';
import { serveOnLoopback } from './http.ts';

export interface BareGateway {
  url: string;
  close(): Promise<void>;
}

export type GatewayBatching = Pick<BatcherOptions, 'lingerMs' | 'maxBatchRecords' | 'maxBatchBytes' | 'maxQueuedRecords' | 'maxQueuedBytes'>;

export async function startBareGateway(o: { brokers: string[]; topic: string; batching: GatewayBatching; logger: Logger }): Promise<BareGateway> {
  const kafka = createKafka({ brokers: o.brokers, clientId: 'roomcast-bench-gateway', logger: o.logger });
  await ensureTopics(kafka, [{ topic: o.topic, partitions: 2 }]);
  const producer = createDurableProducer(kafka);
  await producer.connect();
  const batcher = new ProduceBatcher({ ...o.batching, send: (topicMessages) => producer.sendBatch({ topicMessages, acks: ACKS_ALL }) });
  const app = new Hono();
  app.post('/gw', async (c) => {
    const body = (await c.req.json()) as { eventType: string; event: Record<string, unknown> };
    const id = randomUUID();
    const headers = encodeHeaders({
      id,
      eventType: body.eventType,
      publisher: 'DEV/GOV/MOH/clinic-a',
      time: new Date().toISOString(),
      priority: 'NORMAL',
      classification: 'INTERNAL',
      schemaId: 1,
    });
    const r = await batcher.add(o.topic, { key: String(body.event.motherId ?? id), value: encodeWire(1, Buffer.from(JSON.stringify(body.event))), headers });
    return c.json({ id, partition: r.partition, sequence: Number(r.offset) }, 201);
  });
  const server = await serveOnLoopback(app);
  return {
    url: server.url,
    async close() {
      await server.close();
      await batcher.close();
      await producer.disconnect();
      await deleteTopics(kafka, [o.topic]);
    },
  };
}
