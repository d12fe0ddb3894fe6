/**
 * The endpoint allowlist (global admins only): host names, IP addresses or CIDR blocks that
 * push endpoints may point at despite the address policy (private, loopback, link-local,
 * metadata). Patterns are stored normalised. The list is consulted when a subscription's
 * endpoint is written; removing an entry does not touch existing subscriptions.
 */
import { allowPatternTooBroad, normaliseAllowPattern, RoomcastError } from '@roomcast/core';
import { type ApiRouter, setAuditTarget } from '@roomcast/http';
import { actorOf } from '../audit/audit.ts';
import { requireGlobalAdmin } from '../http/access.ts';
import { ADMIN_BASE } from '../http/admin-routes.ts';
import { problem } from '../http/problem-responses.ts';
import type { EndpointAllowlist } from './allowlist.ts';

const BASE = `${ADMIN_BASE}/endpoint-allowlist`;

const entrySchema = {
  type: 'object',
  required: ['id', 'pattern', 'reason', 'createdBy', 'createdAt'],
  properties: {
    id: { type: 'string' },
    pattern: { type: 'string', description: 'Normalised: lower-case host, canonical IP, or CIDR network/prefix' },
    reason: { type: ['string', 'null'] },
    createdBy: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
  },
};

const render = (e: { id: string; pattern: string; reason: string | null; createdBy: string; createdAt: Date }) => ({
  id: e.id,
  pattern: e.pattern,
  reason: e.reason,
  createdBy: e.createdBy,
  createdAt: e.createdAt.toISOString(),
});

export function allowlistRoutes(router: ApiRouter, allowlist: EndpointAllowlist): void {
  router.add({
    method: 'get',
    path: BASE,
    operationId: 'listEndpointAllowlist',
    summary: 'Endpoint allowlist (global admin)',
    tags: ['admin', 'subscriptions'],
    responses: { 200: { description: 'Every entry, by pattern', schema: { type: 'object', required: ['entries'], properties: { entries: { type: 'array', items: entrySchema } } } } },
    handler: async (c, { principal }) => {
      requireGlobalAdmin(principal);
      const entries = await allowlist.list();
      return c.json({ entries: entries.map(render) });
    },
  });

  router.add<{ pattern: string; reason?: string; force?: boolean }>({
    method: 'post',
    path: BASE,
    operationId: 'addEndpointAllowlistEntry',
    summary: 'Allow push endpoints on a host, IP address or CIDR block (global admin)',
    tags: ['admin', 'subscriptions'],
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['pattern'],
      properties: {
        pattern: { type: 'string', minLength: 1, maxLength: 300, description: 'partner.internal, 10.1.2.3, 10.0.0.0/8, fd00::/8' },
        reason: { type: 'string', minLength: 1, maxLength: 500 },
        force: {
          type: 'boolean',
          description: 'Required to add a block so wide it switches the guard off (IPv4 wider than /8, IPv6 wider than /7, or one containing a range that carries IPv4 addresses); the override is recorded in the audit log',
        },
      },
    },
    audit: 'allowlist.add',
    responses: {
      201: { description: 'The entry', schema: entrySchema },
      409: problem('The pattern is already listed'),
      422: problem('The pattern would switch the address guard off and `force` was not set'),
    },
    handler: async (c, { body, principal }) => {
      requireGlobalAdmin(principal);
      const pattern = normaliseAllowPattern(body.pattern);
      setAuditTarget(c, pattern ?? body.pattern.slice(0, 100));
      if (!pattern) {
        throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '/pattern', message: 'must be a host name, an IP address or a CIDR block' }] });
      }
      const tooBroad = allowPatternTooBroad(pattern);
      if (tooBroad && body.force !== true) throw new RoomcastError('allowlist.pattern_too_broad', { detail: `${pattern}: ${tooBroad}` });
      const entry = await allowlist.add({ pattern, reason: body.reason ?? null, createdBy: actorOf(principal) }, (e) =>
        setAuditTarget(c, pattern, undefined, tooBroad ? { id: e.id, forced: true, why: tooBroad } : { id: e.id }),
      );
      return c.json(render(entry), 201);
    },
  });

  router.add({
    method: 'delete',
    path: `${BASE}/{entryId}`,
    operationId: 'removeEndpointAllowlistEntry',
    summary: 'Remove an allowlist entry (global admin); subscriptions keep their URL, but pushes to addresses only it allowed are refused at connect time',
    tags: ['admin', 'subscriptions'],
    audit: 'allowlist.remove',
    responses: { 204: { description: 'Removed' }, 404: problem('No such entry') },
    handler: async (c, { params, principal }) => {
      requireGlobalAdmin(principal);
      const id = params.entryId as string;
      setAuditTarget(c, id);
      const entry = await allowlist.find(id);
      setAuditTarget(c, entry.pattern, undefined, { id });
      await allowlist.remove(entry);
      return c.body(null, 204);
    },
  });
}
