import { hashApiKey, RoomcastError, silentLogger } from '@roomcast/core';
import { ApiRouter, type Principal, problemErrorHandler, requestId } from '@roomcast/http';
import type { EventTypeRoute, RoomRoute } from '@roomcast/routing';
import { Hono } from 'hono';
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import type { ByteBudget } from './byte-budget.ts';
import { IngressMetrics } from './metrics.ts';
import type { PublishInput, PublishPipeline, PublishResult } from './pipeline.ts';
import { publishRoutes } from './publish.ts';

const PUBLISHER = 'DEV/GOV/MOH/clinic';
const ID = '0193a5f1-2b3c-7d4e-8f60-123456789abc';
const PATH = '/r1/DEV/GOV/MOH/births/pub/v1/newBirth';
const room: RoomRoute = {
  id: 'room_1',
  address: { instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'births' },
  topic: 'rc.births',
  urgentTopic: 'rc.births.urgent',
  partitions: 3,
  eventTypes: [],
};
const type: EventTypeRoute = { name: 'newBirth', schemaId: 4, keyPointer: null, classification: 'INTERNAL', priority: 'NORMAL' };

const principals: Record<string, Principal> = {
  [hashApiKey('app-key')]: { role: 'APPLICATION', clientId: PUBLISHER },
  [hashApiKey('admin-key')]: { role: 'MEMBER_ADMIN', member: 'DEV/GOV/MOH' },
};

/** The route over a pipeline fake: `resolve` finds the room, `publish` answers what the test scripts. */
function build(publish: (input: PublishInput) => Promise<PublishResult>) {
  const metrics = new IngressMetrics(new Registry());
  const pipeline = {
    deps: { metrics },
    resolve: vi.fn((_publisher: string, address: RoomRoute['address']) => {
      if (address.room !== 'births') throw new RoomcastError('room.not_found');
      return { room, type };
    }),
    publish: vi.fn(publish),
  };
  const byteBudget = { charge: vi.fn() };
  const router = new ApiRouter({ resolve: (hash) => principals[hash] });
  publishRoutes(router, { pipeline: pipeline as unknown as PublishPipeline, bodyLimit: 64 * 1024, byteBudget: byteBudget as unknown as ByteBudget });
  const app = new Hono();
  app.use(requestId());
  app.onError(problemErrorHandler(silentLogger));
  app.route('/', router.hono());
  return { app, pipeline, byteBudget, metrics };
}

const post = (app: Hono, body: string, headers: Record<string, string> = {}, path = PATH) =>
  app.request(path, {
    method: 'POST',
    body,
    headers: { authorization: 'Bearer app-key', 'x-govstack-client': PUBLISHER, 'content-type': 'application/json', ...headers },
  });

const event = JSON.stringify({ eventType: 'newBirth', event: { weight: 3200 } });

describe('publish route', () => {
  it('answers 201 with the id, partition and sequence once the pipeline has the event stored', async () => {
    const { app, pipeline, byteBudget } = build(async () => ({ id: ID, partition: 2, sequence: 41 }));
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const res = await post(app, event, { traceparent, 'idempotency-key': ID });

    expect(res.status).toBe(201);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect(await res.json()).toEqual({ id: ID, partition: 2, sequence: 41 });
    expect(pipeline.publish).toHaveBeenCalledWith({
      publisher: PUBLISHER,
      address: room.address,
      pathType: 'newBirth',
      body: { eventType: 'newBirth', event: { weight: 3200 } },
      traceparent,
      idempotencyKey: ID,
    });
    // The body is charged to the publisher's byte budget in the room it resolved.
    expect(byteBudget.charge).toHaveBeenCalledWith(PUBLISHER, 'room_1', Buffer.byteLength(event));
  });

  it('answers a replayed id with 200, Idempotent-Replayed and the original result, without the replayed flag in the body', async () => {
    const { app } = build(async () => ({ id: ID, partition: 0, sequence: 9, replayed: true }));
    const res = await post(app, event);

    expect(res.status).toBe(200);
    expect(res.headers.get('idempotent-replayed')).toBe('true');
    expect(await res.json()).toEqual({ id: ID, partition: 0, sequence: 9 });
  });

  it("answers the pipeline's refusals as problem+json with their status, code and headers", async () => {
    const kafka = build(async () => {
      throw new RoomcastError('publish.kafka_unavailable', { headers: { 'retry-after': '3' } });
    });
    const unavailable = await post(kafka.app, event);
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('content-type')).toBe('application/problem+json');
    expect(unavailable.headers.get('retry-after')).toBe('3');
    expect(await unavailable.json()).toMatchObject({ status: 503, code: 'publish.kafka_unavailable' });

    const large = build(async () => {
      throw new RoomcastError('publish.event_too_large', { errors: [{ pointer: '/event', message: 'must take at most 1048576 bytes as a Kafka record' }] });
    });
    const tooLarge = await post(large.app, event);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers.get('retry-after')).toBeNull();
    expect(await tooLarge.json()).toMatchObject({ code: 'publish.event_too_large', errors: [{ pointer: '/event' }] });
  });

  it('refuses a caller that is not an application before anything is resolved or published', async () => {
    const { app, pipeline } = build(async () => ({ id: ID, partition: 0, sequence: 0 }));
    const res = await post(app, event, { authorization: 'Bearer admin-key' });

    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'auth.forbidden' });
    expect(pipeline.resolve).not.toHaveBeenCalled();
    expect(pipeline.publish).not.toHaveBeenCalled();
  });

  it('checks the room before reading the body, and counts an unreadable body as refused input', async () => {
    const { app, pipeline, byteBudget, metrics } = build(async () => ({ id: ID, partition: 0, sequence: 0 }));
    const unknown = await post(app, '{not json', {}, '/r1/DEV/GOV/MOH/deaths/pub/v1/newBirth');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'room.not_found' });
    expect(byteBudget.charge).not.toHaveBeenCalled();

    const bad = await post(app, '{not json');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'request.invalid_json' });
    expect(pipeline.publish).not.toHaveBeenCalled();
    expect((await metrics.validationFailures.get()).values).toEqual([expect.objectContaining({ labels: { reason: 'invalid_json' }, value: 1 })]);
  });
});
