/**
 * The publish pipeline for one event, shared by the single and the batch publish routes. Steps
 * run in the order the API promises, each failing with its own error code and before anything
 * is produced:
 *
 *   1. room (404 `room.not_found`) and publisher contract (403 `publish.not_allowed`): a caller
 *      with no contract in the room is refused before anything else, so it cannot probe which
 *      event types exist;
 *   2. event type exists (404 `event_type.not_found`), then the contract covers it (403);
 *   3. body shape and path/body agreement (400 `publish.event_type_mismatch`);
 *   4. JSON Schema validation with a validator cached by schema id (400 `publish.schema_violation`);
 *   5. FIFO key and lane (urgent lane for HIGH and CRITICAL);
 *   6. produce with acks=all, answered only once Kafka has the record.
 *
 * Authentication, `X-GovStack-Client` and reading the body (content type, size, JSON) happen in
 * the route before this runs. Nothing here touches PostgreSQL: everything comes from the
 * routing contract.
 */
import { parsePointer, RoomcastError, type RoomAddress, resolvePointer, uuidv7 } from '@roomcast/core';
import { encodeHeaders, type ProduceBatcher, type Producer, type RecordMetadata } from '@roomcast/kafka';
import { encodeWire } from '@roomcast/registry';
import type { EventTypeRoute, RoomRoute, RoutingFollower } from '@roomcast/routing';
import type { IngressMetrics } from './metrics.ts';
import type { ValidatorCache } from './validators.ts';

export interface PipelineDeps {
  routing: RoutingFollower;
  producer: Producer;
  /** Gathers concurrent produces into one acks=all request (batching.ts). */
  batcher: ProduceBatcher;
  validators: ValidatorCache;
  metrics: IngressMetrics;
}

export interface PublishInput {
  /** The authenticated publisher's client id (X-GovStack-Client, checked). */
  publisher: string;
  address: RoomAddress;
  /** The event type named by the path. */
  pathType: string;
  /** The parsed request body (or one item of a batch). */
  body: unknown;
  traceparent?: string | undefined;
}

export interface PublishResult {
  id: string;
  partition: number;
  /** Offset of the record within its partition. */
  sequence: number;
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

/** Urgent events (HIGH, CRITICAL) go to the room's urgent lane, which dispatchers drain first. */
export function laneOf(room: RoomRoute, type: EventTypeRoute): string {
  return type.priority === 'HIGH' || type.priority === 'CRITICAL' ? room.urgentTopic : room.topic;
}

export class PublishPipeline {
  readonly deps: PipelineDeps;

  constructor(deps: PipelineDeps) {
    this.deps = deps;
  }

  /** Steps 1–2: the room, the publisher's right to the event type, then the type itself. */
  resolve(publisher: string, address: RoomAddress, pathType: string): { room: RoomRoute; type: EventTypeRoute } {
    const routes = this.deps.routing.current();
    const room = routes.room(address);
    if (!room) throw new RoomcastError('room.not_found');
    const refused = () => new RoomcastError('publish.not_allowed', { detail: `${publisher} has no publisher contract for ${pathType} in this room` });
    if (!routes.publishesIn(publisher, room.id)) throw refused();
    const type = routes.eventType(room, pathType);
    if (!type) throw new RoomcastError('event_type.not_found', { detail: `No event type ${pathType} in this room` });
    if (!routes.mayPublish(publisher, room.id, pathType)) throw refused();
    return { room, type };
  }

  async publish(input: PublishInput): Promise<PublishResult> {
    const started = performance.now();
    const { room, type } = this.resolve(input.publisher, input.address, input.pathType);
    const labels = { room: room.id, event_type: type.name };
    try {
      const body = input.body;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '', message: 'must be an object {eventType, event}' }] });
      }
      const { eventType, event } = body as Record<string, unknown>;
      if (eventType !== input.pathType) {
        throw new RoomcastError('publish.event_type_mismatch', {
          errors: [{ pointer: '/eventType', message: eventType === undefined ? 'is required' : `must equal the path's event type ${input.pathType}` }],
        });
      }
      if (event === null || typeof event !== 'object' || Array.isArray(event)) {
        throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '/event', message: 'must be a JSON object' }] });
      }
      const validate = this.deps.validators.peek(type.schemaId) ?? (await this.deps.validators.get(type.schemaId));
      const problems = validate(event);
      if (problems.length > 0) {
        throw new RoomcastError('publish.schema_violation', { errors: problems.map((p) => ({ pointer: `/event${p.pointer}`, message: p.message })) });
      }
      const id = uuidv7();
      const metadata = await this.produce(room, type, {
        id,
        publisher: input.publisher,
        key: eventKey(type.keyPointer, body as Record<string, unknown>, event),
        value: Buffer.from(JSON.stringify(event)),
        traceparent: input.traceparent,
      });
      this.deps.metrics.requests.inc({ ...labels, outcome: 'accepted' });
      this.deps.metrics.latency.observe(labels, (performance.now() - started) / 1000);
      return { id, partition: metadata.partition, sequence: Number(metadata.baseOffset ?? 0) };
    } catch (err) {
      this.deps.metrics.requests.inc({ ...labels, outcome: outcomeOf(err) });
      throw err;
    }
  }

  /** Step 6: one record, acks=all (through the batcher, answered once its batch is acknowledged), Confluent wire format, `rc-*` headers. */
  async produce(
    room: RoomRoute,
    type: EventTypeRoute,
    r: { id: string; publisher: string; key: string | null; value: Buffer; traceparent?: string | undefined },
  ): Promise<RecordMetadata> {
    try {
      const record = await this.deps.batcher.add(laneOf(room, type), {
            key: r.key,
            value: encodeWire(type.schemaId, r.value),
            headers: encodeHeaders({
              id: r.id,
              eventType: type.name,
              publisher: r.publisher,
              time: new Date().toISOString(),
              priority: type.priority,
              classification: type.classification,
              schemaId: type.schemaId,
              ...(r.traceparent ? { traceparent: r.traceparent } : {}),
            }),
      });
      return { topicName: record.topic, partition: record.partition, baseOffset: record.offset, errorCode: 0 };
    } catch (err) {
      throw new RoomcastError('publish.kafka_unavailable', { cause: err, headers: { 'retry-after': '1' } });
    }
  }
}

function outcomeOf(err: unknown): string {
  if (!(err instanceof RoomcastError)) return 'error';
  if (err.code === 'publish.schema_violation' || err.code === 'request.validation_failed' || err.code === 'publish.event_type_mismatch') return 'invalid';
  if (err.code === 'publish.kafka_unavailable') return 'produce_error';
  return err.code;
}
