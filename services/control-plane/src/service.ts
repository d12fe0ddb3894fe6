/**
 * Control-plane operations over Postgres, the schema registry and Kafka administration. Routes
 * authorise and parse; these functions enforce invariants and trigger a new routing-contract
 * generation after each committed change. Kept thin for now: approval flows, revocation,
 * deletion and the audit log arrive with the control-plane issue.
 */
import { type ClientId, checkEndpointUrl, formatClientId, newId, newSigningSecret, RoomcastError, type RoomAddress } from '@roomcast/core';
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

  async findMember(instance: string, memberClass: string, memberCode: string) {
    const member = await this.deps.db.member.findUnique({ where: { instance_memberClass_memberCode: { instance, memberClass, memberCode } } });
    if (!member) throw new RoomcastError('member.not_found', { detail: `No member ${instance}/${memberClass}/${memberCode}` });
    return member;
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

  async createSubscription(address: RoomAddress, eventType: string, subscriber: ClientId, input: { mode: 'PUSH' | 'PULL'; pushUrl?: string; fifo: boolean }) {
    const { room, type } = await this.findEventType(address, eventType);
    const clientId = formatClientId(subscriber);
    const application = await this.deps.db.application.findUnique({ where: { clientId } });
    if (!application) throw new RoomcastError('application.not_found', { detail: `No application ${clientId}` });
    if (input.mode === 'PUSH') {
      const refused = input.pushUrl === undefined ? 'is required for PUSH delivery' : checkEndpointUrl(input.pushUrl, { devMode: this.deps.devMode });
      if (refused) throw new RoomcastError('subscription.endpoint_rejected', { errors: [{ pointer: '/options/pushUrl', message: refused }] });
    }
    const signingSecret = newSigningSecret();
    try {
      const sub = await this.deps.db.subscription.create({
        data: { id: newId('sub'), roomId: room.id, eventTypeId: type.id, applicationId: application.id, mode: input.mode, pushUrl: input.pushUrl ?? null, fifo: input.fifo, signingSecret },
      });
      return { subscription: sub, signingSecret };
    } catch (err) {
      if (isUniqueViolation(err)) throw new RoomcastError('subscription.already_exists', { detail: `${clientId} already subscribes to ${eventType}` });
      throw err;
    }
  }

  /**
   * Approval activates a subscription starting with the events published after it: the
   * subscription's consumer group is positioned at the current end of both room lanes before
   * the routing contract tells any dispatcher about it.
   */
  async approveSubscription(subscriptionId: string) {
    const sub = await this.deps.db.subscription.findUnique({ where: { id: subscriptionId }, include: { room: { include: { member: true } } } });
    if (!sub) throw new RoomcastError('subscription.not_found');
    if (sub.status !== 'ACTIVE') {
      const address = this.addressOf(sub.room);
      const group = this.deps.names.subscriptionGroup(sub.id);
      const admin = this.deps.kafka.admin();
      await admin.connect();
      try {
        for (const topic of [this.deps.names.roomTopic(address), this.deps.names.urgentTopic(address)]) {
          const ends = await admin.fetchTopicOffsets(topic);
          await admin.setOffsets({ groupId: group, topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
        }
      } finally {
        await admin.disconnect();
      }
    }
    const updated = await this.deps.db.subscription.update({ where: { id: subscriptionId }, data: { status: 'ACTIVE' } });
    const generation = await this.deps.routing.republish(`subscription ${subscriptionId} approved`);
    return { subscription: updated, generation };
  }

  async listSubscriptions(address: RoomAddress, subscriber: string) {
    const room = await this.findRoom(address);
    return this.deps.db.subscription.findMany({
      where: { roomId: room.id, application: { clientId: subscriber } },
      include: { eventType: true, application: { include: { member: true } } },
      orderBy: { createdAt: 'asc' },
    });
  }
}
