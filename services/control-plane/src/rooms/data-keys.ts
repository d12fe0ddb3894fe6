/**
 * Room data keys: the per-room AES-256-GCM keys that encrypt classified payloads (PHI, PII,
 * CONFIDENTIAL), stored in PostgreSQL wrapped under the master key and carried wrapped in the
 * routing contract. Lifecycle:
 *
 *   (none) ──first classified event type (create or change)──▶ v1 ──rotate──▶ v2 ──rotate──▶ …
 *
 * The highest version encrypts new events; every older version stays (in the database and the
 * contract) so events already in Kafka keep decrypting — rotation never re-publishes. Keys go
 * with their room (ON DELETE CASCADE), together with the room's topics. Master-key rotation
 * re-wraps the keys at start (`rewrapDataKeys`); their ids and Kafka records do not change.
 */
import { newId, newWrappedDataKey, RoomcastError, rewrapDataKey, type WrappedDataKey } from '@roomcast/core';
import type { RoomDataKeyModel } from '@roomcast/db';
import type { RoomWithMember } from './rooms.ts';
import type { ControlPlane } from '../service.ts';

export const CLASSIFIED = new Set(['PHI', 'PII', 'CONFIDENTIAL']);

export function isClassified(classification: string | undefined): boolean {
  return classification !== undefined && CLASSIFIED.has(classification);
}

export interface DataKeyView {
  keyId: string;
  version: number;
  masterKeyId: string;
  /** Whether new events of the room are encrypted with it (the newest version). */
  current: boolean;
  createdAt: string;
}

/** The contract's form: wrapped, newest first. */
export function contractDataKeys(rows: readonly RoomDataKeyModel[]): WrappedDataKey[] {
  return [...rows].sort((a, b) => b.version - a.version).map((k) => ({ id: k.id, masterKeyId: k.masterKeyId, wrapped: k.wrappedKey }));
}

function currentMaster(cp: ControlPlane) {
  const master = cp.deps.masterKeys[0];
  if (!master) throw new RoomcastError('encryption.not_configured', { detail: 'Set ROOMCAST_MASTER_KEY (32 bytes, base64) to create classified (PHI, PII, CONFIDENTIAL) event types or room keys' });
  return master;
}

async function insertVersion(cp: ControlPlane, roomId: string, version: number): Promise<boolean> {
  const master = currentMaster(cp);
  const id = newId('dk');
  const k = newWrappedDataKey(master, roomId, id);
  // ON CONFLICT DO NOTHING: a racing creator of the same version wins, nothing fails.
  const { count } = await cp.deps.db.roomDataKey.createMany({ data: [{ id, roomId, version, masterKeyId: master.id, wrappedKey: k.wrapped }], skipDuplicates: true });
  return count > 0;
}

/**
 * Gives the room its first data key when it has none (called before a classified event type is
 * created or an event type becomes classified, so the routing generation that names the type
 * also carries the key). Refuses when no master key is configured.
 */
export async function ensureRoomDataKey(cp: ControlPlane, roomId: string): Promise<void> {
  currentMaster(cp);
  if ((await cp.deps.db.roomDataKey.count({ where: { roomId } })) > 0) return;
  await insertVersion(cp, roomId, 1);
}

/** A new current key for the room; older keys stay for decryption. Republishes the contract. */
export async function rotateRoomDataKey(cp: ControlPlane, room: RoomWithMember): Promise<{ key: DataKeyView; generation: number }> {
  if (room.status !== 'APPROVED') throw new RoomcastError('room.not_approved', { detail: `Room ${room.code} is waiting for a global admin's approval` });
  for (let attempt = 0; attempt < 3; attempt++) {
    const newest = await cp.deps.db.roomDataKey.findFirst({ where: { roomId: room.id }, orderBy: { version: 'desc' } });
    if (await insertVersion(cp, room.id, (newest?.version ?? 0) + 1)) break;
  }
  const generation = await cp.deps.routing.republish(`room ${room.id} data key rotated`);
  const keys = await listRoomDataKeys(cp, room);
  const key = keys[0];
  if (!key) throw new RoomcastError('room.not_found', { detail: `No room ${room.id}` });
  return { key, generation };
}

export async function listRoomDataKeys(cp: ControlPlane, room: RoomWithMember): Promise<DataKeyView[]> {
  const rows = await cp.deps.db.roomDataKey.findMany({ where: { roomId: room.id }, orderBy: { version: 'desc' } });
  return rows.map((k, i) => ({ keyId: k.id, version: k.version, masterKeyId: k.masterKeyId, current: i === 0, createdAt: k.createdAt.toISOString() }));
}

/**
 * Master-key rotation: data keys wrapped under a previous master key (ROOMCAST_PREVIOUS_MASTER_KEYS)
 * are re-wrapped under the current one, then the contract is republished. Kafka records are
 * untouched: the data keys themselves, and their ids, stay the same.
 */
export async function rewrapDataKeys(cp: ControlPlane): Promise<number> {
  const master = cp.deps.masterKeys[0];
  if (!master) return 0;
  const masters = new Map(cp.deps.masterKeys.map((m) => [m.id, m]));
  const stale = await cp.deps.db.roomDataKey.findMany({ where: { masterKeyId: { not: master.id } } });
  let done = 0;
  for (const k of stale) {
    if (!masters.has(k.masterKeyId)) {
      cp.deps.logger.error('data key wrapped under an unknown master key', { roomId: k.roomId, keyId: k.id, masterKeyId: k.masterKeyId });
      continue;
    }
    const next = rewrapDataKey(masters, master, k.roomId, { id: k.id, masterKeyId: k.masterKeyId, wrapped: k.wrappedKey });
    // Only if nobody re-wrapped it meanwhile (another control plane starting at the same time).
    const { count } = await cp.deps.db.roomDataKey.updateMany({ where: { id: k.id, masterKeyId: k.masterKeyId }, data: { masterKeyId: master.id, wrappedKey: next.wrapped } });
    done += count;
  }
  if (done > 0) {
    cp.deps.logger.info('data keys re-wrapped under the current master key', { keys: done, masterKeyId: master.id });
    await cp.deps.routing.republish(`${done} data keys re-wrapped under master key ${master.id}`);
  }
  return done;
}
