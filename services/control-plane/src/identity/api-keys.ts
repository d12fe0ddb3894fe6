/**
 * API keys: issued as `rck_` + 256 random bits, shown once, stored as a SHA-256 hash,
 * revocable, with a last-used time. Who holds a key:
 *
 *   GLOBAL_ADMIN  no member, no application      managed by global admins
 *   MEMBER_ADMIN  its member                     managed by global admins
 *   APPLICATION   its application and member     managed by global admins and the member's admins
 *
 * A key authenticates only while it is not revoked and its member and application are
 * APPROVED — here (the control plane's resolver) and in the routing contract the data plane
 * follows. Last use is recorded in Redis (throttled) by whichever process authenticated, and
 * merged into lists here; it reaches the row when listed or revoked.
 */
import { hashApiKey, issueApiKey, newId, RoomcastError } from '@roomcast/core';
import type { Prisma, PrismaClient } from '@roomcast/db';
import type { CertificateResolver, Principal, PrincipalResolver } from '@roomcast/http';
import type { KeyUsage } from '@roomcast/redis';
import type { ApplicationRoute, PrincipalRoute } from '@roomcast/routing';
import { apiKeyView, type KeyRow, memberPath } from './identity-views.ts';
import type { RoutingPublisher } from '../routing/types.ts';

/** Advisory lock held while a global-admin key is revoked (see `revoke`). */
const GLOBAL_ADMIN_KEYS_LOCK = 7_410_218_205;

export type KeyOwner = { role: 'GLOBAL_ADMIN' } | { role: 'MEMBER_ADMIN'; memberId: string } | { role: 'APPLICATION'; memberId: string; applicationId: string };

export interface IssuedApiKey {
  row: KeyRow;
  /** The whole key: returned to the caller once, never stored. */
  key: string;
}

/** Inserts a new key (inside the caller's transaction when given one). */
export async function insertKey(db: Prisma.TransactionClient, owner: KeyOwner, label: string | undefined): Promise<IssuedApiKey> {
  const issued = issueApiKey();
  const row = await db.apiKey.create({
    data: {
      id: newId('key'),
      prefix: issued.prefix,
      hash: issued.hash,
      role: owner.role,
      label: label ?? null,
      memberId: owner.role === 'GLOBAL_ADMIN' ? null : owner.memberId,
      applicationId: owner.role === 'APPLICATION' ? owner.applicationId : null,
    },
  });
  return { row, key: issued.key };
}

/** Keys that may authenticate: not revoked, and every owner approved. */
export const usableKeyWhere = {
  revokedAt: null,
  AND: [
    { OR: [{ memberId: null }, { member: { status: 'APPROVED' } }] },
    { OR: [{ applicationId: null }, { application: { status: 'APPROVED', member: { status: 'APPROVED' } } }] },
  ],
} satisfies Prisma.ApiKeyWhereInput;

/** The identity part of the routing contract: usable keys and approved applications. */
export async function contractIdentities(db: Prisma.TransactionClient): Promise<{ principals: PrincipalRoute[]; applications: ApplicationRoute[] }> {
  // Sequential: callers pass a transaction, whose one connection runs one query at a time.
  const keys = await db.apiKey.findMany({ where: usableKeyWhere, include: { member: true, application: true }, orderBy: { id: 'asc' } });
  const apps = await db.application.findMany({ where: { status: 'APPROVED', member: { status: 'APPROVED' } }, include: { member: true }, orderBy: { clientId: 'asc' } });
  return {
    principals: keys.map((k) => ({
      keyHash: k.hash,
      keyId: k.id,
      role: k.role,
      ...(k.application ? { clientId: k.application.clientId } : {}),
      ...(k.member ? { member: memberPath(k.member) } : {}),
    })),
    applications: apps.map((a) => ({ clientId: a.clientId, member: memberPath(a.member) })),
  };
}

export interface ApiKeysDeps {
  db: PrismaClient;
  routing: RoutingPublisher;
  usage: KeyUsage;
}

export class ApiKeys {
  readonly #deps: ApiKeysDeps;
  constructor(deps: ApiKeysDeps) {
    this.#deps = deps;
  }

