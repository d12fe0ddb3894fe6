/** Who may manage what, in one place. */
import { RoomcastError, type RoomAddress } from '@roomcast/core';
import type { Principal } from '@roomcast/http';

export function requireGlobalAdmin(p: Principal): void {
  if (p.role !== 'GLOBAL_ADMIN') throw new RoomcastError('auth.forbidden', { detail: 'Only a global admin may do this' });
}

/** The room's owner member (any of its keys) or a global admin. */
export function requireRoomOwner(p: Principal, room: RoomAddress): void {
  if (p.role === 'GLOBAL_ADMIN') return;
  if (p.member === `${room.instance}/${room.memberClass}/${room.memberCode}`) return;
  throw new RoomcastError('auth.forbidden', { detail: 'Only the room owner may do this' });
}

/** Whether the caller acts for this member (INSTANCE/CLASS/MEMBER: any of its keys) or is a global admin. */
export function actsFor(p: Principal, member: string): boolean {
  return p.role === 'GLOBAL_ADMIN' || p.member === member;
}
