/**
 * GovStack PubSub API v2 control routes: event types of a room (subscriptions: subscription-routes.ts), with the
 * status codes of the specification (e.g. 204 for an empty list). Roomcast's extensions ride
 * along as extra fields.
 */
import { RoomcastError } from '@roomcast/core';
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

  return app;
}
