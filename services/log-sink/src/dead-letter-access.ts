/**
 * Who may do what with one subscription's dead letters (pure; decision 0026):
 *
 *   the subscribing application, its member's admin   list, inspect with the payload, redrive, purge
 *   the central admin (GLOBAL_ADMIN)                  list, inspect without the payload, redrive, purge
 *   the admin of the room's owner                     list, inspect without the payload
 *   anyone else                                       nothing: the subscription is not found for them
 *
 * The payload is the subscriber's: the room owner and the platform's operators see where and why
 * delivery failed, not what was sent. Redrive and purge change the subscriber's delivery, so the
 * room owner may not do them.
 */
import type { Principal } from '@roomcast/http';
import type { RoomRoute, SubscriptionRoute } from '@roomcast/routing';

export interface DeadLetterAccess {
  read: boolean;
  payload: boolean;
  act: boolean;
}

const NONE: DeadLetterAccess = { read: false, payload: false, act: false };

const memberOfClient = (clientId: string) => clientId.split('/').slice(0, 3).join('/');

export function deadLetterAccess(p: Principal, sub: Pick<SubscriptionRoute, 'clientId'>, room: Pick<RoomRoute, 'address'> | undefined): DeadLetterAccess {
  if (p.role === 'GLOBAL_ADMIN') return { read: true, payload: false, act: true };
  if (p.role === 'APPLICATION') return p.clientId === sub.clientId ? { read: true, payload: true, act: true } : NONE;
  if (p.role === 'MEMBER_ADMIN' && p.member) {
    if (memberOfClient(sub.clientId) === p.member) return { read: true, payload: true, act: true };
    const owner = room ? `${room.address.instance}/${room.address.memberClass}/${room.address.memberCode}` : undefined;
    if (owner === p.member) return { read: true, payload: false, act: false };
  }
  return NONE;
}
