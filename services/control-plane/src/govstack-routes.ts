/**
 * GovStack PubSub API v2 control routes: event types and subscriptions of a room, with the
 * status codes of the specification (e.g. 204 for an empty list). Roomcast's extensions ride
 * along as extra fields.
 */
import { parseClientId, RoomcastError } from '@roomcast/core';
import { authenticate, type PrincipalResolver, principalOf, readJsonBody, requireGovStackClient, roomAddressOf as roomOf } from '@roomcast/http';
import { Hono } from 'hono';
import { requireRoomOwner } from './access.ts';
import type { ControlPlane } from './service.ts';
import { BodyChecker } from './validate.ts';

const BASE = '/r1/:instanceId/:memberClass/:memberCode/:applicationCode/api/v1';
const CLASSIFICATIONS = ['PUBLIC', 'INTERNAL', 'CONFIDENTIAL', 'PHI', 'PII'] as const;
const PRIORITIES = ['LOW', 'NORMAL', 'HIGH', 'CRITICAL'] as const;


function eventTypeBody(t: { name: string; schemaId: number; keyPointer: string | null; classification: string; priority: string; messageType: string; description: string | null }, schema?: unknown) {
  return {
    eventType: t.name,
    ...(schema ? { schema } : {}),
    schemaId: t.schemaId,
    keyAttribute: t.keyPointer,
    classification: t.classification,
    priority: t.priority,
    messageType: t.messageType,
    description: t.description,
  };
}

export function govstackControlRoutes(cp: ControlPlane, resolve: PrincipalResolver): Hono {
  const app = new Hono();
  app.use(`${BASE}/*`, authenticate(resolve));

  app.post(`${BASE}/eventType`, async (c) => {
    requireGovStackClient(c);
    const address = roomOf(c);
    requireRoomOwner(principalOf(c), address);
    const check = new BodyChecker(await readJsonBody(c));
    const name = check.string('eventType', { segment: true });
    const schema = check.object('schema');
    const keyPointer = check.string('keyAttribute', { optional: true });
    if (keyPointer !== undefined && keyPointer !== '' && !keyPointer.startsWith('/')) check.fail('keyAttribute', 'must be a JSON pointer such as /patient/id');
    const classification = check.oneOf('classification', CLASSIFICATIONS, 'INTERNAL');
    const priority = check.oneOf('priority', PRIORITIES, 'NORMAL');
    const description = check.string('description', { optional: true, max: 2000 });
    check.done();
    const created = await cp.createEventType(address, {
      name: name as string,
      schema: schema as Record<string, unknown>,
      ...(keyPointer ? { keyPointer } : {}),
      classification,
      priority,
      ...(description ? { description } : {}),
    });
    return c.json(eventTypeBody(created, schema), 200);
  });

  app.get(`${BASE}/eventType`, async (c) => {
    requireGovStackClient(c);
    const types = await cp.listEventTypes(roomOf(c));
    if (types.length === 0) return c.body(null, 204);
    return c.json(types.map((t) => eventTypeBody(t)));
  });

  app.get(`${BASE}/eventType/:eventType`, async (c) => {
    requireGovStackClient(c);
    try {
      const { type } = await cp.findEventType(roomOf(c), c.req.param('eventType'));
      return c.json(eventTypeBody(type, await cp.deps.registry.getJsonSchema(type.schemaId)));
    } catch (err) {
      if (err instanceof RoomcastError && err.code === 'event_type.not_found') return c.body(null, 204);
      throw err;
    }
  });

  app.post(`${BASE}/subs/:eventType`, async (c) => {
    const caller = requireGovStackClient(c);
    const subscriber = parseClientId(caller);
    if (!subscriber) throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '/headers/X-GovStack-Client', message: 'must be INSTANCE/CLASS/MEMBER/APPLICATION' }] });
    const check = new BodyChecker(await readJsonBody(c));
    const eventType = check.string('eventType');
    if (eventType !== undefined && eventType !== c.req.param('eventType')) check.fail('eventType', 'must equal the event type in the path');
    const mode = check.oneOf('delivery', ['PUSH', 'PULL'] as const, 'PUSH');
    const options = check.body.options === undefined ? {} : check.object('options') ?? {};
    const pushUrl = options.pushUrl;
    if (pushUrl !== undefined && typeof pushUrl !== 'string') check.fail('options/pushUrl', 'must be a string');
    const fifo = options.FIFO === true;
    check.done();
    const { subscription, signingSecret } = await cp.createSubscription(roomOf(c), c.req.param('eventType'), subscriber, {
      mode,
      ...(typeof pushUrl === 'string' ? { pushUrl } : {}),
      fifo,
    });
    return c.json({ ...subscriptionItem(subscription, subscriber, c.req.param('eventType')), signingSecret }, 200);
  });

  app.get(`${BASE}/subs`, async (c) => {
    const caller = requireGovStackClient(c);
    const subs = await cp.listSubscriptions(roomOf(c), caller);
    if (subs.length === 0) throw new RoomcastError('subscription.not_found', { detail: `${caller} has no subscriptions in this room` });
    const subscriber = parseClientId(caller);
    return c.json(subs.map((s) => subscriptionItem(s, subscriber, s.eventType.name)));
  });

  app.get(`${BASE}/subs/:eventType`, async (c) => {
    const caller = requireGovStackClient(c);
    const subs = await cp.listSubscriptions(roomOf(c), caller);
    const sub = subs.find((s) => s.eventType.name === c.req.param('eventType'));
    if (!sub) throw new RoomcastError('subscription.not_found');
    return c.json(subscriptionItem(sub, parseClientId(caller), sub.eventType.name));
  });

  return app;
}

function subscriptionItem(
  s: { id: string; mode: string; status: string; pushUrl: string | null; fifo: boolean },
  subscriber: ReturnType<typeof parseClientId>,
  eventType: string,
) {
  return {
    id: s.id,
    subscriberId: subscriber
      ? { instanceId: subscriber.instance, memberClass: subscriber.memberClass, memberCode: subscriber.memberCode, applicationCode: subscriber.application }
      : undefined,
    eventType,
    delivery: s.mode,
    options: { FIFO: s.fifo, pushUrl: s.pushUrl ?? undefined },
    status: s.status,
  };
}
