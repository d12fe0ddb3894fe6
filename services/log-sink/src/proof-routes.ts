/**
 * Proofs of reception:
 *
 *   GET /api/v1/log/keys                     the public keys that sign checkpoints (no credentials: they are public)
 *   GET /api/v1/log/events/{eventId}/proof   the proof bundle of an event's log entry
 *
 * The bundle (packages/log proof.ts) verifies offline with `node scripts/log-verify-proof.mjs
 * bundle.json [public-key]` — node:crypto only. The publisher of the event, a subscriber that
 * received it, the room's member admin and the central admin may fetch it. 409
 * `log.not_checkpointed` while no checkpoint covers the entry yet (at most the checkpoint
 * interval after the event).
 */
import { RoomcastError } from '@roomcast/core';
import type { ApiRouter, JsonSchema } from '@roomcast/http';
import { isEventId, type LogSigner, type LogStore, proofOf } from '@roomcast/log';
import type { RoutingFollower } from '@roomcast/routing';
import { inScope, scopeOf } from './scope.ts';

const TAGS = ['roomcast', 'log'];

const bundleSchema: JsonSchema = {
  type: 'object',
  required: ['format', 'kind', 'stream', 'fields', 'entry', 'prevHash', 'entryHash', 'links', 'checkpoint', 'publicKey'],
  properties: {
    format: { type: 'string', const: 'roomcast-log-proof/1' },
    kind: { type: 'string', enum: ['event', 'delivery'] },
    stream: { type: 'string', description: 'topic/partition' },
    fields: { type: 'array', items: { type: 'string' } },
    entry: { type: 'array', items: { type: ['string', 'null'] } },
    prevHash: { type: 'string' },
    entryHash: { type: 'string' },
    links: { type: 'array', items: { type: 'string' } },
    checkpoint: {
      type: 'object',
      properties: { stream: { type: 'string' }, offset: { type: 'string' }, entryHash: { type: 'string' }, signedAt: { type: 'string', format: 'date-time' }, keyId: { type: 'string' }, signature: { type: 'string' } },
    },
    publicKey: { type: 'object', properties: { keyId: { type: 'string' }, spki: { type: 'string' } } },
  },
};

export function proofRoutes(router: ApiRouter, deps: { store: LogStore; routing: RoutingFollower; signer: LogSigner }): void {
  router.add({
    method: 'get',
    path: '/api/v1/log/keys',
    operationId: 'getLogKeys',
    summary: 'Public keys (Ed25519, base64 SPKI DER) that sign the log checkpoints, by key id',
    tags: TAGS,
    auth: 'none',
    responses: { 200: { description: 'Key id → public key', schema: { type: 'object', required: ['keys'], properties: { keys: { type: 'object', additionalProperties: { type: 'string' } } } } } },
    handler: (c) => c.json({ keys: deps.signer.publicKeys() }, 200),
  });

  router.add({
    method: 'get',
    path: '/api/v1/log/events/{eventId}/proof',
    operationId: 'getLogEventProof',
    summary: "Proof bundle of an event's reception: its log entry, the chain to a signed checkpoint, the signature",
    tags: TAGS,
    params: { eventId: 'Event id (UUID)' },
    responses: {
      200: { description: 'The proof bundle', schema: bundleSchema },
      404: { description: 'No such event visible to the caller', contentType: 'application/problem+json', schema: { $ref: '#/components/schemas/Problem' } },
      409: { description: 'Not covered by a checkpoint yet; retry', contentType: 'application/problem+json', schema: { $ref: '#/components/schemas/Problem' } },
    },
    handler: async (c, { params, principal }) => {
      const missing = new RoomcastError('event.not_found', { detail: 'No such event in the log visible to this caller' });
      const id = (params.eventId ?? '').toLowerCase();
      if (!isEventId(id)) throw missing;
      const scope = scopeOf(principal, deps.routing.current());
      const event = await deps.store.event(id);
      if (!event) throw missing;
      const maySee = inScope(scope, event.room_id, event.publisher) || (await deps.store.deliveriesOf(id)).some((d) => inScope(scope, d.room_id, d.subscriber));
      if (!maySee) throw missing;
      const bundle = await proofOf(deps.store, 'event', event as unknown as Record<string, unknown>, deps.signer.publicKeys());
      if (!bundle) throw new RoomcastError('log.not_checkpointed', { detail: 'No signed checkpoint covers this entry yet; retry after the checkpoint interval', headers: { 'retry-after': '5' } });
      return c.json(bundle, 200);
    },
  });
}
