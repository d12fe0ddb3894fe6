/**
 * GovStack identities. A client id is INSTANCE/CLASS/MEMBER/APPLICATION; a room is addressed
 * by its owner INSTANCE/CLASS/MEMBER plus the room code. Each segment is restricted to a
 * character set that is safe in URLs, Kafka topic names and Redis keys alike.
 */

export const SEGMENT_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export interface ClientId {
  instance: string;
  memberClass: string;
  memberCode: string;
  application: string;
}

export interface RoomAddress {
  instance: string;
  memberClass: string;
  memberCode: string;
  room: string;
}

export function isSegment(s: string): boolean {
  return SEGMENT_RE.test(s);
}

export function parseClientId(raw: string): ClientId | undefined {
  const parts = raw.split('/');
  if (parts.length !== 4 || !parts.every(isSegment)) return undefined;
  const [instance, memberClass, memberCode, application] = parts as [string, string, string, string];
  return { instance, memberClass, memberCode, application };
}

export function formatClientId(c: ClientId): string {
  return `${c.instance}/${c.memberClass}/${c.memberCode}/${c.application}`;
}

export function roomKey(r: RoomAddress): string {
  return `${r.instance}/${r.memberClass}/${r.memberCode}/${r.room}`;
}
