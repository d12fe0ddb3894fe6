/**
 * Step 6a of the pipeline: PHI, PII and CONFIDENTIAL payloads are sealed (AES-256-GCM) under
 * the room's current data key before they reach Kafka; the key id goes in the `rc-key-id`
 * header. Fails closed: without a usable key the publish is refused (503, retryable), never
 * produced in plain. Envelope layout and AAD: packages/core/src/envelope.ts.
 */
import { type DataKeyRing, EnvelopeError, RoomcastError, sealEventPayload } from '@roomcast/core';
import type { EventTypeRoute, RoomRoute } from '@roomcast/routing';

export function sealForKafka(ring: DataKeyRing | undefined, room: RoomRoute, type: EventTypeRoute, id: string, value: Buffer): { payload: Buffer; keyId?: string } {
  try {
    return sealEventPayload(ring, room, { id, eventType: type.name, classification: type.classification }, value);
  } catch (err) {
    if (!(err instanceof EnvelopeError)) throw err;
    throw new RoomcastError('publish.encryption_unavailable', { detail: `Events of ${type.name} are ${type.classification} and must be encrypted, but the room key is not available`, cause: err, headers: { 'retry-after': '1' } });
  }
}
