/**
 * Control-plane operations over Postgres, the schema registry and Kafka administration. Routes
 * authorise and parse; these functions enforce invariants and trigger a new routing-contract
 * generation after each committed change. Kept thin for now: approval flows, revocation,
 * deletion and the audit log arrive with the control-plane issue.
 */
import { formatClientId, hashApiKey, issueApiKey, type Logger, newId, RoomcastError, type RoomAddress } from '@roomcast/core';
import { Prisma, type PrismaClient } from '@roomcast/db';
import type { Kafka, KafkaNames } from '@roomcast/kafka';
import type { Registry } from '@roomcast/registry';
import type { RoutingPublisher } from './routing-publisher.ts';

export interface ControlPlaneDeps {
  db: PrismaClient;
  logger: Logger;
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

  async findEventType(address: RoomAddress, name: string) {
    const room = await this.findRoom(address);
    const type = await this.deps.db.eventType.findUnique({ where: { roomId_name: { roomId: room.id, name } } });
    if (!type) throw new RoomcastError('event_type.not_found', { detail: `No event type ${name} in this room` });
    return { room, type };
  }
}
