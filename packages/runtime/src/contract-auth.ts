/**
 * How data-plane processes authenticate: from the routing contract in memory, never from
 * Postgres. API keys resolve by hash to the principals of approved members and applications;
 * a verified client certificate resolves by client id to an approved application. Key use is
 * recorded (throttled, in Redis) for the control plane's key lists.
 */
import { authenticate, type CertificateResolver, type Principal, type PrincipalResolver } from '@roomcast/http';
import type { KeyUsage } from '@roomcast/redis';
import type { RoutingFollower } from '@roomcast/routing';
import type { MiddlewareHandler } from 'hono';

/** The resolvers behind contractAuthenticator, for an ApiRouter on a data-plane service. */
export function contractResolvers(routing: RoutingFollower, usage: KeyUsage): { resolve: PrincipalResolver; certificate: CertificateResolver } {
  return {
    resolve: (hash) => {
      const found = routing.current().principal(hash);
      if (!found) return undefined;
      if (found.keyId) usage.touch(found.keyId);
      const principal: Principal = { role: found.role };
      if (found.keyId) principal.keyId = found.keyId;
      if (found.clientId) principal.clientId = found.clientId;
      if (found.member) principal.member = found.member;
      return principal;
    },
    certificate: (clientId) => {
      const app = routing.current().application(clientId);
      return app ? { role: 'APPLICATION', clientId: app.clientId, member: app.member } : undefined;
    },
  };
}

export function contractAuthenticator(routing: RoutingFollower, usage: KeyUsage): MiddlewareHandler {
  const { resolve, certificate } = contractResolvers(routing, usage);
  return authenticate(resolve, { certificate });
}
