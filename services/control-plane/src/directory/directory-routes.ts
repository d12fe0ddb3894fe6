/**
 * GovStack Directory Services (metaservices): listClients, listMethods, allowedMethods and
 * getOpenAPI, with the paths, parameters and shapes of GovStack_IM_Directory_Services_API.yaml.
 * Every call authenticates and names the caller in X-GovStack-Client. The directory is open to
 * every authenticated caller of the instance; allowedMethods answers for the client named by
 * X-GovStack-Client (an application for itself, a member admin for its member's applications,
 * a global admin for anyone).
 */
import { parseClientId, RoomcastError, SEGMENT_RE } from '@roomcast/core';
import type { ApiRouter, Principal } from '@roomcast/http';
import type { Directory } from './directory-service.ts';

const PROVIDER = '/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}';
const PARAMS = {
  instanceId: 'GovStack instance of the provider',
  memberClass: 'Member class of the room owner',
  memberCode: 'Member code of the room owner',
  applicationCode: 'Room code (Roomcast rooms are the providers of event-type services)',
};
const segment = { type: 'string', pattern: SEGMENT_RE.source, maxLength: 63 };

const idSchema = {
  type: 'object',
  required: ['objectType', 'instanceId', 'memberClass', 'memberCode'],
  properties: {
    objectType: { type: 'string', enum: ['MEMBER', 'APPLICATION', 'SERVICE'] },
    instanceId: { type: 'string' },
    memberClass: { type: 'string' },
    memberCode: { type: 'string' },
    applicationCode: { type: 'string' },
  },
};
const clientListSchema = {
  type: 'object',
  required: ['member'],
  properties: { member: { type: 'array', items: { type: 'object', required: ['name', 'id'], properties: { name: { type: 'string' }, id: idSchema } } } },
};
const serviceListSchema = {
  type: 'object',
  required: ['member'],
  properties: {
    member: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          objectType: { type: 'string', enum: ['SERVICE'] },
          serviceType: { type: 'string', enum: ['REST'] },
          instanceId: { type: 'string' },
          memberClass: { type: 'string' },
          memberCode: { type: 'string' },
          applicationCode: { type: 'string' },
          serviceCode: { type: 'string', description: 'Event type name' },
          serviceVersion: { type: 'string', description: 'Schema version of the event type' },
          endpointList: {
            type: 'object',
            properties: { member: { type: 'array', items: { type: 'object', properties: { method: { type: 'string' }, path: { type: 'string' } } } } },
          },
        },
      },
    },
  },
};
const serviceIdQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { serviceId: { ...segment, description: 'Only this service (event type)' } },
};

const providerOf = (params: Record<string, string>) => ({
  instance: params.instanceId ?? '',
  memberClass: params.memberClass ?? '',
  memberCode: params.memberCode ?? '',
  room: params.applicationCode ?? '',
});

/** The client whose rights allowedMethods reports: the caller, or whom an admin may ask about. */
function clientToAnswerFor(principal: Principal, header: string): string {
  const client = parseClientId(header);
  if (!client) {
    throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '/headers/X-GovStack-Client', message: 'must be INSTANCE/CLASS/MEMBER/APPLICATION' }] });
  }
  if (principal.role === 'MEMBER_ADMIN' && principal.member !== `${client.instance}/${client.memberClass}/${client.memberCode}`) {
    throw new RoomcastError('auth.client_mismatch', { detail: 'A member admin may ask only about its own member’s applications' });
  }
  return header;
}


export function directoryRoutes(router: ApiRouter, directory: Directory): void {
  router.add<never, { instanceId?: string }>({
    method: 'get',
    path: '/listClients',
    operationId: 'listClients',
    summary: 'Members of the instance with their applications and rooms',
    description:
      'Approved members (MEMBER) followed by their approved applications and approved rooms (APPLICATION; a room is the provider addressed by applicationCode). Without instanceId: the configured instance, or every instance before the instance is configured.',
    tags: ['directory'],
    govstackClient: true,
    query: { type: 'object', additionalProperties: false, properties: { instanceId: { ...segment, description: 'Instance to list' } } },
    responses: { 200: { description: 'List of clients', schema: clientListSchema } },
    handler: async (c, { query }) => c.json(await directory.listClients(query.instanceId)),
  });

  router.add<never, { serviceId?: string }>({
    method: 'get',
    path: `${PROVIDER}/listMethods`,
    operationId: 'listMethods',
    summary: "The room's services (its event types) and their endpoints",
    description: 'An unknown or unapproved provider offers no services: the list is empty.',
    tags: ['directory'],
    govstackClient: true,
    params: PARAMS,
    query: serviceIdQuery,
    responses: { 200: { description: 'Services of the provider', schema: serviceListSchema } },
    handler: async (c, { params, query }) => c.json(await directory.listMethods(providerOf(params), query.serviceId)),
  });

  router.add<never, { serviceId?: string }>({
    method: 'get',
    path: `${PROVIDER}/allowedMethods`,
    operationId: 'allowedMethods',
    summary: 'The services and endpoints of the room that the caller may invoke',
    description:
      'Publish endpoints only under a publisher contract; subscription endpoints for every approved application (the request waits for the room owner unless a grant approves it); pull endpoints with an active pull subscription.',
    tags: ['directory'],
    govstackClient: true,
    params: PARAMS,
    query: serviceIdQuery,
    responses: { 200: { description: 'Services the caller may invoke', schema: serviceListSchema } },
    handler: async (c, { params, query, principal, client }) => {
      const caller = clientToAnswerFor(principal, client ?? '');
      return c.json(await directory.allowedMethods(providerOf(params), caller, query.serviceId));
    },
  });

  router.add<never, { serviceCode: string }>({
    method: 'get',
    path: `${PROVIDER}/getOpenAPI`,
    operationId: 'getOpenAPI',
    summary: "OpenAPI 3.1 description of one service: the event type's PubSub calls with its JSON Schema",
    tags: ['directory'],
    govstackClient: true,
    params: PARAMS,
    query: { type: 'object', additionalProperties: false, required: ['serviceCode'], properties: { serviceCode: { type: 'string', minLength: 1, maxLength: 63, description: 'Event type name' } } },
    responses: { 200: { description: 'OpenAPI 3.1 document', schema: { type: 'object', required: ['openapi', 'paths'] } } },
    handler: async (c, { params, query }) => c.json(await directory.openApi(providerOf(params), query.serviceCode)),
  });
}