  /** Registers the configured bootstrap key (idempotent: the hash is unique). Start re-enables it. */
  async registerBootstrapAdmin(key: string): Promise<void> {
    const hash = hashApiKey(key);
    await this.#deps.routing.changeAndRepublish('bootstrap admin key', () =>
      this.#deps.db.apiKey.upsert({
        where: { hash },
        create: { id: newId('key'), prefix: key.slice(0, 6), hash, role: 'GLOBAL_ADMIN', label: 'bootstrap (ROOMCAST_BOOTSTRAP_ADMIN_KEY)' },
        update: { revokedAt: null },
      }),
    );
  }

  async issue(owner: KeyOwner, label: string | undefined): Promise<IssuedApiKey> {
    const { result } = await this.#deps.routing.changeAndRepublish(
      (issued) => `api key ${issued.row.id} issued`,
      () => insertKey(this.#deps.db, owner, label),
    );
    return result;
  }

  /** Keys matching `where`, oldest first, with last use merged from Redis (and persisted). */
  async list(where: Prisma.ApiKeyWhereInput) {
    const rows = await this.#deps.db.apiKey.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    const recorded = await this.recordedUse(rows.map((r) => r.id));
    await Promise.all(rows.map((r) => this.persistUse(r, recorded.get(r.id))));
    return rows.map((r) => apiKeyView(r, recorded.get(r.id)));
  }

  /**
   * The key, if this caller may manage it; otherwise the same `api_key.not_found` as for an
   * unknown id. Global admins manage every key; member admins their member's application keys.
   */
  async findManageable(p: Principal, keyId: string) {
    const key = await this.#deps.db.apiKey.findUnique({ where: { id: keyId }, include: { member: true } });
    const visible =
      key !== null && (p.role === 'GLOBAL_ADMIN' || (p.role === 'MEMBER_ADMIN' && key.role === 'APPLICATION' && key.member !== null && memberPath(key.member) === p.member));
    if (!visible) throw new RoomcastError('api_key.not_found', { detail: `No API key ${keyId}` });
    return key;
  }

  /** Revokes a key (idempotent) and republishes, so the data plane stops accepting it. */
  async revoke(p: Principal, keyId: string) {
    const key = await this.findManageable(p, keyId);
    if (key.revokedAt) return { key: apiKeyView(key), member: key.member ? memberPath(key.member) : undefined };
    const recorded = (await this.recordedUse([key.id])).get(key.id);
    const lastUsedAt = recorded && (!key.lastUsedAt || recorded > key.lastUsedAt) ? recorded : key.lastUsedAt;
    await this.#deps.routing.changeAndRepublish(`api key ${key.id} revoked`, () =>
      this.#deps.db.$transaction(async (tx) => {
        if (key.role === 'GLOBAL_ADMIN') {
          // Revoking the last global-admin key would lock every operator out until a restart
          // re-enables the bootstrap key. Concurrent revocations take turns, so two cannot pass together.
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(${GLOBAL_ADMIN_KEYS_LOCK})`;
          const others = await tx.apiKey.count({ where: { role: 'GLOBAL_ADMIN', revokedAt: null, id: { not: key.id } } });
          if (others === 0) throw new RoomcastError('api_key.last_global_admin', { detail: `${key.id} is the only active global-admin key` });
        }
        await tx.apiKey.updateMany({ where: { id: key.id, revokedAt: null }, data: { revokedAt: new Date(), lastUsedAt } });
      }),
    );
    await this.#deps.usage.forget([key.id]).catch(() => {});
    const updated = await this.#deps.db.apiKey.findUniqueOrThrow({ where: { id: key.id } });
    return { key: apiKeyView(updated), member: key.member ? memberPath(key.member) : undefined };
  }

  /** Revokes every live key of a member (its admins' and its applications'). */
  static async revokeAllOf(db: Prisma.TransactionClient, where: { memberId: string } | { applicationId: string }): Promise<number> {
    const { count } = await db.apiKey.updateMany({ where: { ...where, revokedAt: null }, data: { revokedAt: new Date() } });
    return count;
  }

  /**
   * The control plane authenticates against Postgres directly (it is not on the per-event path).
   * A known key of a member or application still waiting for approval answers 403
   * `auth.not_approved`, so an applicant can tell "wait" from "wrong key".
   */
  resolver(): PrincipalResolver {
    return async (hash) => {
      const key = await this.#deps.db.apiKey.findUnique({ where: { hash }, include: { member: true, application: { include: { member: true } } } });
      if (!key || key.revokedAt) return undefined;
      const member = key.application?.member ?? key.member;
      if (member && member.status !== 'APPROVED') throw notApproved(`The member ${memberPath(member)} is ${member.status}`);
      if (key.application && key.application.status !== 'APPROVED') throw notApproved(`The application ${key.application.clientId} is ${key.application.status}`);
      this.#deps.usage.touch(key.id);
      const principal: Principal = { role: key.role, keyId: key.id };
      if (key.application) principal.clientId = key.application.clientId;
      if (member) principal.member = memberPath(member);
      return principal;
    };
  }

  /** Client certificates name an application by client id; only approved ones authenticate. */
  certificateResolver(): CertificateResolver {
    return async (clientId) => {
      const app = await this.#deps.db.application.findUnique({ where: { clientId }, include: { member: true } });
      if (!app) return undefined;
      if (app.status !== 'APPROVED' || app.member.status !== 'APPROVED') throw notApproved(`The application ${clientId} is not approved`);
      return { role: 'APPLICATION', clientId, member: memberPath(app.member) };
    };
  }

  private async recordedUse(ids: string[]): Promise<Map<string, Date>> {
    // Redis being down must not hide the keys: the persisted time is shown instead.
    return this.#deps.usage.read(ids).catch(() => new Map<string, Date>());
  }

  private async persistUse(row: KeyRow, recorded: Date | undefined): Promise<void> {
    if (!recorded || (row.lastUsedAt && row.lastUsedAt >= recorded)) return;
    await this.#deps.db.apiKey.updateMany({ where: { id: row.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: recorded } }] }, data: { lastUsedAt: recorded } });
  }
}

function notApproved(detail: string): RoomcastError {
  return new RoomcastError('auth.not_approved', { detail: `${detail}; its credentials work once a global admin approves it` });
}
