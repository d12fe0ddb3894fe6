/**
 * Event types: a named JSON Schema in a room, held by the schema registry under one subject
 * per room and event type (RoomLookup.subjectOf), plus Roomcast's extensions (key attribute,
 * classification, priority, message type, description) in Postgres.
 *
 * Every change to one event type runs in a transaction holding an advisory lock on its subject,
 * so registry calls and database rows of one event type never interleave:
 * - create: an orphan subject (left by a crash between registration and insert) is soft-deleted,
 *   then the schema is registered and the row inserted;
 * - change: the new schema is registered as a new version under the subject, which the
 *   registry accepts only if it is compatible (BACKWARD); the row then points at it;
 * - delete: refused while subscriptions exist; publisher contracts and subscriber grants go
 *   with it, and the subject is soft-deleted (schemas stay readable by id for records still in
 *   the room's topics; a new event type of the same name starts a fresh version history).
 * Each committed change republishes the routing contract.
 */
import { type Logger, newId, RoomcastError, type RoomAddress } from '@roomcast/core';
import { Prisma, type PrismaClient } from '@roomcast/db';
import type { EventTypeModel } from '@roomcast/db';
import type { Principal } from '@roomcast/http';
import { type Registry, RegistryError, type SchemaVersion } from '@roomcast/registry';
import { actsFor } from '../http/access.ts';
import type { RoutingPublisher } from '../routing/types.ts';
import { type DataKeys, isClassified } from './data-keys.ts';
import { keyAttributeProblem } from './event-type-schema.ts';
import type { RoomLookup } from './room-lookup.ts';
import { memberKey, type RoomWithMember } from './rooms.ts';

export const CLASSIFICATIONS = ['PUBLIC', 'INTERNAL', 'CONFIDENTIAL', 'PHI', 'PII'] as const;
export const PRIORITIES = ['LOW', 'NORMAL', 'HIGH', 'CRITICAL'] as const;
export const MESSAGE_TYPES = ['EVENT', 'REQUEST', 'RESPONSE', 'NOTIFICATION'] as const;

export interface EventTypeExtensions {
  keyAttribute?: string | null;
  classification?: (typeof CLASSIFICATIONS)[number];
  priority?: (typeof PRIORITIES)[number];
  messageType?: (typeof MESSAGE_TYPES)[number];
  description?: string | null;
}

