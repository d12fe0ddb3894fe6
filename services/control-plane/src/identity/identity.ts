/**
 * Members and applications, registered the GovStack way: the member applies, a global admin
 * approves. Both follow one state machine:
 *
 *   apply ──▶ PENDING ──approve──▶ APPROVED        (a global admin creating one directly
 *                │                                   starts it APPROVED)
 *                └──reject──▶ REJECTED ──apply again──▶ PENDING
 *
 * An applicant receives its key at once (shown once); the key authenticates only after
 * approval. Rejection revokes the keys issued so far. Approving an application needs its member
 * APPROVED. Only approval can change routing, so only approval republishes the contract.
 */
import { formatClientId, newId, RoomcastError } from '@roomcast/core';
import { Prisma, type PrismaClient } from '@roomcast/db';
import type { Principal } from '@roomcast/http';
import { ApiKeys, type IssuedApiKey, insertKey } from './api-keys.ts';
import { pageOf } from './identity-views.ts';
import type { RoutingPublisher } from '../routing/types.ts';

export type Status = 'PENDING' | 'APPROVED' | 'REJECTED';
export type Decision = 'APPROVED' | 'REJECTED';

export interface MemberInput {
  instance: string;
  memberClass: string;
  memberCode: string;
  name: string;
}

export interface PageQuery {
  status?: Status;
  pageSize: number;
  nextPageToken?: string;
}

