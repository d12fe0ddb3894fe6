/**
 * GovStack Configuration Management, `rights` tag: `GET|PATCH /api/v1/rights/allow` and
 * `PATCH /api/v1/rights/deny`. Global admins manage every room of the configured instance; a
 * member admin manages only its own member's rooms (decided from the request, before anything
 * is looked up, so a foreign room's existence is not disclosed). A caller without the permission
 * gets 403 `auth.forbidden`, not the specification's 401 (decision 0009).
 */
import { RoomcastError, SEGMENT_RE } from '@roomcast/core';
import { type ApiRouter, type Principal, setAuditTarget } from '@roomcast/http';
import type { Configuration } from './configuration.ts';
import { decodePageToken, type ServiceAccessRight } from './rights.ts';

const segment = { type: 'string', pattern: SEGMENT_RE.source, maxLength: 63 };

const allowedApplication = {
  type: 'object',
  additionalProperties: false,
  required: ['memberClass', 'memberCode', 'applicationId'],
  properties: { memberClass: segment, memberCode: segment, applicationId: segment },
  description: 'An application of the configured instance (the specification lists `member`/`application` as required but defines these three properties; Roomcast requires these)',
};

const accessRight = {
  type: 'object',
  additionalProperties: false,
  required: ['memberClass', 'memberCode', 'applicationId', 'serviceId', 'rights'],
  properties: {
    memberClass: { ...segment, description: 'Room owner: member class' },
    memberCode: { ...segment, description: 'Room owner: member code' },
    applicationId: { ...segment, description: 'Room code' },
    serviceId: { type: 'string', maxLength: 67, description: '<event type>: right to publish (publisher contract); sub:<event type>: right to subscribe without approval (subscriber grant)' },
    rights: { type: 'array', maxItems: 1000, items: allowedApplication },
  },
};

export const serviceAccessRightsSchema = { type: 'array', maxItems: 1000, items: accessRight };

const changeResponse = {
  description: 'Applied',
  schema: {
    type: 'object',
    required: ['generation'],
    properties: {
      generation: { type: 'integer', description: 'Routing-contract generation that carries the change' },
      contractsGranted: { type: 'integer' },
      contractsRevoked: { type: 'integer' },
      grantsAdded: { type: 'integer' },
      grantsRemoved: { type: 'integer' },
    },
  },
};

interface RightsQuery {
  memberClass?: string;
  memberCode?: string;
  applicationId?: string;
  serviceId?: string;
  pageSize: number;
  nextPageToken?: string;
}

/** Global admins: any room. Member admins: rooms of their own member in the configured instance. */
function mayManage(p: Principal, instance: string, memberClass: string, memberCode: string): boolean {
  if (p.role === 'GLOBAL_ADMIN') return true;
  return p.role === 'MEMBER_ADMIN' && p.member === `${instance}/${memberClass}/${memberCode}`;
}

function forbidden(): RoomcastError {
  return new RoomcastError('auth.forbidden', { detail: 'Access rights are managed by global admins, and by member admins for their own rooms' });
}

export function rightsRoutes(router: ApiRouter, configuration: Configuration): void {
  router.add<never, RightsQuery>({
    method: 'get',
    path: '/api/v1/rights/allow',
    operationId: 'getAllowed',
    summary: 'Access rights (allow list), filtered by provider and service, paged over (service, application) pairs',
    description: 'Filters apply to the provider: memberClass/memberCode = room owner, applicationId = room code, serviceId = `<event type>` or `sub:<event type>`. Member admins see only their own rooms.',
    tags: ['rights'],
    query: {
      type: 'object',
      additionalProperties: false,
      properties: {
        memberClass: segment,
        memberCode: segment,
        applicationId: segment,
        serviceId: { type: 'string', maxLength: 67 },
        pageSize: { type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'Rights (service, application pairs) per page' },
        nextPageToken: { type: 'string', maxLength: 1000, description: 'From the previous page, verbatim' },
      },
    },
    responses: {
      200: {
        description: 'One page',
        schema: { type: 'object', required: ['allowList'], properties: { nextPageToken: { type: 'string', description: 'Absent on the last page' }, allowList: serviceAccessRightsSchema } },
      },
    },
    handler: async (c, { query, principal }) => {
      if (principal.role === 'APPLICATION') throw forbidden();
      const instance = await configuration.configuredInstance();
      const filter = { ...query };
      if (principal.role === 'MEMBER_ADMIN') {
        const [mi, mc, mm] = (principal.member ?? '').split('/');
        if (mi !== instance || (query.memberClass ?? mc) !== mc || (query.memberCode ?? mm) !== mm) throw forbidden();
        filter.memberClass = mc;
        filter.memberCode = mm;
      }
      let after: readonly string[] | undefined;
      if (query.nextPageToken !== undefined) {
        after = decodePageToken(query.nextPageToken);
        if (!after) throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '/query/nextPageToken', message: 'is not a token this API returned' }] });
      }
      return c.json(await configuration.listRights(instance, filter, query.pageSize, after));
    },
  });

  const change = (op: 'allow' | 'deny', operationId: string, summary: string, description: string) => {
    router.add<ServiceAccessRight[] | undefined>({
      method: 'patch',
      path: `/api/v1/rights/${op}`,
      operationId,
      summary,
      description,
      tags: ['rights'],
      body: serviceAccessRightsSchema,
      bodyRequired: false,
      audit: `rights.${op}`,
      responses: { 200: changeResponse },
      handler: async (c, { body, principal }) => {
        if (principal.role === 'APPLICATION') throw forbidden();
        const items = body ?? [];
        const instance = await configuration.configuredInstance();
        const providers = [...new Set(items.map((it) => `${instance}/${it.memberClass}/${it.memberCode}`))];
        const services = items.map((it) => `${instance}/${it.memberClass}/${it.memberCode}/${it.applicationId}:${it.serviceId}`);
        setAuditTarget(c, services.join(',') || 'none', providers.length === 1 ? providers[0] : undefined, { services: items.length, applications: items.reduce((n, it) => n + it.rights.length, 0) });
        if (!items.every((it) => mayManage(principal, instance, it.memberClass, it.memberCode))) throw forbidden();
        const result = await configuration.applyRights(op, items, instance);
        setAuditTarget(c, services.join(',') || 'none', providers.length === 1 ? providers[0] : undefined, { ...result });
        return c.json(result);
      },
    });
  };
  change(
    'allow',
    'setAllowed',
    'Allow applications to publish (`<event type>`) or to subscribe without approval (`sub:<event type>`)',
    'Creates (or restores) publisher contracts and subscriber grants; atomic: any unknown room, event type or application answers 400 `config.invalid` and changes nothing.',
  );
  change(
    'deny',
    'setDenied',
    'Withdraw the right to publish or to subscribe',
    'Revokes publisher contracts; removes subscriber grants and sends the application’s subscription to that event type back to PENDING (delivery stops until the room owner approves it again). Atomic.',
  );
}
