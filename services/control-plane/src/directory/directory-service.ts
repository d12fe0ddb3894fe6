/**
 * The directory's reads: approved members with their applications and rooms, a provider room's
 * event types, what a client may invoke there, and one event type's OpenAPI document with the
 * schema from the registry. The shapes come from directory.ts and directory-openapi.ts.
 */
import { RoomcastError, type RoomAddress } from '@roomcast/core';
import type { PrismaClient } from '@roomcast/db';
import { type Registry, RegistryError } from '@roomcast/registry';
import { allowedGroups, type ClientDetails, clientList, type ServiceDetails, serviceDetails } from './directory.ts';
import { eventTypeOpenApi } from './directory-openapi.ts';

export interface DirectoryDeps {
  db: PrismaClient;
  registry: Registry;
  /** The deployment's public base URL, written into OpenAPI documents. */
  publicOrigin: () => string;
}

export class Directory {
  readonly #deps: DirectoryDeps;
  constructor(deps: DirectoryDeps) {
    this.#deps = deps;
  }

  /** Approved members of `instanceId`; without it, of the configured instance (or of every instance before one is configured). */
  async listClients(instanceId: string | undefined): Promise<{ member: ClientDetails[] }> {
    const { db } = this.#deps;
    const instance = instanceId ?? (await db.instanceConfig.findUnique({ where: { id: 1 } }))?.instance;
    const members = await db.member.findMany({
      where: { status: 'APPROVED', ...(instance !== undefined ? { instance } : {}) },
      include: { applications: { where: { status: 'APPROVED' } }, rooms: { where: { status: 'APPROVED' } } },
      orderBy: [{ instance: 'asc' }, { memberClass: 'asc' }, { memberCode: 'asc' }],
    });
    return clientList(members);
  }

  /** The approved room at an address with its event types, or undefined (unknown, pending, or its member not approved). */
  async providerRoom(a: RoomAddress) {
    const room = await this.#deps.db.room.findFirst({
      where: { code: a.room, status: 'APPROVED', member: { instance: a.instance, memberClass: a.memberClass, memberCode: a.memberCode, status: 'APPROVED' } },
      include: { eventTypes: { orderBy: { name: 'asc' } } },
    });
    return room ?? undefined;
  }

  async listMethods(a: RoomAddress, serviceId: string | undefined): Promise<{ member: ServiceDetails[] }> {
    const room = await this.providerRoom(a);
    const types = (room?.eventTypes ?? []).filter((t) => serviceId === undefined || t.name === serviceId);
    return { member: types.map((t) => serviceDetails(a, t)) };
  }

  /** Services of the room that `clientId` may invoke, each with only the endpoints it may call. */
  async allowedMethods(a: RoomAddress, clientId: string, serviceId: string | undefined): Promise<{ member: ServiceDetails[] }> {
    const { db } = this.#deps;
    const [room, app] = await Promise.all([this.providerRoom(a), db.application.findFirst({ where: { clientId, status: 'APPROVED', member: { status: 'APPROVED' } } })]);
    if (!room || !app) return { member: [] };
    const [contracts, pulls] = await Promise.all([
      db.publisherContract.findMany({ where: { roomId: room.id, applicationId: app.id, revokedAt: null }, select: { eventTypeId: true } }),
      db.subscription.findMany({ where: { roomId: room.id, applicationId: app.id, status: 'ACTIVE', mode: 'PULL' }, select: { eventTypeId: true } }),
    ]);
    const publishes = new Set(contracts.map((c) => c.eventTypeId));
    const pullsFrom = new Set(pulls.map((s) => s.eventTypeId));
    const types = room.eventTypes.filter((t) => serviceId === undefined || t.name === serviceId);
    return { member: types.map((t) => serviceDetails(a, t, allowedGroups({ publisher: publishes.has(t.id), activePull: pullsFrom.has(t.id) }))) };
  }

  /** OpenAPI 3.1 of one event type's PubSub calls; 400 `directory.unknown_service` when the provider has no such type. */
  async openApi(address: RoomAddress, serviceCode: string): Promise<Record<string, unknown>> {
    const room = await this.providerRoom(address);
    const type = room?.eventTypes.find((t) => t.name === serviceCode);
    if (!type) {
      throw new RoomcastError('directory.unknown_service', {
        detail: `No service ${serviceCode} at ${address.instance}/${address.memberClass}/${address.memberCode}/${address.room}`,
        errors: [{ pointer: '/query/serviceCode', message: 'names no event type of this provider' }],
      });
    }
    let schema: Record<string, unknown>;
    try {
      schema = await this.#deps.registry.getJsonSchema(type.schemaId);
    } catch (err) {
      if (err instanceof RegistryError) throw new RoomcastError('dependency.unavailable', { detail: 'The schema registry could not return the schema', cause: err });
      throw err;
    }
    return eventTypeOpenApi({ origin: this.#deps.publicOrigin(), address, eventType: type, schema });
  }
}
