/**
 * GovStack publish: POST /r1/{instance}/{class}/{member}/{room}/pub/v1/{eventType}.
 *
 * The route authenticates (API key or client certificate, from the routing contract), checks
 * X-GovStack-Client, refuses non-application callers, reads the body (content type, size, JSON)
 * and hands it to the publish pipeline (pipeline.ts), which checks, validates and produces.
 * The caller gets 201 with the event id once Kafka has acknowledged it with acks=all, or 200 with
 * `Idempotent-Replayed: true` and the original result when it publishes an id it already published.
 */
import { RoomcastError } from '@roomcast/core';
import { principalOf, readJsonBody, requireGovStackClient, roomAddressOf } from '@roomcast/http';
import { Hono, type MiddlewareHandler } from 'hono';
import type { ByteBudget } from './byte-budget.ts';
import type { PublishPipeline } from './pipeline.ts';
import { recordValidationFailure } from './publish-guard.ts';

export const PUBLISH_PATH = '/r1/:instanceId/:memberClass/:memberCode/:applicationCode/pub/v1/:eventType';

export interface PublishDeps {
  pipeline: PublishPipeline;
  /** API key or client certificate, resolved from the routing contract. */
  authenticate: MiddlewareHandler;
  bodyLimit: number;
  /** Body bytes per publisher per second this process parses. */
  byteBudget: ByteBudget;
}

export function publishRoutes(deps: PublishDeps): Hono {
  const app = new Hono();
  app.use(PUBLISH_PATH, deps.authenticate);

  app.post(PUBLISH_PATH, async (c) => {
    const publisher = requireGovStackClient(c);
    // Events are published by applications (API key or client certificate), never by admins.
    if (principalOf(c).role !== 'APPLICATION') throw new RoomcastError('auth.forbidden', { detail: 'Only an application may publish events' });
    const address = roomAddressOf(c);
    const pathType = c.req.param('eventType');
    // Room, contract and event type are checked before the body is read.
    const { room } = deps.pipeline.resolve(publisher, address, pathType);
    const body = await readJsonBody(c, deps.bodyLimit, (bytes) => deps.byteBudget.charge(publisher, room.id, bytes)).catch((err: unknown) => {
      recordValidationFailure(deps.pipeline.deps.metrics, err);
      throw err;
    });
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
  });
  return app;
}
