/**
 * GovStack publish: POST /r1/{instance}/{class}/{member}/{room}/pub/v1/{eventType}.
 *
 * Checks run in a fixed order, each with its own error code: authentication (API key or client
 * certificate, from the routing contract), X-GovStack-Client, room, event type, publisher
 * contract, body (content type, size, JSON), body/path agreement, schema validation. Only then is the record produced, and the caller gets 201 with the event
 * id once Kafka has acknowledged it with acks=all. Nothing here touches Postgres.
 */
import { parsePointer, RoomcastError, resolvePointer, uuidv7 } from '@roomcast/core';
import { principalOf, readJsonBody, requireGovStackClient, roomAddressOf } from '@roomcast/http';
import { ACKS_ALL, encodeHeaders, type Producer, type RecordMetadata } from '@roomcast/kafka';
import { encodeWire } from '@roomcast/registry';
import type { RoutingFollower } from '@roomcast/routing';
import { Hono, type MiddlewareHandler } from 'hono';
import type { IngressMetrics } from './metrics.ts';
import type { ValidatorCache } from './validators.ts';

export const PUBLISH_PATH = '/r1/:instanceId/:memberClass/:memberCode/:applicationCode/pub/v1/:eventType';

export interface PublishDeps {
  routing: RoutingFollower;
  /** API key or client certificate, resolved from the routing contract. */
  authenticate: MiddlewareHandler;
  producer: Producer;
  validators: ValidatorCache;
  metrics: IngressMetrics;
  bodyLimit: number;
}


/** The FIFO key: the event type's key attribute when it has one, else the publisher's `key`. */
export function eventKey(keyPointer: string | null, body: Record<string, unknown>, event: unknown): string | null {
  if (keyPointer) {
    const tokens = parsePointer(keyPointer);
    const v = tokens ? resolvePointer(event, tokens) : undefined;
    if (typeof v === 'string' || typeof v === 'number') return String(v);
    return null;
  }
  return typeof body.key === 'string' && body.key.length > 0 ? body.key : null;
}

export function publishRoutes(deps: PublishDeps): Hono {
  const app = new Hono();
  app.use(PUBLISH_PATH, deps.authenticate);

  app.post(PUBLISH_PATH, async (c) => {
    const started = performance.now();
    const publisher = requireGovStackClient(c);
    // Events are published by applications (API key or client certificate), never by admins.
    if (principalOf(c).role !== 'APPLICATION') throw new RoomcastError('auth.forbidden', { detail: 'Only an application may publish events' });
    const routes = deps.routing.current();
    const address = roomAddressOf(c);
    const room = routes.room(address);
    if (!room) throw new RoomcastError('room.not_found');
    const pathType = c.req.param('eventType');
    const type = routes.eventType(room, pathType);
    if (!type) throw new RoomcastError('event_type.not_found', { detail: `No event type ${pathType} in this room` });
    const labels = { room: room.id, event_type: type.name };
    if (!routes.mayPublish(publisher, room.id, type.name)) {
      deps.metrics.requests.inc({ ...labels, outcome: 'forbidden' });
      throw new RoomcastError('publish.not_allowed', { detail: `${publisher} has no publisher contract for ${type.name} in this room` });
    }

    const body = await readJsonBody(c, deps.bodyLimit);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '', message: 'must be an object {eventType, event}' }] });
    }
    const { eventType, event } = body as Record<string, unknown>;
    if (eventType !== pathType) {
      throw new RoomcastError('publish.event_type_mismatch', {
        errors: [{ pointer: '/eventType', message: eventType === undefined ? 'is required' : `must equal the path's event type ${pathType}` }],
      });
    }
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '/event', message: 'must be a JSON object' }] });
    }
    const validate = deps.validators.peek(type.schemaId) ?? (await deps.validators.get(type.schemaId));
    const problems = validate(event);
    if (problems.length > 0) {
      deps.metrics.requests.inc({ ...labels, outcome: 'invalid' });
      throw new RoomcastError('publish.schema_violation', {
        errors: problems.map((p) => ({ pointer: `/event${p.pointer}`, message: p.message })),
      });
    }

    const id = uuidv7();
    const urgent = type.priority === 'HIGH' || type.priority === 'CRITICAL';
    const key = eventKey(type.keyPointer, body as Record<string, unknown>, event);
    const traceparent = c.req.header('traceparent');
    let metadata: RecordMetadata | undefined;
    try {
      [metadata] = await deps.producer.send({
        topic: urgent ? room.urgentTopic : room.topic,
        acks: ACKS_ALL,
        messages: [
          {
            key,
            value: encodeWire(type.schemaId, Buffer.from(JSON.stringify(event))),
            headers: encodeHeaders({
              id,
              eventType: type.name,
              publisher,
              time: new Date().toISOString(),
              priority: type.priority,
              classification: type.classification,
              schemaId: type.schemaId,
              ...(traceparent ? { traceparent } : {}),
            }),
          },
        ],
      });
    } catch (err) {
      deps.metrics.requests.inc({ ...labels, outcome: 'produce_error' });
      throw new RoomcastError('publish.kafka_unavailable', { cause: err, headers: { 'retry-after': '1' } });
    }
    deps.metrics.requests.inc({ ...labels, outcome: 'accepted' });
    deps.metrics.latency.observe(labels, (performance.now() - started) / 1000);
    return c.json({ id, partition: metadata?.partition ?? 0, sequence: Number(metadata?.baseOffset ?? 0) }, 201);
  });
  return app;
}