/** Only the member's own fields, whatever else the request carried (e.g. a key label). */
function memberFields(i: MemberInput): MemberInput {
  return { instance: i.instance, memberClass: i.memberClass, memberCode: i.memberCode, name: i.name };
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

/** Admins only: global admins see every member, member admins their own. */
export function requireAdmin(p: Principal): void {
  if (p.role !== 'GLOBAL_ADMIN' && p.role !== 'MEMBER_ADMIN') throw new RoomcastError('auth.forbidden', { detail: 'Only global and member admins may do this' });
}

/** The members a principal may see, as a filter. */
function memberScope(p: Principal): Prisma.MemberWhereInput {
  requireAdmin(p);
  if (p.role === 'GLOBAL_ADMIN') return {};
  const [instance, memberClass, memberCode] = (p.member ?? '').split('/');
  // A member admin key always names its member; an empty filter value matches nothing.
  return { instance: instance ?? '', memberClass: memberClass ?? '', memberCode: memberCode ?? '' };
}

export interface IdentityDeps {
  db: PrismaClient;
  routing: RoutingPublisher;
}

export class Identity {
  readonly #deps: IdentityDeps;
  constructor(deps: IdentityDeps) {
    this.#deps = deps;
  }

  /** A global admin registers a member directly: APPROVED at once. */
  async createMember(input: MemberInput) {
    try {
      return await this.#deps.db.member.create({ data: { id: newId('mem'), ...memberFields(input), status: 'APPROVED' } });
    } catch (err) {
      if (isUniqueViolation(err)) throw new RoomcastError('member.already_exists', { detail: `Member ${input.instance}/${input.memberClass}/${input.memberCode} already exists` });
      throw err;
    }
  }

  /**
   * A member applies to join: PENDING, with a member-admin key that works once approved. A
   * REJECTED member may apply again; any other existing member is `member.already_exists`.
   */
  async applyMember(input: MemberInput, label: string | undefined) {
    const where = { instance_memberClass_memberCode: { instance: input.instance, memberClass: input.memberClass, memberCode: input.memberCode } };
    try {
      return await this.#deps.db.$transaction(async (tx) => {
        const existing = await tx.member.findUnique({ where });
        if (existing && existing.status !== 'REJECTED') throw new RoomcastError('member.already_exists', { detail: `Member ${input.instance}/${input.memberClass}/${input.memberCode} already exists` });
        const member = existing
          ? await tx.member.update({ where: { id: existing.id }, data: { name: input.name, status: 'PENDING' } })
          : await tx.member.create({ data: { id: newId('mem'), ...memberFields(input), status: 'PENDING' } });
        const issued = await insertKey(tx, { role: 'MEMBER_ADMIN', memberId: member.id }, label);
        return { member, issued };
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new RoomcastError('member.already_exists');
      throw err;
    }
  }

  async decideMember(memberId: string, decision: Decision) {
    const member = await this.#deps.db.member.findUnique({ where: { id: memberId } });
    if (!member) throw new RoomcastError('member.not_found', { detail: `No member ${memberId}` });
    if (member.status === decision) return member;
    if (member.status !== 'PENDING') throw new RoomcastError('member.invalid_state', { detail: `The member is ${member.status}; only a PENDING member can be ${decision.toLowerCase()}` });
    // Only approval can change routing (a rejected member's keys never authenticated).
    const { result } = await this.#deps.routing.changeAndRepublish(
      () => (decision === 'APPROVED' ? `member ${memberId} approved` : undefined),
      () =>
        this.#deps.db.$transaction(async (tx) => {
          const { count } = await tx.member.updateMany({ where: { id: memberId, status: 'PENDING' }, data: { status: decision } });
          if (count === 0) throw new RoomcastError('member.invalid_state', { detail: 'The member was decided concurrently' });
          if (decision === 'REJECTED') await ApiKeys.revokeAllOf(tx, { memberId });
          return tx.member.findUniqueOrThrow({ where: { id: memberId } });
        }),
    );
    return result;
  }

  /** The member, if this admin may see it; otherwise the same 404 as for an unknown id. */
  async visibleMember(p: Principal, memberId: string) {
    const member = await this.#deps.db.member.findFirst({ where: { id: memberId, ...memberScope(p) } });
    if (!member) throw new RoomcastError('member.not_found', { detail: `No member ${memberId}` });
    return member;
  }

  async listMembers(p: Principal, q: PageQuery) {
    const rows = await this.#deps.db.member.findMany({
      where: { ...memberScope(p), ...(q.status ? { status: q.status } : {}), ...(q.nextPageToken ? { id: { gt: q.nextPageToken } } : {}) },
      orderBy: { id: 'asc' },
      take: q.pageSize + 1,
    });
    return pageOf(rows, q.pageSize);
  }

  /**
   * A global admin creates an application APPROVED; a member admin applies for one of its own
   * member, PENDING. Either way the first API key comes back once. A REJECTED application may be
   * applied for again under the same code.
   */
  async createApplication(p: Principal, memberId: string, input: { code: string; name?: string | undefined; label?: string | undefined }) {
    const member = await this.visibleMember(p, memberId);
    if (member.status === 'REJECTED') throw new RoomcastError('member.invalid_state', { detail: 'The member was rejected' });
    const status: Status = p.role === 'GLOBAL_ADMIN' ? 'APPROVED' : 'PENDING';
    const clientId = formatClientId({ instance: member.instance, memberClass: member.memberClass, memberCode: member.memberCode, application: input.code });
    const { result } = await this.#deps.routing.changeAndRepublish(
      () => (status === 'APPROVED' && member.status === 'APPROVED' ? `application ${clientId} created` : undefined),
      async (): Promise<{ application: Awaited<ReturnType<PrismaClient['application']['create']>>; issued: IssuedApiKey }> => {
        try {
          return await this.#deps.db.$transaction(async (tx) => {
            const existing = await tx.application.findUnique({ where: { clientId } });
            if (existing && existing.status !== 'REJECTED') throw new RoomcastError('application.already_exists', { detail: `Application ${clientId} already exists` });
            const data = { status, name: input.name ?? null };
            const application = existing
              ? await tx.application.update({ where: { id: existing.id }, data })
              : await tx.application.create({ data: { id: newId('app'), memberId, code: input.code, clientId, ...data } });
            const issued = await insertKey(tx, { role: 'APPLICATION', memberId, applicationId: application.id }, input.label);
            return { application, issued };
          });
        } catch (err) {
          if (isUniqueViolation(err)) throw new RoomcastError('application.already_exists', { detail: `Application ${clientId} already exists` });
          throw err;
        }
      },
    );
    return { ...result, member };
  }

  async decideApplication(applicationId: string, decision: Decision) {
    const app = await this.#deps.db.application.findUnique({ where: { id: applicationId }, include: { member: true } });
    if (!app) throw new RoomcastError('application.not_found', { detail: `No application ${applicationId}` });
    if (app.status === decision) return app;
    if (app.status !== 'PENDING') throw new RoomcastError('application.invalid_state', { detail: `The application is ${app.status}; only a PENDING application can be ${decision.toLowerCase()}` });
    if (decision === 'APPROVED' && app.member.status !== 'APPROVED') throw new RoomcastError('member.invalid_state', { detail: `Its member is ${app.member.status}; approve the member first` });
    const { result } = await this.#deps.routing.changeAndRepublish(
      () => (decision === 'APPROVED' ? `application ${app.clientId} approved` : undefined),
      () =>
        this.#deps.db.$transaction(async (tx) => {
          const { count } = await tx.application.updateMany({ where: { id: applicationId, status: 'PENDING' }, data: { status: decision } });
          if (count === 0) throw new RoomcastError('application.invalid_state', { detail: 'The application was decided concurrently' });
          if (decision === 'REJECTED') await ApiKeys.revokeAllOf(tx, { applicationId });
          return tx.application.findUniqueOrThrow({ where: { id: applicationId }, include: { member: true } });
        }),
    );
    return result;
  }

  /** The application, if this admin may see it; otherwise the same 404 as for an unknown id. */
  async visibleApplication(p: Principal, applicationId: string) {
    const app = await this.#deps.db.application.findFirst({ where: { id: applicationId, member: memberScope(p) }, include: { member: true } });
    if (!app) throw new RoomcastError('application.not_found', { detail: `No application ${applicationId}` });
    return app;
  }

  async listApplications(p: Principal, q: PageQuery & { memberId?: string }) {
    const rows = await this.#deps.db.application.findMany({
      where: {
        member: memberScope(p),
        ...(q.memberId ? { memberId: q.memberId } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.nextPageToken ? { id: { gt: q.nextPageToken } } : {}),
      },
      orderBy: { id: 'asc' },
      take: q.pageSize + 1,
    });
    return pageOf(rows, q.pageSize);
  }
}
