/**
 * The control plane's shared dependencies and lookups (member, room, event type by GovStack
 * address). Each area keeps its own operations in its module (identity.ts, rooms.ts,
 * event-types.ts, publishers.ts, subscriptions.ts, config-state.ts); every committed change
 * that affects routing republishes the routing contract.
 */
import { type Logger, type MasterKey, RoomcastError, type RoomAddress, SecretBox } from '@roomcast/core';
import type { PrismaClient } from '@roomcast/db';
import type { Kafka, KafkaNames } from '@roomcast/kafka';
import type { Registry } from '@roomcast/registry';
import type { RoutingPublisher } from './routing/types.ts';

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
  /** The deployment's public base URL (no trailing slash) for URLs written into answers; never taken from the request. */
  publicOrigin: () => string;
  /** Wrap room data keys: the current master key first, then previous ones (empty: encryption off). */
  masterKeys: MasterKey[];
}

/** What naming a room's topics needs: its address and its stored topic. */
export interface RoomRef {
  code: string;
  topic: string | null;
  member: { instance: string; memberClass: string; memberCode: string };
}

export class ControlPlane {
  readonly deps: ControlPlaneDeps;
  /** Seals subscription signing secrets at rest under the master key (decision 0008). */
  readonly secrets: SecretBox;
  constructor(deps: ControlPlaneDeps) {
    this.deps = deps;
    this.secrets = new SecretBox(deps.masterKeys);
  }

  async findMember(instance: string, memberClass: string, memberCode: string) {
    const member = await this.deps.db.member.findUnique({ where: { instance_memberClass_memberCode: { instance, memberClass, memberCode } } });
    if (!member) throw new RoomcastError('member.not_found', { detail: `No member ${instance}/${memberClass}/${memberCode}` });
    return member;
  }

  async findRoom(address: RoomAddress) {
    const member = await this.findMember(address.instance, address.memberClass, address.memberCode);
    const room = await this.deps.db.room.findUnique({ where: { memberId_code: { memberId: member.id, code: address.room } }, include: { member: true } });
    if (!room) throw new RoomcastError('room.not_found', { detail: `No room ${address.room} owned by ${member.instance}/${member.memberClass}/${member.memberCode}` });
    return room;
  }

  addressOf(room: Pick<RoomRef, 'code' | 'member'>): RoomAddress {
    return { instance: room.member.instance, memberClass: room.member.memberClass, memberCode: room.member.memberCode, room: room.code };
  }

  /** The room's topics: the stored name, or the legacy one for rooms from before injective naming (decision 0024). */
  topicsOf(room: RoomRef): { topic: string; urgentTopic: string } {
    return this.deps.names.topicsOfRoom(this.addressOf(room), room.topic);
  }

  /** The registry subject of an event type: its room's topic, `-`, the type's name (type names start with a letter or digit, so the split is unambiguous). */
  subjectOf(room: RoomRef, eventType: string): string {
    return `${this.topicsOf(room).topic}-${eventType}`;
  }

  async findEventType(address: RoomAddress, name: string) {
    const room = await this.findRoom(address);
    const type = await this.deps.db.eventType.findUnique({ where: { roomId_name: { roomId: room.id, name } } });
    if (!type) throw new RoomcastError('event_type.not_found', { detail: `No event type ${name} in this room` });
    return { room, type };
  }
}
