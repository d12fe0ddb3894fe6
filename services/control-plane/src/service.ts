/**
 * Control-plane operations over Postgres, the schema registry and Kafka administration. Routes
 * authorise and parse; these functions enforce invariants and trigger a new routing-contract
 * generation after each committed change. Kept thin for now: approval flows, revocation,
 * deletion and the audit log arrive with the control-plane issue.
 */
import { formatClientId, hashApiKey, issueApiKey, newId, RoomcastError, type RoomAddress } from '@roomcast/core';
import { Prisma, type PrismaClient } from '@roomcast/db';
import { ensureTopics, type Kafka, type KafkaNames } from '@roomcast/kafka';
import type { Registry } from '@roomcast/registry';
import { RegistryError } from '@roomcast/registry';
import type { RoutingPublisher } from './routing-publisher.ts';

export interface ControlPlaneDeps {
  db: PrismaClient;
  registry: Registry;
  kafka: Kafka;
  names: KafkaNames;
  routing: RoutingPublisher;
  retentionMs: number;
  defaultPartitions: number;
  devMode: boolean;
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

export class ControlPlane {
  readonly deps: ControlPlaneDeps;
  constructor(deps: ControlPlaneDeps) {
    this.deps = deps;
  }

  /** Registers the bootstrap admin key (idempotent: the hash is unique). */
  async registerBootstrapAdmin(key: string): Promise<void> {
    const hash = hashApiKey(key);
    await this.deps.db.apiKey.upsert({
      where: { hash },
      create: { id: newId('key'), prefix: key.slice(0, 6), hash, role: 'GLOBAL_ADMIN' },
      update: { revokedAt: null },
    });
    await this.deps.routing.republish('bootstrap admin key');
  }

  async createMember(input: { instance: string; memberClass: string; memberCode: string; name: string }) {
    try {
      return await this.deps.db.member.create({ data: { id: newId('mem'), ...input, status: 'APPROVED' } });
    } catch (err) {
      if (isUniqueViolation(err)) throw new RoomcastError('member.already_exists');
      throw err;
    }
  }

  async findMember(instance: string, memberClass: string, memberCode: string) {
    const member = await this.deps.db.member.findUnique({ where: { instance_memberClass_memberCode: { instance, memberClass, memberCode } } });
    if (!member) throw new RoomcastError('member.not_found', { detail: `No member ${instance}/${memberClass}/${memberCode}` });
    return member;
  }

  /** Creates an application with its first API key; the key is returned once and stored hashed. */
  async createApplication(memberId: string, code: string) {
    const member = await this.deps.db.member.findUnique({ where: { id: memberId } });
    if (!member) throw new RoomcastError('member.not_found');
    const clientId = formatClientId({ instance: member.instance, memberClass: member.memberClass, memberCode: member.memberCode, application: code });
    const issued = issueApiKey();
    try {
      const application = await this.deps.db.$transaction(async (tx) => {
        const app = await tx.application.create({ data: { id: newId('app'), memberId, code, clientId } });
        await tx.apiKey.create({ data: { id: newId('key'), prefix: issued.prefix, hash: issued.hash, role: 'APPLICATION', applicationId: app.id, memberId } });
        return app;
      });
      await this.deps.routing.republish(`application ${clientId} created`);
      return { application, apiKey: issued.key };
    } catch (err) {
      if (isUniqueViolation(err)) throw new RoomcastError('application.already_exists', { detail: `Application ${clientId} already exists` });
      throw err;
    }
  }

  async createRoom(memberId: string, code: string, partitions?: number) {
    try {
      return await this.deps.db.room.create({ data: { id: newId('room'), memberId, code, partitions: partitions ?? this.deps.defaultPartitions } });
    } catch (err) {
      if (isUniqueViolation(err)) throw new RoomcastError('room.already_exists');
      throw err;
    }
  }

