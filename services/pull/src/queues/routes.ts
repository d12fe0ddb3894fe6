/**
 * Pull routes. GovStack, exactly per the specification:
 *
 *   GET    /r1/{instance}/{class}/{member}/{room}/pull/v1/{eventType}            200 EventItem · 404 none
 *   DELETE /r1/{instance}/{class}/{member}/{room}/pull/v1/{eventType}/{eventId}  204 · 404 unknown · 409 not leased
 *
 * and Roomcast's routes for throughput (batch, long-poll, receipts), under the same path:
 *
 *   POST …/pull/v1/{eventType}/lease   {max, waitSeconds, leaseSeconds} → 200 {items}
 *   POST …/pull/v1/{eventType}/ack     {receipts}                        → 200 {acked, failed}
 *   POST …/pull/v1/{eventType}/nack    {receipts, delaySeconds}          → 200 {nacked, failed}
 *   POST …/pull/v1/{eventType}/extend  {receipts, leaseSeconds}          → 200 {extended, failed}
 *
 * The caller is the subscriber named by X-GovStack-Client; only the application itself pulls
 * (admins may name it but never consume its queue, as they never publish as it). Not audited:
 * these are data-plane operations, counted in metrics like publishing.
 */
import { ERROR_CATALOG, EVENT_ITEM_SCHEMA, RoomcastError } from '@roomcast/core';
import { type ApiRouter, type JsonSchema, type Principal, problemResponseSpec, roomAddressOf } from '@roomcast/http';
import type { Context } from 'hono';
import type { SettleResult } from './queue-store.ts';
import type { PullService, Target } from './pull-service.ts';

const PULL = '/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/pull/v1/{eventType}';
const PARAMS = { applicationCode: 'The room', eventType: 'Event type name', eventId: 'Event id (UUID)' };
const TAGS = ['roomcast', 'pull'];



const receipts = { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 128 }, description: 'Receipts from the lease route' };
const failedSchema = {
  type: 'array',
  description: 'Receipts not settled, each with its code: pull.lease_expired (the lease ended; the event is or will be handed out again) or pull.lease_not_held (not a lease of this subscription)',
  items: {
    type: 'object',
    required: ['index', 'receipt', 'code', 'status', 'title'],
    properties: { index: { type: 'integer' }, receipt: { type: 'string' }, code: { type: 'string' }, status: { type: 'integer' }, title: { type: 'string' } },
  },
};

const problems = {
  403: problemResponseSpec('Client mismatch, or not the application itself (admins never pull for it)'),
  404: problemResponseSpec('No subscription of this client to this event type in this room (subscription.not_found)'),
  409: problemResponseSpec('The subscription is not an ACTIVE PULL subscription (subscription.invalid_state)'),
};

function onlyApplication(principal: Principal): void {
  if (principal.role !== 'APPLICATION') throw new RoomcastError('auth.forbidden', { detail: 'Only the subscribing application pulls its events' });
}

const json = (c: Context, text: string) => c.body(text, 200, { 'content-type': 'application/json' });

function failures(list: string[], results: SettleResult[]) {
  return results.flatMap((r, index) => {
    if (r.outcome === 'ok') return [];
    const code = r.outcome === 'expired' ? 'pull.lease_expired' : 'pull.lease_not_held';
    return [{ index, receipt: list[index] as string, code, status: ERROR_CATALOG[code].status, title: ERROR_CATALOG[code].title }];
  });
}

