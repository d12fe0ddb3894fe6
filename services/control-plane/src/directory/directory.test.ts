import { describe, expect, it } from 'vitest';
import { allowedGroups, clientList, endpointsOf, serviceDetails } from './directory.ts';
import { embeddableSchema, eventTypeOpenApi } from './directory-openapi.ts';

const room = { instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'births' };

describe('clientList', () => {
  it('lists each member, then its applications and rooms as APPLICATION objects, one per code', () => {
    const list = clientList([
      {
        instance: 'DEV',
        memberClass: 'GOV',
        memberCode: 'MOH',
        name: 'Ministry of Health',
        applications: [{ code: 'clinic-a', name: null }, { code: 'births', name: 'Birth desk' }],
        rooms: [{ code: 'births' }, { code: 'deaths' }],
      },
    ]);
    expect(list.member).toEqual([
      { name: 'Ministry of Health', id: { objectType: 'MEMBER', instanceId: 'DEV', memberClass: 'GOV', memberCode: 'MOH' } },
      { name: 'Birth desk', id: { objectType: 'APPLICATION', instanceId: 'DEV', memberClass: 'GOV', memberCode: 'MOH', applicationCode: 'births' } },
      { name: 'Ministry of Health', id: { objectType: 'APPLICATION', instanceId: 'DEV', memberClass: 'GOV', memberCode: 'MOH', applicationCode: 'clinic-a' } },
      { name: 'Ministry of Health', id: { objectType: 'APPLICATION', instanceId: 'DEV', memberClass: 'GOV', memberCode: 'MOH', applicationCode: 'deaths' } },
    ]);
  });

  it('answers an empty list for no members', () => {
    expect(clientList([])).toEqual({ member: [] });
  });
});

describe('services and endpoints', () => {
  it('describes an event type as a REST service with every PubSub endpoint of that type', () => {
    const s = serviceDetails(room, { name: 'newBirth', schemaVersion: 3 });
    expect(s).toMatchObject({ objectType: 'SERVICE', serviceType: 'REST', instanceId: 'DEV', memberClass: 'GOV', memberCode: 'MOH', applicationCode: 'births', serviceCode: 'newBirth', serviceVersion: '3' });
    expect(s.endpointList.member).toEqual([
      { method: 'POST', path: '/r1/DEV/GOV/MOH/births/pub/v1/newBirth' },
      { method: 'GET', path: '/r1/DEV/GOV/MOH/births/pub/v1/newBirth/{eventId}' },
      { method: 'DELETE', path: '/r1/DEV/GOV/MOH/births/pub/v1/newBirth/{eventId}' },
      { method: 'POST', path: '/r1/DEV/GOV/MOH/births/api/v1/subs/newBirth' },
      { method: 'GET', path: '/r1/DEV/GOV/MOH/births/api/v1/subs/newBirth' },
      { method: 'PATCH', path: '/r1/DEV/GOV/MOH/births/api/v1/subs/newBirth' },
      { method: 'DELETE', path: '/r1/DEV/GOV/MOH/births/api/v1/subs/newBirth' },
      { method: 'GET', path: '/r1/DEV/GOV/MOH/births/pull/v1/newBirth' },
      { method: 'DELETE', path: '/r1/DEV/GOV/MOH/births/pull/v1/newBirth/{eventId}' },
    ]);
  });

  it('allows publishing only under a contract and pulling only with an active pull subscription', () => {
    expect(allowedGroups({ publisher: false, activePull: false })).toEqual(['subscribe']);
    expect(allowedGroups({ publisher: true, activePull: true })).toEqual(['publish', 'subscribe', 'pull']);
    const paths = endpointsOf(room, 'newBirth', allowedGroups({ publisher: false, activePull: false })).map((e) => e.path);
    expect(paths.some((p) => p.includes('/pub/v1/'))).toBe(false);
    expect(paths.some((p) => p.includes('/pull/v1/'))).toBe(false);
  });
});

describe('getOpenAPI document', () => {
  const schema = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', required: ['motherId'], properties: { motherId: { type: 'string' } } };
  const eventType = { name: 'newBirth', schemaId: 42, schemaVersion: 2, keyPointer: '/motherId', classification: 'PHI', priority: 'HIGH', messageType: 'EVENT', description: null };

  it('is OpenAPI 3.1 with the publish call and the schema embedded as the event property', () => {
    const doc = eventTypeOpenApi({ origin: 'http://127.0.0.1:8080', address: room, eventType, schema }) as {
      openapi: string;
      info: { version: string; 'x-roomcast': Record<string, unknown> };
      servers: Array<{ url: string }>;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: { PublishEvent: { properties: Record<string, unknown>; required: string[] } } };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('2');
    expect(doc.info['x-roomcast']).toMatchObject({ schemaId: 42, classification: 'PHI', keyAttribute: '/motherId' });
    expect(doc.servers).toEqual([{ url: 'http://127.0.0.1:8080' }]);
    expect(Object.keys(doc.paths['/r1/DEV/GOV/MOH/births/pub/v1/newBirth'] ?? {})).toContain('post');
    expect(Object.keys(doc.paths['/r1/DEV/GOV/MOH/births/pub/v1/newBirth/{eventId}'] ?? {})).toEqual(expect.arrayContaining(['get', 'delete']));
    expect(Object.keys(doc.paths['/r1/DEV/GOV/MOH/births/api/v1/subs/newBirth'] ?? {})).toEqual(expect.arrayContaining(['post', 'get', 'patch', 'delete']));
    expect(doc.components.schemas.PublishEvent.required).toEqual(['eventType', 'event']);
    expect(doc.components.schemas.PublishEvent.properties.event).toEqual(schema);
    expect(doc.components.schemas.PublishEvent.properties.eventType).toEqual({ type: 'string', const: 'newBirth' });
    // A key attribute decides the FIFO key, so the body's `key` is not offered.
    expect(doc.components.schemas.PublishEvent.properties.key).toBeUndefined();
  });

  it('gives a schema with local references an $id so they resolve where it is embedded', () => {
    const withRefs = { type: 'object', definitions: { id: { type: 'string' } }, properties: { a: { $ref: '#/definitions/id' } } };
    expect(embeddableSchema(withRefs, 7)).toEqual({ $id: 'urn:roomcast:schema:7', ...withRefs });
    expect(embeddableSchema(schema, 7)).toBe(schema);
    const ownId = { ...withRefs, $id: 'https://example.org/birth' };
    expect(embeddableSchema(ownId, 7)).toBe(ownId);
  });
});
