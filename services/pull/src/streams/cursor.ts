/**
 * The stream cursor: the SSE `id` of every event (and the WebSocket message's `id`). It encodes,
 * for every partition of both lanes of the room, the offset of the next record the stream has
 * not yet delivered, so a reconnect that sends it back (`Last-Event-ID`) resumes exactly after
 * the last event the client saw — no consumer group, no server-side state.
 *
 *   1_<room tag>_<normal lane offsets>_<urgent lane offsets>     e.g. 1_k3x9q2_1a-0-f_0-0-2
 *
 * Offsets are base 36, one per partition in partition order, joined by `-`. The room tag (6
 * characters of a hash of the room id) refuses a cursor of another room. Clients treat the
 * cursor as opaque. A room that gained partitions since the cursor was made starts the new
 * partitions at their beginning: every record there is newer than the cursor.
 */
import { createHash } from 'node:crypto';
import { RoomcastError } from '@roomcast/core';

export interface LanePositions {
  /** Next offset per partition of the room topic, index = partition. */
  normal: bigint[];
  /** Next offset per partition of the urgent lane. */
  urgent: bigint[];
}

const VERSION = '1';
const MAX_LENGTH = 4096;

export function roomTag(roomId: string): string {
  return createHash('sha256').update(roomId).digest('base64url').slice(0, 6).replace(/[-_]/g, 'x');
}

const encodeLane = (offsets: bigint[]) => offsets.map((o) => o.toString(36)).join('-');

export function encodeCursor(roomId: string, p: LanePositions): string {
  return [VERSION, roomTag(roomId), encodeLane(p.normal), encodeLane(p.urgent)].join('_');
}

function decodeLane(text: string): bigint[] | undefined {
  if (text === '') return [];
  const out: bigint[] = [];
  for (const part of text.split('-')) {
    if (!/^[0-9a-z]{1,13}$/.test(part)) return undefined;
    let v = 0n;
    for (const ch of part) v = v * 36n + BigInt(Number.parseInt(ch, 36));
    out.push(v);
  }
  return out;
}

/**
 * Reads a cursor back. `partitions` are the lanes' partition counts now: a cursor naming more
 * partitions than the room has, one of another room, or one that does not parse is refused with
 * 400 naming `pointer` (the header or query parameter it came in).
 */
export function decodeCursor(text: string, roomId: string, partitions: { normal: number; urgent: number }, pointer: string): LanePositions {
  const refuse = (message: string) => new RoomcastError('request.validation_failed', { detail: `Invalid stream cursor: ${message}`, errors: [{ pointer, message }] });
  if (text.length > MAX_LENGTH) throw refuse('is too long');
  const [version, tag, normal, urgent, ...rest] = text.split('_');
  if (version !== VERSION || tag === undefined || normal === undefined || urgent === undefined || rest.length > 0) throw refuse('is not a stream cursor');
  if (tag !== roomTag(roomId)) throw refuse("is a cursor of another room's stream");
  const n = decodeLane(normal);
  const u = decodeLane(urgent);
  if (!n || !u) throw refuse('is not a stream cursor');
  if (n.length > partitions.normal || u.length > partitions.urgent) throw refuse('names more partitions than the room has');
  const pad = (lane: bigint[], count: number) => [...lane, ...Array.from({ length: count - lane.length }, () => 0n)];
  return { normal: pad(n, partitions.normal), urgent: pad(u, partitions.urgent) };
}