  /** Approval creates the room's topic and urgent lane (idempotently) before routing sees the room. */
  async approveRoom(roomId: string) {
    const room = await this.deps.db.room.findUnique({ where: { id: roomId }, include: { member: true } });
    if (!room) throw new RoomcastError('room.not_found');
    const address = this.addressOf(room);
    await ensureTopics(this.deps.kafka, [
      { topic: this.deps.names.roomTopic(address), partitions: room.partitions, retentionMs: this.deps.retentionMs },
      { topic: this.deps.names.urgentTopic(address), partitions: room.partitions, retentionMs: this.deps.retentionMs },
    ]);
    const updated = await this.deps.db.room.update({ where: { id: roomId }, data: { status: 'APPROVED' } });
    await this.deps.routing.republish(`room ${roomId} approved`);
    return updated;
  }

  async findRoom(address: RoomAddress) {
    const member = await this.findMember(address.instance, address.memberClass, address.memberCode);
    const room = await this.deps.db.room.findUnique({ where: { memberId_code: { memberId: member.id, code: address.room } }, include: { member: true } });
    if (!room) throw new RoomcastError('room.not_found', { detail: `No room ${address.room} owned by ${member.instance}/${member.memberClass}/${member.memberCode}` });
    return room;
  }

  addressOf(room: { code: string; member: { instance: string; memberClass: string; memberCode: string } }): RoomAddress {
    return { instance: room.member.instance, memberClass: room.member.memberClass, memberCode: room.member.memberCode, room: room.code };
  }

  subjectOf(address: RoomAddress, eventType: string): string {
    return `${this.deps.names.roomTopic(address)}-${eventType}`;
  }

  async createEventType(address: RoomAddress, input: { name: string; schema: Record<string, unknown>; keyPointer?: string; classification?: string; priority?: string; description?: string }) {
    const room = await this.findRoom(address);
    if (room.status !== 'APPROVED') throw new RoomcastError('room.not_approved');
    const existing = await this.deps.db.eventType.findUnique({ where: { roomId_name: { roomId: room.id, name: input.name } } });
    if (existing) throw new RoomcastError('event_type.already_exists', { detail: `Event type ${input.name} already exists in this room` });
    const subject = this.subjectOf(address, input.name);
    let schemaId: number;
    try {
      schemaId = await this.deps.registry.registerJsonSchema(subject, input.schema);
    } catch (err) {
      if (err instanceof RegistryError && err.status !== undefined && err.status >= 400 && err.status < 500) {
        throw new RoomcastError('event_type.schema_invalid', { detail: `The schema registry refused the schema: ${err.message}` });
      }
      throw new RoomcastError('dependency.unavailable', { detail: 'The schema registry is unavailable', cause: err });
    }
    const created = await this.deps.db.eventType.create({
      data: {
        id: newId('evt'),
        roomId: room.id,
        name: input.name,
        subject,
        schemaId,
        keyPointer: input.keyPointer ?? null,
        classification: (input.classification ?? 'INTERNAL') as 'INTERNAL',
        priority: (input.priority ?? 'NORMAL') as 'NORMAL',
        description: input.description ?? null,
      },
    });
    await this.deps.routing.republish(`event type ${input.name} created in room ${room.id}`);
    return created;
  }

  async listEventTypes(address: RoomAddress) {
    const room = await this.findRoom(address);
    return this.deps.db.eventType.findMany({ where: { roomId: room.id }, orderBy: { name: 'asc' } });
  }

  async findEventType(address: RoomAddress, name: string) {
    const room = await this.findRoom(address);
    const type = await this.deps.db.eventType.findUnique({ where: { roomId_name: { roomId: room.id, name } } });
    if (!type) throw new RoomcastError('event_type.not_found', { detail: `No event type ${name} in this room` });
    return { room, type };
  }

  async grantPublisher(address: RoomAddress, clientId: string, eventTypes: string[]) {
    const application = await this.deps.db.application.findUnique({ where: { clientId } });
    if (!application) throw new RoomcastError('application.not_found', { detail: `No application ${clientId}` });
    for (const name of eventTypes) {
      const { room, type } = await this.findEventType(address, name);
      await this.deps.db.publisherContract.upsert({
        where: { applicationId_eventTypeId: { applicationId: application.id, eventTypeId: type.id } },
        create: { id: newId('pub'), roomId: room.id, applicationId: application.id, eventTypeId: type.id },
        update: { revokedAt: null },
      });
    }
    return this.deps.routing.republish(`publisher ${clientId} granted ${eventTypes.join(',')}`);
  }
}
