/**
 * The data plane's cache of unwrapped room data keys. Rooms in the routing contract carry their
 * data keys wrapped, newest first; a key is unwrapped with the master key once, the first time
 * it is needed (or when a contract generation warms the ring), and kept by id, so sealing or
 * opening an event costs one AES-GCM call and a map lookup.
 */
import type { KeyObject } from 'node:crypto';
import { EnvelopeError, type MasterKey, openPayload, sealPayload, unwrapDataKey, type WrappedDataKey } from './envelope.ts';

/** The part of a routed room the ring needs: its id and its wrapped data keys, newest first. */
export interface KeyedRoom {
  id: string;
  dataKeys?: WrappedDataKey[] | undefined;
}

export class DataKeyRing {
  readonly #masters: ReadonlyMap<string, MasterKey>;
  readonly #cache = new Map<string, { wrapped: string; key: KeyObject }>();

  constructor(masters: readonly MasterKey[]) {
    this.#masters = new Map(masters.map((m) => [m.id, m]));
  }

  /** Whether any master key is configured (without one, no data key can be unwrapped). */
  get configured(): boolean {
    return this.#masters.size > 0;
  }

  /** The key new events of the room are sealed with; undefined when the room has none. */
  current(room: KeyedRoom): { id: string; key: KeyObject } | undefined {
    const newest = room.dataKeys?.[0];
    return newest ? { id: newest.id, key: this.#unwrap(room.id, newest) } : undefined;
  }

  /** The room's key with this id (current or retired); undefined when the room has no such key. */
  get(room: KeyedRoom, keyId: string): KeyObject | undefined {
    const k = room.dataKeys?.find((d) => d.id === keyId);
    return k ? this.#unwrap(room.id, k) : undefined;
  }

  /** Unwraps every key of these rooms now; returns the ones that failed (logged by the caller). */
  warm(rooms: readonly KeyedRoom[]): { roomId: string; keyId: string; error: string }[] {
    const failed: { roomId: string; keyId: string; error: string }[] = [];
    const live = new Set<string>();
    for (const room of rooms) {
      for (const k of room.dataKeys ?? []) {
        live.add(k.id);
        try {
          this.#unwrap(room.id, k);
        } catch (err) {
          failed.push({ roomId: room.id, keyId: k.id, error: (err as Error).message });
        }
      }
    }
    // Keys of rooms that left the contract are dropped from memory.
    for (const id of this.#cache.keys()) if (!live.has(id)) this.#cache.delete(id);
    return failed;
  }

  #unwrap(roomId: string, k: WrappedDataKey): KeyObject {
    const hit = this.#cache.get(k.id);
    if (hit && hit.wrapped === k.wrapped) return hit.key;
    if (!this.configured) throw new EnvelopeError('no master key is configured (ROOMCAST_MASTER_KEY)');
    const key = unwrapDataKey(this.#masters, roomId, k);
    this.#cache.set(k.id, { wrapped: k.wrapped, key });
    return key;
  }
}

/** Classifications whose payloads never reach Kafka in plain. */
export const ENCRYPTED_CLASSIFICATIONS: ReadonlySet<string> = new Set(['PHI', 'PII', 'CONFIDENTIAL']);

/** The record an event payload belongs to, as its headers name it. */
export interface SealedRecord {
  id: string;
  eventType: string;
  /** The `rc-key-id` header: present exactly when the payload is sealed. */
  keyId?: string | undefined;
}

/**
 * Seals a payload of a classified event type under the room's current data key and says which
 * key (for the `rc-key-id` header); other payloads pass unchanged. Fails closed: a classified
 * payload without a usable key throws EnvelopeError instead of going out in plain.
 */
export function sealEventPayload(
  ring: DataKeyRing | undefined,
  room: KeyedRoom,
  rec: { id: string; eventType: string; classification: string },
  payload: Buffer,
): { payload: Buffer; keyId?: string } {
  if (!ENCRYPTED_CLASSIFICATIONS.has(rec.classification)) return { payload };
  if (!ring) throw new EnvelopeError('no master key is configured (ROOMCAST_MASTER_KEY)');
  const current = ring.current(room);
  if (!current) throw new EnvelopeError(`room ${room.id} has no data key in the routing contract`);
  const ctx = { roomId: room.id, eventType: rec.eventType, eventId: rec.id, keyId: current.id };
  return { payload: sealPayload(current.key, ctx, payload), keyId: current.id };
}

/**
 * The plain payload of a record: sealed ones (those with a key id) are opened with the room's
 * key of that id; others are returned as they are. Throws EnvelopeError when the key is unknown
 * or the ciphertext does not authenticate for this record.
 */
export function openEventPayload(ring: DataKeyRing | undefined, room: KeyedRoom, rec: SealedRecord, payload: Buffer): Buffer {
  if (!rec.keyId) return payload;
  const key = ring?.get(room, rec.keyId);
  if (!key) throw new EnvelopeError(`room ${room.id} has no data key ${rec.keyId} (or no master key is configured)`);
  return openPayload(key, { roomId: room.id, eventType: rec.eventType, eventId: rec.id, keyId: rec.keyId }, payload);
}