/** GovStack's EventType (`eventType`, `schema`) with Roomcast's extensions. */
export function eventTypeView(t: EventTypeModel, schema: Record<string, unknown>) {
  return {
    eventType: t.name,
    schema,
    keyAttribute: t.keyPointer,
    classification: t.classification,
    priority: t.priority,
    messageType: t.messageType,
    description: t.description,
    schemaId: t.schemaId,
    schemaVersion: t.schemaVersion,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}

const LOCK_CLASS = 7402;
const TX = { timeout: 30_000, maxWait: 10_000 };

function prismaCode(err: unknown): string | undefined {
  return err instanceof Prisma.PrismaClientKnownRequestError ? err.code : undefined;
}

function checkKeyAttribute(schema: Record<string, unknown>, keyAttribute: string | null | undefined): void {
  if (keyAttribute === undefined || keyAttribute === null) return;
  const problem = keyAttributeProblem(schema, keyAttribute);
  if (problem) throw new RoomcastError('request.validation_failed', { detail: `keyAttribute ${problem}`, errors: [{ pointer: '/keyAttribute', message: problem }] });
}

/** Registers under the subject, translating the registry's refusals into the caller's 4xx. */
async function register(registry: Registry, subject: string, schema: Record<string, unknown>): Promise<SchemaVersion> {
  try {
    return await registry.registerVersion(subject, schema);
  } catch (err) {
    if (err instanceof RegistryError && err.status === 409) {
      throw new RoomcastError('event_type.schema_incompatible', {
        detail: `The schema registry refused the schema as incompatible with the current version (BACKWARD): ${err.reason ?? err.message}`,
        errors: [{ pointer: '/schema', message: err.reason ?? 'is not compatible with the current version' }],
      });
    }
    if (err instanceof RegistryError && err.status !== undefined && err.status >= 400 && err.status < 500) {
      throw new RoomcastError('event_type.schema_invalid', {
        detail: `The schema registry refused the schema: ${err.reason ?? err.message}`,
        errors: [{ pointer: '/schema', message: err.reason ?? 'was refused by the schema registry' }],
      });
    }
    throw new RoomcastError('dependency.unavailable', { detail: 'The schema registry is unavailable', cause: err });
  }
}

function lockSubject(tx: Prisma.TransactionClient, subject: string) {
  return tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK_CLASS}::int, hashtext(${subject}))`;
}

function notFound(name: string): RoomcastError {
  return new RoomcastError('event_type.not_found', { detail: `No event type ${name} in this room` });
}

export interface EventTypesDeps {
  db: PrismaClient;
  registry: Registry;
  lookup: RoomLookup;
  dataKeys: DataKeys;
  routing: RoutingPublisher;
  logger: Logger;
}

export class EventTypes {
  readonly #deps: EventTypesDeps;
  constructor(deps: EventTypesDeps) {
    this.#deps = deps;
  }

  /**
   * The room whose event types the caller reads. Approved rooms are public (the directory lists
   * them); a pending room is visible only to its owner and global admins.
   */
  async readableRoom(p: Principal, address: RoomAddress): Promise<RoomWithMember> {
    const missing = () => new RoomcastError('room.not_found', { detail: `No room ${address.room} owned by ${memberKey(address)}` });
    const room = await this.#deps.lookup.findRoom(address).catch((err: unknown) => {
      throw err instanceof RoomcastError && (err.code === 'member.not_found' || err.code === 'room.not_found') ? missing() : err;
    });
    if (room.status !== 'APPROVED' && !actsFor(p, memberKey(room.member))) throw missing();
    return room;
  }

  async listNames(room: RoomWithMember): Promise<string[]> {
    const rows = await this.#deps.db.eventType.findMany({ where: { roomId: room.id }, select: { name: true }, orderBy: { name: 'asc' } });
    return rows.map((r) => r.name);
  }

  /** The event type and its current schema, read back from the registry; undefined when missing. */
  async read(room: RoomWithMember, name: string) {
    const type = await this.#deps.db.eventType.findUnique({ where: { roomId_name: { roomId: room.id, name } } });
    if (!type) return undefined;
    try {
      return eventTypeView(type, await this.#deps.registry.getJsonSchema(type.schemaId));
    } catch (err) {
      throw new RoomcastError('dependency.unavailable', { detail: 'The schema registry is unavailable', cause: err });
    }
  }

  async create(address: RoomAddress, name: string, schema: Record<string, unknown>, ext: EventTypeExtensions) {
    const room = await this.#deps.lookup.findRoom(address);
    if (room.status !== 'APPROVED') throw new RoomcastError('room.not_approved', { detail: `Room ${address.room} is waiting for a global admin's approval` });
    checkKeyAttribute(schema, ext.keyAttribute);
    // Classified payloads are encrypted under the room's data key: it exists before the type does.
    if (isClassified(ext.classification)) await this.#deps.dataKeys.ensure(room.id);
    const subject = this.#deps.lookup.subjectOf(room, name);
    const exists = () => new RoomcastError('event_type.already_exists', { detail: `Event type ${name} already exists in this room` });
    const { db, registry, routing } = this.#deps;
    const { result: created, generation } = await routing.changeAndRepublish(`event type ${name} created in room ${room.id}`, async (): Promise<EventTypeModel> => {
      try {
        return await db.$transaction(async (tx) => {
          await lockSubject(tx, subject);
          if (await tx.eventType.findUnique({ where: { roomId_name: { roomId: room.id, name } } })) throw exists();
          // No row means any versions under the subject are orphans, never seen by the data plane.
          await registry.deleteSubject(subject).catch((err: unknown) => {
            throw new RoomcastError('dependency.unavailable', { detail: 'The schema registry is unavailable', cause: err });
          });
          const v = await register(registry, subject, schema);
          return tx.eventType.create({
            data: {
              id: newId('evt'),
              roomId: room.id,
              name,
              subject,
              schemaId: v.id,
              schemaVersion: v.version,
              keyPointer: ext.keyAttribute ?? null,
              classification: ext.classification ?? 'INTERNAL',
              priority: ext.priority ?? 'NORMAL',
              messageType: ext.messageType ?? 'EVENT',
              description: ext.description ?? null,
            },
          });
        }, TX);
      } catch (err) {
        if (prismaCode(err) === 'P2002') throw exists();
        throw err;
      }
    });
    return { view: eventTypeView(created, schema), generation };
  }

  /**
   * A new schema version (and, for fields present, new extension values; absent fields keep
   * theirs, so a GovStack-only client cannot silently reset a classification).
   */
  async change(address: RoomAddress, name: string, schema: Record<string, unknown>, ext: EventTypeExtensions) {
    const room = await this.#deps.lookup.findRoom(address);
    if (isClassified(ext.classification)) await this.#deps.dataKeys.ensure(room.id);
    const subject = this.#deps.lookup.subjectOf(room, name);
    const { db, registry, routing } = this.#deps;
    const { result: updated, generation } = await routing.changeAndRepublish(`event type ${name} changed in room ${room.id}`, () =>
      db.$transaction(async (tx) => {
        await lockSubject(tx, subject);
        const current = await tx.eventType.findUnique({ where: { roomId_name: { roomId: room.id, name } } });
        if (!current) throw notFound(name);
        checkKeyAttribute(schema, ext.keyAttribute === undefined ? current.keyPointer : ext.keyAttribute);
        const v = await register(registry, current.subject, schema);
        return tx.eventType.update({
          where: { id: current.id },
          data: {
            schemaId: v.id,
            schemaVersion: v.version,
            ...(ext.keyAttribute !== undefined ? { keyPointer: ext.keyAttribute } : {}),
            ...(ext.classification !== undefined ? { classification: ext.classification } : {}),
            ...(ext.priority !== undefined ? { priority: ext.priority } : {}),
            ...(ext.messageType !== undefined ? { messageType: ext.messageType } : {}),
            ...(ext.description !== undefined ? { description: ext.description } : {}),
          },
        });
      }, TX),
    );
    return { view: eventTypeView(updated, schema), generation };
  }

  async delete(address: RoomAddress, name: string): Promise<{ generation: number; contracts: number }> {
    const room = await this.#deps.lookup.findRoom(address);
    const subject = this.#deps.lookup.subjectOf(room, name);
    const inUse = () => new RoomcastError('event_type.in_use', { detail: `Event type ${name} still has subscriptions; delete them first` });
    const { db, registry, routing, logger } = this.#deps;
    const { result: contracts, generation } = await routing.changeAndRepublish(`event type ${name} deleted from room ${room.id}`, async () => {
      try {
        return await db.$transaction(async (tx) => {
          await lockSubject(tx, subject);
          const type = await tx.eventType.findUnique({ where: { roomId_name: { roomId: room.id, name } } });
          if (!type) throw notFound(name);
          const subs = await tx.subscription.count({ where: { eventTypeId: type.id } });
          if (subs > 0) throw inUse();
          const removed = await tx.publisherContract.deleteMany({ where: { eventTypeId: type.id } });
          await tx.subscriberGrant.deleteMany({ where: { eventTypeId: type.id } });
          await tx.eventType.delete({ where: { id: type.id } });
          // Under the lock, so a create of the same name cannot register in between; should the
          // registry be down, the next create of this name removes the orphan subject.
          await registry.deleteSubject(type.subject).catch((err: unknown) => logger.warn('registry subject not deleted', { subject: type.subject, error: err }));
          return removed.count;
        }, TX);
      } catch (err) {
        // A subscription created between the count and the delete: its foreign key stops the delete.
        if (prismaCode(err) === 'P2003') throw inUse();
        throw err;
      }
    });
    return { generation, contracts };
  }
}
