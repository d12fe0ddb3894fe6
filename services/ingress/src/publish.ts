/**
 * GovStack publish: POST /r1/{instance}/{class}/{member}/{room}/pub/v1/{eventType}.
 *
 * The route authenticates (API key or client certificate, from the routing contract), checks
 * X-GovStack-Client, refuses non-application callers, reads the body (content type, size, JSON)
 * and hands it to the publish pipeline (pipeline.ts), which checks, validates and produces.
 * The caller gets 201 with the event id once Kafka has acknowledged it with acks=all, or 200 with
 * `Idempotent-Replayed: true` and the original result when it publishes an id it already published.
 */
import { type RoomAddress, RoomcastError } from '@roomcast/core';
import { type ApiRouter, problemResponseSpec, readJsonBody, type RouteInput, roomAddressOf } from '@roomcast/http';
import type { Context } from 'hono';
import type { ByteBudget } from './byte-budget.ts';
import type { PublishPipeline } from './pipeline.ts';
import { recordValidationFailure } from './publish-guard.ts';

export const PUBLISH_PATH = '/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/pub/v1/{eventType}';

export interface PublishDeps {
  pipeline: PublishPipeline;
  bodyLimit: number;
  /** Body bytes per publisher per second this process parses. */
  byteBudget: ByteBudget;
}

export const publishResultSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' }, partition: { type: 'integer' }, sequence: { type: 'integer', description: 'Offset within the partition' } },
};

/**
 * What both publish routes do before an event is checked: refuse callers that are not
 * applications, resolve room, contract and event type, then read the body within `bodyLimit`,
 * charged to the publisher's byte budget; `parse` turns the body into what the route needs.
 * A body that cannot be read is counted as a validation failure.
 */
export async function readPublishRequest<T>(
  c: Context,
  input: RouteInput<unknown, Record<string, unknown>>,
  deps: Pick<PublishDeps, 'pipeline' | 'byteBudget'>,
  bodyLimit: number,
  parse: (body: unknown) => T,
): Promise<{ publisher: string; address: RoomAddress; pathType: string; body: T }> {
  const publisher = input.client as string;
  // Events are published by applications (API key or client certificate), never by admins.
  if (input.principal.role !== 'APPLICATION') throw new RoomcastError('auth.forbidden', { detail: 'Only an application may publish events' });
  const address = roomAddressOf(c);
  const pathType = input.params.eventType as string;
  // Room, contract and event type are checked before the body is read.
  const { room } = deps.pipeline.resolve(publisher, address, pathType);
  try {
    const body = parse(await readJsonBody(c, bodyLimit, (bytes) => deps.byteBudget.charge(publisher, room.id, bytes)));
    return { publisher, address, pathType, body };
  } catch (err) {
    recordValidationFailure(deps.pipeline.deps.metrics, err);
    throw err;
  }
}

/** One event as the publish route takes it, and as each item of a batch. */
export const publishBodySchema = {
  type: 'object',
  required: ['eventType', 'event'],
  properties: {
    eventType: { type: 'string' },
    event: { type: 'object' },
    id: {
      type: 'string',
      format: 'uuid',
      description: 'Event id chosen by the publisher; publishing it again within the dedup window with the same payload answers the original result (200, Idempotent-Replayed)',
    },
    key: { type: 'string', description: 'FIFO key when the event type has no key attribute' },
  },
};

export function publishRoutes(router: ApiRouter, deps: PublishDeps): void {
  router.add({
    method: 'post',
    path: PUBLISH_PATH,
    operationId: 'publishEvent',
    summary: 'Publish an event into the room; acknowledged once Kafka has it (acks=all)',
    tags: ['govstack'],
    govstackClient: true,
    bodyReadBy: 'handler',
    body: publishBodySchema,
    headers: {
      'Idempotency-Key': { description: 'Event id chosen by the publisher (a UUID), as an alternative to `id` in the body', schema: { type: 'string', format: 'uuid' } },
    },
    responses: {
      201: { description: 'Stored in Kafka', schema: publishResultSchema },
      200: {
        description: 'Replay: this id was already published with the same payload; the original result, nothing produced again',
        headers: { 'Idempotent-Replayed': { schema: { type: 'string', enum: ['true'] } } },
        schema: publishResultSchema,
      },
      400: problemResponseSpec('Invalid request or event'),
      403: problemResponseSpec('Client mismatch or no publisher contract'),
      404: problemResponseSpec('Unknown room or event type'),
      409: problemResponseSpec('The id was already published with a different payload (publish.id_conflict), or is being published right now (publish.id_in_progress)'),
      413: problemResponseSpec('Body too large, or one event larger than a Kafka record may be (publish.event_too_large); never retried'),
      415: problemResponseSpec('Not JSON'),
      422: problemResponseSpec('Validating the event against its schema would take longer than the ingress allows (publish.validation_too_costly); never retried'),
      429: problemResponseSpec('Rate limit of the publisher or the room, or the publisher sent more body bytes than the ingress parses for it (publish.rate_limited); see Retry-After'),
      503: problemResponseSpec('Kafka or Redis unavailable, no acknowledgement within the publish timeout, or too many costly validations waiting (publish.validation_busy); retry with the same id after Retry-After'),
    },
    async handler(c, input) {
      const { publisher, address, pathType, body } = await readPublishRequest(c, input, deps, deps.bodyLimit, (b) => b);
      const { replayed, ...result } = await deps.pipeline.publish({
        publisher,
        address,
        pathType,
        body,
        traceparent: c.req.header('traceparent'),
        idempotencyKey: c.req.header('idempotency-key'),
      });
      // A replay of an id already published answers the original result, once more, with 200.
      if (replayed) return c.json(result, 200, { 'idempotent-replayed': 'true' });
      return c.json(result, 201);
    },
  });
}
