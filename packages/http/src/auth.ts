/**
 * API-key authentication for every route that is not a probe. The key arrives as
 * `Authorization: Bearer <key>` (or `X-Api-Key`); only its SHA-256 is looked up. GovStack
 * routes also carry `X-GovStack-Client`, which must name the authenticated application.
 */
import { hashApiKey, type RoomAddress, RoomcastError } from '@roomcast/core';
import type { Context, MiddlewareHandler } from 'hono';

export interface Principal {
  role: 'GLOBAL_ADMIN' | 'MEMBER_ADMIN' | 'APPLICATION';
  /** Id of the API key (or certificate mapping) that authenticated the call; for audit. */
  keyId?: string;
  /** INSTANCE/CLASS/MEMBER/APPLICATION for application keys. */
  clientId?: string;
  /** INSTANCE/CLASS/MEMBER for member-bound keys. */
  member?: string;
}

export type PrincipalResolver = (keyHash: string) => Principal | undefined | Promise<Principal | undefined>;

export function bearerKey(c: Context): string | undefined {
  const auth = c.req.header('authorization');
  if (auth?.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim();
  return c.req.header('x-api-key')?.trim();
}

export function authenticate(resolve: PrincipalResolver): MiddlewareHandler {
  return async function authenticateMiddleware(c, next) {
    const key = bearerKey(c);
    if (!key) throw new RoomcastError('auth.missing_credentials', { headers: { 'www-authenticate': 'Bearer' } });
    const principal = await resolve(hashApiKey(key));
    if (!principal) throw new RoomcastError('auth.invalid_credentials', { headers: { 'www-authenticate': 'Bearer' } });
    c.set('principal', principal);
    await next();
  };
}

export function principalOf(c: Context): Principal {
  const p = c.get('principal') as Principal | undefined;
  if (!p) throw new RoomcastError('auth.missing_credentials');
  return p;
}

/**
 * GovStack routes: the X-GovStack-Client header is required and must equal the caller's client
 * id. Admin keys have no client id of their own and may act with any header value.
 */
export function requireGovStackClient(c: Context): string {
  const principal = principalOf(c);
  const header = c.req.header('x-govstack-client');
  if (!header) {
    throw new RoomcastError('request.validation_failed', {
      detail: 'X-GovStack-Client header is required',
      errors: [{ pointer: '/headers/X-GovStack-Client', message: 'is required' }],
    });
  }
  if (principal.role === 'APPLICATION' && header !== principal.clientId) {
    throw new RoomcastError('auth.client_mismatch', { detail: `X-GovStack-Client is ${header}, but the API key belongs to ${principal.clientId}` });
  }
  return header;
}

/** The room a GovStack path addresses: /r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/… */
export function roomAddressOf(c: Context): RoomAddress {
  return {
    instance: c.req.param('instanceId') ?? '',
    memberClass: c.req.param('memberClass') ?? '',
    memberCode: c.req.param('memberCode') ?? '',
    room: c.req.param('applicationCode') ?? '',
  };
}
