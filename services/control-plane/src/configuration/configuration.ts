/**
 * Configuration management and access rights over PostgreSQL: the configured instance, the
 * IMconf document read from one snapshot, and the writes. Every write follows one flow: advisory
 * lock → one snapshot → a pure plan (config-management.ts, rights.ts; any problem is 400
 * `config.invalid` and nothing is written) → the plan in one transaction → the routing contract
 * republished.
 */
import { type FieldError, newId, RoomcastError } from '@roomcast/core';
import { Prisma, type PrismaClient } from '@roomcast/db';
import type { RoutingPublisher } from '../routing/types.ts';
import { type ConfigMode, type ConfigResult, type ImConf, planConfig, toImConf } from './config-management.ts';
import { applyRightsChanges, CONFIG_LOCK, countChanges, loadState, memberKey } from './config-state.ts';
import { pageOfRights, planRights, type RightsFilter, rightPairs, type ServiceAccessRight } from './rights.ts';

const TX = { timeout: 15_000 };

function invalid(errors: FieldError[]): RoomcastError {
  return new RoomcastError('config.invalid', { detail: errors.length === 1 ? errors[0]?.message : `${errors.length} problems; nothing was changed`, errors });
}

export interface ConfigurationDeps {
  db: PrismaClient;
  routing: RoutingPublisher;
  /** The deployment's public base URL, written into the IMconf document. */
  publicOrigin: () => string;
}

export class Configuration {
  readonly #deps: ConfigurationDeps;
  constructor(deps: ConfigurationDeps) {
    this.#deps = deps;
  }

  /** The configured instance and the current routing generation (0 before the first). */
  async status(): Promise<{ instance: string; domain: string; generation: number }> {
    const { db } = this.#deps;
    const [config, latest] = await Promise.all([db.instanceConfig.findUnique({ where: { id: 1 } }), db.routingGeneration.findFirst({ orderBy: { id: 'desc' } })]);
    if (!config) throw new RoomcastError('config.not_configured');
    return { instance: config.instance, domain: config.domain, generation: latest?.id ?? 0 };
  }

  /** The instance as an IMconf document; 409 `config.not_configured` before the first configuration. */
  async imConf(): Promise<ImConf> {
    const state = await loadState(this.#deps.db);
    const config = state.config;
    if (!config) throw new RoomcastError('config.not_configured');
    return toImConf({ ...state, config }, this.#deps.publicOrigin());
  }

  async configuredInstance(): Promise<string> {
    const config = await this.#deps.db.instanceConfig.findUnique({ where: { id: 1 } });
    if (!config) throw new RoomcastError('config.not_configured');
    return config.instance;
  }

  /** Applies an IMconf atomically (or changes nothing and throws `config.invalid`), then republishes routing. */
  async apply(mode: ConfigMode, desired: ImConf): Promise<ConfigResult> {
    const { db, routing } = this.#deps;
    const { result: summary, generation } = await routing.changeAndRepublish(`configuration ${mode}`, async () => {
      try {
        return await db.$transaction(async (tx) => {
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CONFIG_LOCK})`;
          const state = await loadState(tx);
          const { errors, plan } = planConfig(mode, desired, state);
          if (errors.length > 0) throw invalid(errors);
          await tx.instanceConfig.upsert({ where: { id: 1 }, create: { id: 1, ...plan.instanceConfig }, update: plan.instanceConfig });
          const memberIds = new Map(state.members.map((m) => [memberKey(m.instance, m.memberClass, m.memberCode), m.id]));
          for (const m of plan.createMembers) {
            const id = newId('mem');
            await tx.member.create({ data: { id, instance: desired.instance, ...m, status: 'APPROVED' } });
            memberIds.set(memberKey(desired.instance, m.memberClass, m.memberCode), id);
          }
          for (const r of plan.renameMembers) await tx.member.update({ where: { id: r.id }, data: { name: r.name } });
          const appIds = new Map(state.members.flatMap((m) => m.applications.map((a) => [a.clientId, a.id] as const)));
          for (const a of plan.createApps) {
            const id = newId('app');
            const memberId = memberIds.get(memberKey(desired.instance, a.memberClass, a.memberCode)) as string;
            await tx.application.create({ data: { id, memberId, code: a.code, clientId: a.clientId, status: 'APPROVED' } });
            appIds.set(a.clientId, id);
          }
          await applyRightsChanges(tx, plan.rights, (clientId) => appIds.get(clientId) as string);
          return { membersCreated: plan.createMembers.length, membersRenamed: plan.renameMembers.length, applicationsCreated: plan.createApps.length, ...countChanges(plan.rights) };
        }, TX);
      } catch (err) {
        if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
          throw new RoomcastError('config.invalid', { detail: 'A concurrent change created the same member or application; nothing was changed, retry', cause: err });
        }
        throw err;
      }
    });
    return { generation, summary };
  }

  /** One page of the rights on the instance's rooms. */
  async listRights(instance: string, filter: RightsFilter, pageSize: number, after?: readonly string[]) {
    return pageOfRights(rightPairs(await loadState(this.#deps.db), instance), filter, pageSize, after);
  }

  /** Applies allow/deny atomically (or throws `config.invalid` and changes nothing), then republishes routing. */
  async applyRights(op: 'allow' | 'deny', items: ServiceAccessRight[], instance: string) {
    const { db, routing } = this.#deps;
    const { result: summary, generation } = await routing.changeAndRepublish(`rights ${op}`, () =>
      db.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CONFIG_LOCK})`;
        const state = await loadState(tx);
        const { errors, changes } = planRights(op, items, state, instance);
        if (errors.length > 0) throw invalid(errors);
        const appIds = new Map(state.members.flatMap((m) => m.applications.map((a) => [a.clientId, a.id] as const)));
        await applyRightsChanges(tx, changes, (clientId) => appIds.get(clientId) as string);
        return countChanges(changes);
      }, TX),
    );
    return { generation, ...summary };
  }
}
