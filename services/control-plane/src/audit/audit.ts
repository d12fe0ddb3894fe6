/**
 * The audit log: every administrative action — who, what, target, outcome, when, request id —
 * appended to `audit_log`, which a database trigger keeps append-only. Entries are written by
 * the router after an audited route finished (see ApiRouter); they never carry secrets or
 * event payloads, only ids and names that the handler chose to record.
 */
import type { Logger } from '@roomcast/core';
import type { PrismaClient } from '@roomcast/db';
import type { AuditEvent, AuditSink, Principal } from '@roomcast/http';

/** Who acted, in a form that names no secret: client id, member or role, plus the key id. */
export function actorOf(p: Principal | undefined): string {
  if (!p) return 'anonymous';
  const who = p.clientId ?? (p.member ? `member:${p.member}` : p.role === 'GLOBAL_ADMIN' ? 'global-admin' : p.role.toLowerCase());
  return p.keyId ? `${who} key:${p.keyId}` : who;
}

/** Detail values are restricted to short scalars so nothing large or secret slips in by accident. */
export function safeDetail(detail: Record<string, unknown> | undefined): Record<string, string | number | boolean | null> | undefined {
  if (!detail) return undefined;
  const out: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(detail)) {
    if (/secret|key$|token|password|payload|event$/i.test(k)) continue;
    if (v === null || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (typeof v === 'string') out[k] = v.slice(0, 200);
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[k] = v.join(',').slice(0, 200);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export interface AuditQuery {
  member?: string;
  action?: string;
  actor?: string;
  outcome?: 'SUCCESS' | 'FAILURE';
  target?: string;
  since?: Date;
  until?: Date;
  /** Id of the last entry of the previous page (entries come newest first). */
  before?: bigint;
  limit: number;
}

export interface AuditLogDeps {
  db: PrismaClient;
  logger: Logger;
}

export class AuditLog {
  readonly #deps: AuditLogDeps;
  constructor(deps: AuditLogDeps) {
    this.#deps = deps;
  }

  /** Where the router appends entries (an entry that cannot be written is logged as an error). */
  sink(): AuditSink {
    const { db, logger } = this.#deps;
    return async (e: AuditEvent) => {
      const detail = safeDetail(e.detail);
      try {
        await db.auditEntry.create({
          data: {
            actor: actorOf(e.principal),
            actorRole: e.principal?.role ?? 'ANONYMOUS',
            member: e.member ?? null,
            action: e.action,
            target: e.target.slice(0, 500),
            outcome: e.outcome,
            code: e.code ?? null,
            requestId: e.requestId,
            ...(detail ? { detail } : {}),
          },
        });
      } catch (err) {
        // The action itself has already happened; losing its audit line must be loud.
        logger.error('audit entry could not be written', { action: e.action, requestId: e.requestId, error: err });
      }
    };
  }

  /** Entries matching the filters, newest first, one page. */
  async query(q: AuditQuery) {
    const rows = await this.#deps.db.auditEntry.findMany({
      where: {
        ...(q.member !== undefined ? { member: q.member } : {}),
        ...(q.action !== undefined ? { action: q.action } : {}),
        ...(q.actor !== undefined ? { actor: { startsWith: q.actor } } : {}),
        ...(q.outcome !== undefined ? { outcome: q.outcome } : {}),
        ...(q.target !== undefined ? { target: { contains: q.target } } : {}),
        ...(q.since || q.until ? { at: { ...(q.since ? { gte: q.since } : {}), ...(q.until ? { lt: q.until } : {}) } } : {}),
        ...(q.before !== undefined ? { id: { lt: q.before } } : {}),
      },
      orderBy: { id: 'desc' },
      take: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    return {
      entries: page.map((r) => ({
        id: r.id.toString(),
        at: r.at.toISOString(),
        actor: r.actor,
        actorRole: r.actorRole,
        member: r.member,
        action: r.action,
        target: r.target,
        outcome: r.outcome,
        code: r.code,
        requestId: r.requestId,
        detail: r.detail,
      })),
      nextPageToken: rows.length > q.limit ? (page[page.length - 1]?.id.toString() ?? null) : null,
    };
  }
}
