/**
 * Authentication for every route that is not a probe, two ways in:
 * - an API key as `Authorization: Bearer <key>` (or `X-Api-Key`); only its SHA-256 is looked up;
 * - a client certificate on the HTTPS listener (mTLS), verified against the configured client CA,
 *   whose subject CN or URI SAN names an application's client id.
 * A key, when sent, decides; otherwise the certificate does. GovStack routes also carry
 * `X-GovStack-Client`, which must name the authenticated application.
 */
import { hashApiKey, type RoomAddress, RoomcastError } from '@roomcast/core';
import type { Context, MiddlewareHandler } from 'hono';
import { presentedCertificate } from './client-cert.ts';

export interface Principal {
  role: 'GLOBAL_ADMIN' | 'MEMBER_ADMIN' | 'APPLICATION';
  /** Id of the API key (or certificate mapping) that authenticated the call; for audit. */
  keyId?: string;
  /** INSTANCE/CLASS/MEMBER/APPLICATION for application keys. */
  clientId?: string;
  /** INSTANCE/CLASS/MEMBER for member-bound keys. */
  member?: string;
}

/**
 * Maps an API key's hash to its principal; undefined for unknown or revoked keys. A resolver may
 * throw a RoomcastError (e.g. `auth.not_approved`) to answer with that instead.
 */
export type PrincipalResolver = (keyHash: string) => Principal | undefined | Promise<Principal | undefined>;

/** Maps the client id named by a verified client certificate to its application's principal. */
export type CertificateResolver = (clientId: string) => Principal | undefined | Promise<Principal | undefined>;

export interface AuthOptions {
  /** Accept client certificates; without it a presented certificate does not authenticate. */
  certificate?: CertificateResolver;
}

export function bearerKey(c: Context): string | undefined {
  const auth = c.req.header('authorization');
  if (auth?.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim();
  return c.req.header('x-api-key')?.trim();
}

export function authenticate(resolve: PrincipalResolver, options: AuthOptions = {}): MiddlewareHandler {
  return async function authenticateMiddleware(c, next) {
    const key = bearerKey(c);
    let principal: Principal | undefined;
    if (key) {
      principal = await resolve(hashApiKey(key));
      if (!principal) throw new RoomcastError('auth.invalid_credentials', { headers: { 'www-authenticate': 'Bearer' } });
    } else {
      principal = await certificatePrincipal(c, options.certificate);
    }
    c.set('principal', principal);
    await next();
  };
}

async function certificatePrincipal(c: Context, resolve: CertificateResolver | undefined): Promise<Principal> {
  const cert = presentedCertificate(c);
  if (!cert) throw new RoomcastError('auth.missing_credentials', { headers: { 'www-authenticate': 'Bearer' } });
  const refuse = (detail: string) => new RoomcastError('auth.client_certificate_invalid', { detail });
  if (!resolve) throw refuse('This route does not accept client certificates; send an API key');
  if (!cert.verified) throw refuse(`The client certificate does not verify against the configured client CA (${cert.error ?? 'unverified'})`);
  if (!cert.clientId) throw refuse('The client certificate names no single client id in its subject CN or URI SAN');
  const principal = await resolve(cert.clientId);
  if (!principal) throw refuse(`No approved application ${cert.clientId}`);
  return { ...principal, keyId: cert.id };
}

export function principalOf(c: Context): Principal {
  const p = c.get('principal') as Principal | undefined;
  if (!p) throw new RoomcastError('auth.missing_credentials');
  return p;
}

/**
 * GovStack routes: the X-GovStack-Client header is required and must equal the caller's client
 * id. Admin keys have no client id of their own: a member admin may name any application of
 * its member, a global admin any application.
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
    throw new RoomcastError('auth.client_mismatch', { detail: `X-GovStack-Client is ${header}, but the caller is ${principal.clientId}` });
  }
  // A member admin acts only for its own member's applications; a global admin for any.
  if (principal.role === 'MEMBER_ADMIN' && !(principal.member && header.startsWith(`${principal.member}/`))) {
    throw new RoomcastError('auth.client_mismatch', { detail: `X-GovStack-Client is ${header}, which is not an application of ${principal.member}` });
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
