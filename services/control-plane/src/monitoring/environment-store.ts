/** The stored environment samples (PostgreSQL, table environment_sample): written by the collector, read by the history route, trimmed by retention. */
import type { PrismaClient } from '@roomcast/db';
import type { EnvironmentSample } from '@roomcast/runtime';

export interface StoredSample {
  id: bigint;
  processId: string;
  roles: string[];
  sampledAt: Date;
  sample: EnvironmentSample;
}

export interface HistoryQuery {
  from: Date;
  to: Date;
  processId?: string | undefined;
  role?: string | undefined;
  limit: number;
  /** Rows strictly older than this (sampledAt, id) key. */
  before?: { sampledAt: Date; id: bigint } | undefined;
}

export class EnvironmentStore {
  readonly #db: PrismaClient;

  constructor(db: PrismaClient) {
    this.#db = db;
  }

  /** Stores samples; one already stored (the same process and time) is skipped, so several control planes may write. */
  async save(rows: Array<{ processId: string; roles: string[]; sample: EnvironmentSample }>): Promise<number> {
    if (rows.length === 0) return 0;
    const { count } = await this.#db.environmentSample.createMany({
      data: rows.map((r) => ({ processId: r.processId, roles: r.roles, host: r.sample.host.name, sampledAt: new Date(r.sample.sampledAt), sample: r.sample as object })),
      skipDuplicates: true,
    });
    return count;
  }

  /** Newest first; `limit + 1` rows so the caller knows whether a next page exists. */
  async history(q: HistoryQuery): Promise<StoredSample[]> {
    const rows = await this.#db.environmentSample.findMany({
      where: {
        sampledAt: { gte: q.from, lt: q.to },
        ...(q.processId !== undefined ? { processId: q.processId } : {}),
        ...(q.role !== undefined ? { roles: { has: q.role } } : {}),
        ...(q.before ? { OR: [{ sampledAt: { lt: q.before.sampledAt } }, { sampledAt: q.before.sampledAt, id: { lt: q.before.id } }] } : {}),
      },
      orderBy: [{ sampledAt: 'desc' }, { id: 'desc' }],
      take: q.limit + 1,
    });
    return rows.map((r) => ({ id: r.id, processId: r.processId, roles: r.roles, sampledAt: r.sampledAt, sample: r.sample as unknown as EnvironmentSample }));
  }

  /** Deletes samples older than `before`; answers how many. */
  async deleteBefore(before: Date): Promise<number> {
    const { count } = await this.#db.environmentSample.deleteMany({ where: { sampledAt: { lt: before } } });
    return count;
  }
}