export function pullRoutes(router: ApiRouter, service: PullService, o: { defaultLeaseSeconds: number }): void {
  const target = (c: Context, principal: Principal, client: string | undefined, eventType: string): Target => {
    onlyApplication(principal);
    return service.target(client as string, roomAddressOf(c), eventType);
  };

  router.add({
    method: 'get',
    path: PULL,
    operationId: 'pullEvent',
    summary: 'Get the next unacknowledged event (leased; confirm it with DELETE before the lease ends)',
    description: `Hands out the next available event under a lease of ROOMCAST_PULL_LEASE_SECONDS (default ${o.defaultLeaseSeconds} s): until it is confirmed or the lease ends, no other pull gets it. Urgent events first; a FIFO subscription hands out only the oldest unconfirmed event of each key.`,
    tags: ['govstack', 'sub'],
    govstackClient: true,
    params: PARAMS,
    responses: { 200: { description: 'Event', schema: EVENT_ITEM_SCHEMA }, ...problems, 404: problemResponseSpec('No event available (pull.no_event), or no such subscription') },
    handler: async (c, { params, principal, client }) => {
      const t = target(c, principal, client, params.eventType as string);
      const [item] = await service.lease(t, { max: 1, waitMs: 0, leaseMs: o.defaultLeaseSeconds * 1000, receipts: false });
      if (!item) throw new RoomcastError('pull.no_event');
      return json(c, item);
    },
  });

  router.add({
    method: 'delete',
    path: `${PULL}/{eventId}`,
    operationId: 'confirmEvent',
    summary: 'Confirm (acknowledge) an event handed out by pull',
    tags: ['govstack', 'sub'],
    govstackClient: true,
    params: PARAMS,
    responses: {
      204: { description: 'Event acknowledged' },
      ...problems,
      404: problemResponseSpec('No such event waiting in this subscription (event.not_found), or no such subscription'),
      409: problemResponseSpec('The event is not handed out now: its lease expired (pull.lease_expired); or not a PULL subscription'),
    },
    handler: async (c, { params, principal, client }) => {
      const t = target(c, principal, client, params.eventType as string);
      const eventId = params.eventId as string;
      if (!/^[0-9a-fA-F-]{36}$/.test(eventId)) throw new RoomcastError('event.not_found', { detail: 'Event ids are UUIDs' });
      await service.confirm(t, eventId);
      return c.body(null, 204);
    },
  });

  router.add<{ max: number; waitSeconds: number; leaseSeconds?: number }>({
    method: 'post',
    path: `${PULL}/lease`,
    operationId: 'leaseEvents',
    summary: 'Lease a batch of events, waiting up to waitSeconds for the first (Roomcast extension)',
    description: 'Answers as soon as at least one event is available (or after waitSeconds with none). Each item carries a receipt for ack, nack and extend.',
    tags: TAGS,
    govstackClient: true,
    params: PARAMS,
    bodyRequired: false,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        max: { type: 'integer', minimum: 1, maximum: 100, default: 10, description: 'Most events to hand out' },
        waitSeconds: { type: 'integer', minimum: 0, maximum: 20, default: 0, description: 'Long-poll: how long to wait for the first event' },
        leaseSeconds: { type: 'integer', minimum: 1, maximum: 43_200, description: `Lease of each event (default ROOMCAST_PULL_LEASE_SECONDS, ${o.defaultLeaseSeconds})` },
      },
    },
    responses: { 200: { description: 'Leased events (possibly none)', schema: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: EVENT_ITEM_SCHEMA } } } }, ...problems },
    handler: async (c, { body, params, principal, client }) => {
      const t = target(c, principal, client, params.eventType as string);
      const b = body ?? { max: 10, waitSeconds: 0 };
      const items = await service.lease(t, {
        max: b.max ?? 10,
        waitMs: (b.waitSeconds ?? 0) * 1000,
        leaseMs: (b.leaseSeconds ?? o.defaultLeaseSeconds) * 1000,
        receipts: true,
        signal: c.req.raw.signal,
      });
      return json(c, `{"items":[${items.join(',')}]}`);
    },
  });

  const settleRoute = (op: 'ack' | 'nack' | 'extend', spec: { summary: string; param?: [string, JsonSchema]; result: string; resultSchema: JsonSchema }) =>
    router.add<{ receipts: string[] } & Record<string, unknown>>({
      method: 'post',
      path: `${PULL}/${op}`,
      operationId: `${op}Events`,
      summary: spec.summary,
      tags: TAGS,
      govstackClient: true,
      params: PARAMS,
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['receipts'],
        properties: { receipts, ...(spec.param ? { [spec.param[0]]: spec.param[1] } : {}) },
      },
      responses: {
        200: { description: 'Per receipt: settled, or failed with its code', schema: { type: 'object', required: [spec.result, 'failed'], properties: { [spec.result]: spec.resultSchema, failed: failedSchema } } },
        ...problems,
      },
      handler: async (c, { body, params, principal, client }) => {
        const t = target(c, principal, client, params.eventType as string);
        const param = op === 'ack' ? 0 : op === 'nack' ? Number(body.delaySeconds ?? 0) * 1000 : Number(body.leaseSeconds ?? o.defaultLeaseSeconds) * 1000;
        const results = await service.settle(t, op, body.receipts, param);
        const failed = failures(body.receipts, results);
        if (op !== 'extend') return c.json({ [spec.result]: results.filter((r) => r.outcome === 'ok').length, failed });
        const extended = results.flatMap((r, i) => (r.outcome === 'ok' && r.expiresAt ? [{ receipt: body.receipts[i], leaseExpiresAt: new Date(r.expiresAt).toISOString() }] : []));
        return c.json({ extended, failed });
      },
    });

  settleRoute('ack', { summary: 'Acknowledge leased events by receipt (Roomcast extension)', result: 'acked', resultSchema: { type: 'integer' } });
  settleRoute('nack', {
    summary: 'Give leased events back, available again at once or after delaySeconds (Roomcast extension)',
    param: ['delaySeconds', { type: 'integer', minimum: 0, maximum: 43_200, default: 0 }],
    result: 'nacked',
    resultSchema: { type: 'integer' },
  });
  settleRoute('extend', {
    summary: 'Extend leases: each ends leaseSeconds from now (Roomcast extension)',
    param: ['leaseSeconds', { type: 'integer', minimum: 1, maximum: 43_200 }],
    result: 'extended',
    resultSchema: { type: 'array', items: { type: 'object', properties: { receipt: { type: 'string' }, leaseExpiresAt: { type: 'string', format: 'date-time' } } } },
  });
}
