/**
 * Batch publish: POST /r1/{instance}/{class}/{member}/{room}/pub/v1/{eventType}/batch with
 * `{events: [{eventType, event, key?, id?}, …]}` — many events of one event type in one request.
 *
 * The request as a whole is checked like a single publish (authentication, X-GovStack-Client,
 * application caller, room, contract and event type before the body is read; content type,
 * size — its own, larger limit —, strict UTF-8 and JSON), then its envelope (`events` is a
 * non-empty array of at most `maxItems`, nothing else at the top level). A failure there is one
 * problem+json answer and nothing is produced.
 *
 * Past the envelope every item goes through the same `PublishPipeline.publish` as a single
 * publish — every check applies per item — and all items are started at once, in index order,
 * so the producer batches them together. The answer is `200` with one result per item, in the
 * order of `events`: `{index, status: 201, id, partition, sequence}` for a stored event (`status:
 * 200` and `replayed: true` with the original result for a replayed id), or
 * `{index, status, code, title, detail, errors[]}` (the problem the single route would have
 * answered, pointers made absolute: `/events/{index}/…`). A batch in which some item met a
 * retryable failure (Kafka unavailable) also carries `Retry-After`.
 */
import type { ByteBudget } from './byte-budget.ts';
import { type FieldError, type Logger, RoomcastError, toProblem } from '@roomcast/core';
import { type ApiRouter, problemResponseSpec } from '@roomcast/http';
import type { Context } from 'hono';
import type { PublishPipeline, PublishResult } from './pipeline.ts';
import { PUBLISH_PATH, publishBodySchema, readPublishRequest } from './publish.ts';

export const BATCH_PATH = `${PUBLISH_PATH}/batch`;

export interface BatchDeps {
  pipeline: PublishPipeline;
  logger: Logger;
  /** Largest batch request body, in bytes. */
  bodyLimit: number;
  /** Body bytes per publisher per second this process parses. */
  byteBudget: ByteBudget;
  /** Most events in one batch. */
  maxItems: number;
}

export type BatchItemResult =
  | ({ index: number; status: number } & PublishResult)
  | { index: number; status: number; code: string; title: string; detail: string; errors: FieldError[] };

export interface BatchAnswer {
  accepted: number;
  failed: number;
  results: BatchItemResult[];
}

/** Checks the envelope and returns the items; throws a catalog error for the whole request. */
export function batchItems(body: unknown, maxItems: number): unknown[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '', message: 'must be an object {events: [...]}' }] });
  }
  const extra = Object.keys(body).filter((k) => k !== 'events');
  if (extra.length > 0) {
    throw new RoomcastError('request.validation_failed', { errors: extra.slice(0, 20).map((k) => ({ pointer: `/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, message: 'is not allowed' })) });
  }
  const { events } = body as { events?: unknown };
  if (!Array.isArray(events) || events.length === 0) {
    throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '/events', message: events === undefined ? 'is required' : 'must be a non-empty array' }] });
  }
  if (events.length > maxItems) {
    throw new RoomcastError('publish.batch_too_large', { detail: `The batch has ${events.length} events; the limit is ${maxItems}`, errors: [{ pointer: '/events', message: `must have at most ${maxItems} items` }] });
  }
  return events;
}

/** One item's failure as the single route would have answered it, pointers made absolute. */
export function itemFailure(index: number, err: unknown, requestId: string): BatchItemResult {
  const p = toProblem(err, requestId);
  return {
    index,
    status: p.status,
    code: p.code,
    title: p.title,
    detail: p.detail,
    errors: (p.errors ?? []).map((e) => ({ pointer: `/events/${index}${e.pointer}`, message: e.message })),
  };
}

const batchAnswerSchema = {
  type: 'object',
  required: ['accepted', 'failed', 'results'],
  properties: {
    accepted: { type: 'integer' },
    failed: { type: 'integer' },
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index', 'status'],
        properties: {
          index: { type: 'integer' },
          status: { type: 'integer', description: '201 stored, 200 a replayed id (original result), else the 4xx/5xx the single route would answer' },
          replayed: { type: 'boolean', description: 'true when the item replayed an id already published (no new record)' },
          id: { type: 'string' },
          partition: { type: 'integer' },
          sequence: { type: 'integer' },
          code: { type: 'string' },
          title: { type: 'string' },
          detail: { type: 'string' },
          errors: { type: 'array', items: { type: 'object', properties: { pointer: { type: 'string' }, message: { type: 'string' } } } },
        },
      },
    },
  },
};

export function batchRoutes(router: ApiRouter, deps: BatchDeps): void {
  router.add({
    method: 'post',
    path: BATCH_PATH,
    operationId: 'publishEventBatch',
    summary: 'Publish many events of one event type; one result per item, in order (Roomcast extension)',
    description:
      'Every item goes through the same checks as a single publish and is produced concurrently with the others. The answer is 200 whenever the envelope is valid; each result carries the status the single route would have answered (201 stored, or a problem with absolute pointers /events/{index}/...). Retry-After is set when an item failed because Kafka was unavailable.',
    tags: ['roomcast'],
    govstackClient: true,
    bodyReadBy: 'handler',
    body: {
      type: 'object',
      required: ['events'],
      additionalProperties: false,
      properties: {
        events: {
          type: 'array',
          minItems: 1,
          maxItems: deps.maxItems,
          description: `At most ROOMCAST_PUBLISH_BATCH_MAX_ITEMS items (here ${deps.maxItems})`,
          items: publishBodySchema,
        },
      },
    },
    responses: {
      200: { description: 'One result per item, in the order of events', schema: batchAnswerSchema },
      400: problemResponseSpec('Invalid envelope, or more events than the limit'),
      403: problemResponseSpec('Client mismatch or no publisher contract'),
      404: problemResponseSpec('Unknown room or event type'),
      413: problemResponseSpec('Body too large'),
      415: problemResponseSpec('Not JSON'),
      429: problemResponseSpec('The publisher sent more body bytes than the ingress parses for it (publish.rate_limited); see Retry-After. Per-event limits answer inside the 200, per item'),
    },
    async handler(c, input) {
      const { publisher, address, pathType, body: items } = await readPublishRequest(c, input, deps, deps.bodyLimit, (b) => batchItems(b, deps.maxItems));
      const traceparent = c.req.header('traceparent');
      // Every item is started now, in index order, so the producer can put them in one batch.
      const settled = await Promise.allSettled(items.map((body) => deps.pipeline.publish({ publisher, address, pathType, body, traceparent })));
      const requestId = ((c as Context).get('requestId') as string | undefined) ?? 'unknown';
      let retryAfter: string | undefined;
      const results = settled.map((s, index): BatchItemResult => {
        // A replay of an id already published: 200 and `replayed: true`, as the single route answers it.
        if (s.status === 'fulfilled') return { index, status: s.value.replayed ? 200 : 201, ...s.value };
        if (!(s.reason instanceof RoomcastError)) deps.logger.error('batch item failed unexpectedly', { index, error: s.reason });
        else if (s.reason.retryable) retryAfter = s.reason.headers?.['retry-after'] ?? '1';
        return itemFailure(index, s.reason, requestId);
      });
      const accepted = results.filter((r) => r.status < 300).length;
      if (retryAfter) c.header('retry-after', retryAfter);
      const answer: BatchAnswer = { accepted, failed: results.length - accepted, results };
      return c.json(answer, 200);
    },
  });
}
