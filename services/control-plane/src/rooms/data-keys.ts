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
 * re-wraps the keys at start (`DataKeys.rewrap`); their ids and Kafka records do not change.
 */
import { type Logger, type MasterKey, newId, newWrappedDataKey, RoomcastError, rewrapDataKey, type WrappedDataKey } from '@roomcast/core';
import type { PrismaClient, RoomDataKeyModel } from '@roomcast/db';
import type { RoutingPublisher } from '../routing/types.ts';
import type { RoomWithMember } from './rooms.ts';

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

export interface DataKeysDeps {
  db: PrismaClient;
  routing: RoutingPublisher;
  logger: Logger;
  /** The current master key first, then previous ones (empty: encryption off). */
  masterKeys: MasterKey[];
}

export class DataKeys {
  readonly #deps: DataKeysDeps;
  constructor(deps: DataKeysDeps) {
    this.#deps = deps;
  }

  #currentMaster(): MasterKey {
    const master = this.#deps.masterKeys[0];
    if (!master) throw new RoomcastError('encryption.not_configured', { detail: 'Set ROOMCAST_MASTER_KEY (32 bytes, base64) to create classified (PHI, PII, CONFIDENTIAL) event types or room keys' });
    return master;
  }

  async #insertVersion(roomId: string, version: number): Promise<boolean> {
    const master = this.#currentMaster();
    const id = newId('dk');
    const k = newWrappedDataKey(master, roomId, id);
    // ON CONFLICT DO NOTHING: a racing creator of the same version wins, nothing fails.
    const { count } = await this.#deps.db.roomDataKey.createMany({ data: [{ id, roomId, version, masterKeyId: master.id, wrappedKey: k.wrapped }], skipDuplicates: true });
    return count > 0;
  }

  /**
   * Gives the room its first data key when it has none (called before a classified event type is
   * created or an event type becomes classified, so the routing generation that names the type
   * also carries the key). Refuses when no master key is configured.
   */
  async ensure(roomId: string): Promise<void> {
    this.#currentMaster();
    if ((await this.#deps.db.roomDataKey.count({ where: { roomId } })) > 0) return;
    await this.#insertVersion(roomId, 1);
  }

  /** A new current key for the room; older keys stay for decryption. Republishes the contract. */
  async rotate(room: RoomWithMember): Promise<{ key: DataKeyView; generation: number }> {
    if (room.status !== 'APPROVED') throw new RoomcastError('room.not_approved', { detail: `Room ${room.code} is waiting for a global admin's approval` });
    const { generation } = await this.#deps.routing.changeAndRepublish(`room ${room.id} data key rotated`, async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const newest = await this.#deps.db.roomDataKey.findFirst({ where: { roomId: room.id }, orderBy: { version: 'desc' } });
        if (await this.#insertVersion(room.id, (newest?.version ?? 0) + 1)) break;
      }
    });
    const keys = await this.list(room);
    const key = keys[0];
    if (!key) throw new RoomcastError('room.not_found', { detail: `No room ${room.id}` });
    return { key, generation };
  }

  async list(room: RoomWithMember): Promise<DataKeyView[]> {
    const rows = await this.#deps.db.roomDataKey.findMany({ where: { roomId: room.id }, orderBy: { version: 'desc' } });
    return rows.map((k, i) => ({ keyId: k.id, version: k.version, masterKeyId: k.masterKeyId, current: i === 0, createdAt: k.createdAt.toISOString() }));
  }

  /**
   * Master-key rotation: data keys wrapped under a previous master key (ROOMCAST_PREVIOUS_MASTER_KEYS)
   * are re-wrapped under the current one, then the contract is republished. Kafka records are
   * untouched: the data keys themselves, and their ids, stay the same.
   */
  async rewrap(): Promise<number> {
    const { db, logger, masterKeys, routing } = this.#deps;
    const master = masterKeys[0];
    if (!master) return 0;
    const masters = new Map(masterKeys.map((m) => [m.id, m]));
    const { result: done } = await routing.changeAndRepublish(
      (n) => (n > 0 ? `${n} data keys re-wrapped under master key ${master.id}` : undefined),
      async () => {
        const stale = await db.roomDataKey.findMany({ where: { masterKeyId: { not: master.id } } });
        let count = 0;
        for (const k of stale) {
          if (!masters.has(k.masterKeyId)) {
            logger.error('data key wrapped under an unknown master key', { roomId: k.roomId, keyId: k.id, masterKeyId: k.masterKeyId });
            continue;
          }
          const next = rewrapDataKey(masters, master, k.roomId, { id: k.id, masterKeyId: k.masterKeyId, wrapped: k.wrappedKey });
          // Only if nobody re-wrapped it meanwhile (another control plane starting at the same time).
          const updated = await db.roomDataKey.updateMany({ where: { id: k.id, masterKeyId: k.masterKeyId }, data: { masterKeyId: master.id, wrappedKey: next.wrapped } });
          count += updated.count;
        }
        if (count > 0) logger.info('data keys re-wrapped under the current master key', { keys: count, masterKeyId: master.id });
        return count;
      },
    );
    return done;
  }
}
