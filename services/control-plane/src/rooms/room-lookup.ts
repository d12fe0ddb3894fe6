/**
 * Finding a member or a room by its GovStack address, and naming what belongs to a room: its
 * Kafka topics and the registry subject of each of its event types.
 */
import { RoomcastError, type RoomAddress } from '@roomcast/core';
import type { PrismaClient } from '@roomcast/db';
import type { KafkaNames } from '@roomcast/kafka';

/** What naming a room's topics needs: its address and its stored topic. */
export interface RoomRef {
  code: string;
  topic: string | null;
  member: { instance: string; memberClass: string; memberCode: string };
}

export interface RoomLookupDeps {
  db: PrismaClient;
  names: KafkaNames;
}

export class RoomLookup {
  readonly #deps: RoomLookupDeps;
  constructor(deps: RoomLookupDeps) {
    this.#deps = deps;
  }

  async findMember(instance: string, memberClass: string, memberCode: string) {
    const member = await this.#deps.db.member.findUnique({ where: { instance_memberClass_memberCode: { instance, memberClass, memberCode } } });
    if (!member) throw new RoomcastError('member.not_found', { detail: `No member ${instance}/${memberClass}/${memberCode}` });
    return member;
  }

  async findRoom(address: RoomAddress) {
    const member = await this.findMember(address.instance, address.memberClass, address.memberCode);
    const room = await this.#deps.db.room.findUnique({ where: { memberId_code: { memberId: member.id, code: address.room } }, include: { member: true } });
    if (!room) throw new RoomcastError('room.not_found', { detail: `No room ${address.room} owned by ${member.instance}/${member.memberClass}/${member.memberCode}` });
    return room;
  }

  async findEventType(address: RoomAddress, name: string) {
    const room = await this.findRoom(address);
    const type = await this.#deps.db.eventType.findUnique({ where: { roomId_name: { roomId: room.id, name } } });
    if (!type) throw new RoomcastError('event_type.not_found', { detail: `No event type ${name} in this room` });
    return { room, type };
  }

  addressOf(room: Pick<RoomRef, 'code' | 'member'>): RoomAddress {
    return { instance: room.member.instance, memberClass: room.member.memberClass, memberCode: room.member.memberCode, room: room.code };
  }

  /** The topic a new room at this address is created with (its stored name from then on). */
  topicForNewRoom(address: RoomAddress): string {
    return this.#deps.names.roomTopic(address);
  }

  /** The room's topics: the stored name, or the legacy one for rooms from before injective naming (decision 0024). */
  topicsOf(room: RoomRef): { topic: string; urgentTopic: string } {
    return this.#deps.names.topicsOfRoom(this.addressOf(room), room.topic);
  }

  /** The registry subject of an event type: its room's topic, `-`, the type's name (type names start with a letter or digit, so the split is unambiguous). */
  subjectOf(room: RoomRef, eventType: string): string {
    return `${this.topicsOf(room).topic}-${eventType}`;
  }
}
