/**
 * Who sees which log records (GovStack: a regular client sees only records associated with it):
 *
 *   central admin (GLOBAL_ADMIN)  everything
 *   member admin (MEMBER_ADMIN)   events in its member's rooms or published by its applications;
 *                                 deliveries in its rooms or to its applications
 *   application (APPLICATION)     events it published; deliveries to it
 *   central monitoring client     everything, in the operational monitoring API only
 *                                 (an application named by ROOMCAST_MONITORING_CLIENTS)
 *
 * Each scope is a SQL condition with its parameters appended to the caller's list, so every
 * query applies it the same way. Pure.
 */
import type { Principal } from '@roomcast/http';
import type { RoutingIndex } from '@roomcast/routing';

export type Scope = { all: true } | { all: false; rooms: string[]; prefix: string | null; client: string | null };

export function scopeOf(p: Principal, routing: Pick<RoutingIndex, 'contract'>): Scope {
  if (p.role === 'GLOBAL_ADMIN') return { all: true };
  if (p.role === 'MEMBER_ADMIN' && p.member) {
    const rooms = routing.contract.rooms.filter((r) => `${r.address.instance}/${r.address.memberClass}/${r.address.memberCode}` === p.member).map((r) => r.id);
    return { all: false, rooms, prefix: `${p.member}/`, client: null };
  }
  return { all: false, rooms: [], prefix: null, client: p.clientId ?? '\u0000none' };
}

/** The monitoring API's scope: the log's, except that a central monitoring client sees everything. */
export function monitoringScopeOf(p: Principal, routing: Pick<RoutingIndex, 'contract'>, centralClients: readonly string[]): Scope {
  if (p.role === 'APPLICATION' && p.clientId !== undefined && centralClients.includes(p.clientId)) return { all: true };
  return scopeOf(p, routing);
}

/** LIKE pattern of a client-id prefix, its wildcards escaped. */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The scope as a condition on a table's room column and client column (publisher for events,
 * subscriber for deliveries); `params` receives its values.
 */
export function scopeSql(scope: Scope, roomColumn: string, clientColumn: string, params: unknown[]): string {
  if (scope.all) return 'TRUE';
  const parts: string[] = [];
  if (scope.rooms.length > 0) {
    params.push(scope.rooms);
    parts.push(`${roomColumn} = ANY($${params.length}::text[])`);
  }
  if (scope.prefix !== null) {
    params.push(likePrefix(scope.prefix));
    parts.push(`${clientColumn} LIKE $${params.length}`);
  }
  if (scope.client !== null) {
    params.push(scope.client);
    parts.push(`${clientColumn} = $${params.length}`);
  }
  return parts.length === 0 ? 'FALSE' : `(${parts.join(' OR ')})`;
}

/** Whether one row is in scope (the same rule as scopeSql, for rows already read). */
export function inScope(scope: Scope, roomId: string, client: string): boolean {
  if (scope.all) return true;
  return scope.rooms.includes(roomId) || (scope.prefix !== null && client.startsWith(scope.prefix)) || (scope.client !== null && client === scope.client);
}
