/**
 * The endpoint allowlist: normalised host names, IP addresses or CIDR blocks that push
 * endpoints may point at despite the address policy. Subscriptions consult it when an endpoint
 * is written; dispatchers get it through the routing contract, so every change republishes.
 */
import { newId, RoomcastError } from '@roomcast/core';
import { type EndpointAllowlistModel, Prisma, type PrismaClient } from '@roomcast/db';
import type { RoutingPublisher } from '../routing/types.ts';

export interface EndpointAllowlistDeps {
  db: PrismaClient;
  routing: RoutingPublisher;
}

export class EndpointAllowlist {
  readonly #deps: EndpointAllowlistDeps;
  constructor(deps: EndpointAllowlistDeps) {
    this.#deps = deps;
  }

  /** Every entry, by pattern. */
  list(): Promise<EndpointAllowlistModel[]> {
    return this.#deps.db.endpointAllowlist.findMany({ orderBy: { pattern: 'asc' } });
  }

  async patterns(): Promise<string[]> {
    return (await this.#deps.db.endpointAllowlist.findMany({ select: { pattern: true } })).map((e) => e.pattern);
  }

  /**
   * Adds a normalised pattern (409 `allowlist.already_exists` when listed), then republishes:
   * dispatchers check resolved addresses against the allowlist at connect time. `added` sees the
   * entry once it is written, before the contract is republished.
   */
  async add(entry: { pattern: string; reason: string | null; createdBy: string }, added: (e: EndpointAllowlistModel) => void): Promise<EndpointAllowlistModel> {
    const { db, routing } = this.#deps;
    try {
      const { result } = await routing.changeAndRepublish(`endpoint allowlist: ${entry.pattern} added`, async () => {
        const created = await db.endpointAllowlist.create({ data: { id: newId('alw'), ...entry } });
        added(created);
        return created;
      });
      return result;
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') throw new RoomcastError('allowlist.already_exists', { detail: `${entry.pattern} is already listed` });
      throw err;
    }
  }

  async find(id: string): Promise<EndpointAllowlistModel> {
    const entry = await this.#deps.db.endpointAllowlist.findUnique({ where: { id } });
    if (!entry) throw new RoomcastError('allowlist.not_found');
    return entry;
  }

  async remove(entry: EndpointAllowlistModel): Promise<void> {
    await this.#deps.routing.changeAndRepublish(`endpoint allowlist: ${entry.pattern} removed`, () => this.#deps.db.endpointAllowlist.deleteMany({ where: { id: entry.id } }));
  }
}
