/**
 * Proofs of reception:
 *
 *   GET /api/v1/log/keys                     the public keys that sign checkpoints (no credentials: they are public)
 *   GET /api/v1/log/events/{eventId}/proof   the proof bundle of an event's log entry
 *   GET /api/v1/log/events/{eventId}/deliveries/proof
 *                                            proof bundles of its delivery entries (each attempt,
 *                                            hand-out, ack…), the caller's own only unless it owns the event
 *
 * The bundle (packages/log proof.ts) verifies offline with `node scripts/log-verify-proof.mjs
 * bundle.json [public-key]` — node:crypto only. The publisher of the event, a subscriber that
 * received it, the room's member admin and the central admin may fetch it. A delivery bundle
 * proves that the platform recorded that transition (an attempt with its HTTP status, an ack):
 * the subscriber may fetch its own, the event's publisher, the room's owner and the central
 * admin every subscriber's. 409
 * `log.not_checkpointed` while no checkpoint covers the entry yet (at most the checkpoint
 * interval after the event).
 */
import { RoomcastError } from '@roomcast/core';
import { type ApiRouter, type JsonSchema, problemResponseSpec } from '@roomcast/http';
import { isEventId, type LogSigner, type LogStore, type ProofBundle, proofOf } from '@roomcast/log';
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

const MAX_DELIVERY_PROOFS = 100;

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
      404: problemResponseSpec('No such event visible to the caller'),
      409: problemResponseSpec('Not covered by a checkpoint yet; retry'),
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

  router.add<unknown, { subscription?: string; limit: number }>({
    method: 'get',
    path: '/api/v1/log/events/{eventId}/deliveries/proof',
    operationId: 'getLogDeliveryProofs',
    summary: "Proof bundles of an event's delivery entries: each attempt or transition, chained to a signed checkpoint",
    description:
      'Oldest first, at most `limit`. The publisher, the room owner and the central admin get every subscriber\'s entries; a subscriber its own. Entries no checkpoint covers yet are counted in `notCheckpointed` (retry after the checkpoint interval).',
    tags: TAGS,
    params: { eventId: 'Event id (UUID)' },
    query: {
      type: 'object',
      additionalProperties: false,
      properties: {
        subscription: { type: 'string', minLength: 1, maxLength: 64, description: 'Only this subscription\'s entries' },
        limit: { type: 'integer', minimum: 1, maximum: MAX_DELIVERY_PROOFS, default: 20 },
      },
    },
    responses: {
      200: {
        description: 'The bundles, and how many visible entries have no checkpoint yet',
        schema: {
          type: 'object',
          required: ['bundles', 'notCheckpointed', 'truncated'],
          properties: { bundles: { type: 'array', items: bundleSchema }, notCheckpointed: { type: 'integer' }, truncated: { type: 'boolean', description: 'More entries than `limit` are visible' } },
        },
      },
      404: problemResponseSpec('No such event visible to the caller'),
    },
    handler: async (c, { params, query, principal }) => {
      const missing = new RoomcastError('event.not_found', { detail: 'No such event in the log visible to this caller' });
      const id = (params.eventId ?? '').toLowerCase();
      if (!isEventId(id)) throw missing;
      const scope = scopeOf(principal, deps.routing.current());
      const event = await deps.store.event(id);
      const all = await deps.store.deliveriesOf(id);
      const ownsEvent = event !== undefined && inScope(scope, event.room_id, event.publisher);
      const visible = ownsEvent ? all : all.filter((d) => inScope(scope, d.room_id, d.subscriber));
      if (!ownsEvent && visible.length === 0) throw missing;
      const wanted = query.subscription === undefined ? visible : visible.filter((d) => d.subscription_id === query.subscription);
      const bundles: ProofBundle[] = [];
      let notCheckpointed = 0;
      for (const d of wanted.slice(0, query.limit)) {
        const bundle = await proofOf(deps.store, 'delivery', d as unknown as Record<string, unknown>, deps.signer.publicKeys());
        if (bundle) bundles.push(bundle);
        else notCheckpointed++;
      }
      return c.json({ bundles, notCheckpointed, truncated: wanted.length > query.limit }, 200);
    },
  });
}
