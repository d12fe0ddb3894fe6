/**
 * The publish pipeline for one event, shared by the single and the batch publish routes. Steps
 * run in the order the API promises, each failing with its own error code and before anything
 * is produced:
 *
 *   1. room (404 `room.not_found`) and publisher contract (403 `publish.not_allowed`): a caller
 *      with no contract in the room is refused before anything else, so it cannot probe which
 *      event types exist;
 *   2. event type exists (404 `event_type.not_found`), then the contract covers it (403);
 *   3. body shape and path/body agreement (400 `publish.event_type_mismatch`), then input
 *      hardening (payload-checks.ts: depth, forbidden keys, unsafe numbers, string lengths), and
 *      a supplied event id is a UUID (400);
 *   3b. rate limits per publisher and per room (429 `publish.rate_limited`, rate-limit.ts);
 *   4. JSON Schema validation with a validator cached by schema id (400 `publish.schema_violation`),
 *      inline or — when the schema × payload could cost more than the event loop may spend — in a
 *      worker with a time budget (validation.ts: 422 `publish.validation_too_costly`, 503
 *      `publish.validation_busy`);
 *   5. FIFO key and lane (urgent lane for HIGH and CRITICAL);
 *   6. claim the event id (event-ledger.ts): a replay answers the original result, a reused id
 *      with another payload 409; then produce with acks=all, answered only once Kafka has the
 *      record — or 503 after the publish timeout (publish-guard.ts) — and record the result for
 *      replays and status.
 *
 * Authentication, `X-GovStack-Client` and reading the body (content type, size, JSON) happen in
 * the route before this runs. Nothing here touches PostgreSQL: everything comes from the
 * routing contract.
 */
import { type DataKeyRing, parsePointer, RoomcastError, type RoomAddress, resolvePointer, uuidv7 } from '@roomcast/core';
import { type BatchedRecord, encodeHeaders, type ProduceBatcher, type Producer, RecordTooLargeError, type RecordMetadata } from '@roomcast/kafka';
import { encodeWire } from '@roomcast/registry';
import type { EventTypeRoute, RoomRoute, RoutingFollower } from '@roomcast/routing';
import { sealForKafka } from './encryption.ts';
import type { IngressMetrics } from './metrics.ts';
import { checkPayload } from './payload-checks.ts';
import { DEFAULT_PUBLISH_TIMEOUT_MS, kafkaUnavailable, type PublishLimits, recordValidationFailure, validationReason, withinTimeout } from './publish-guard.ts';
import { payloadHash, requestedEventId } from './event-id.ts';
import type { BeginInput, Claim, EventLedger } from './event-ledger.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { SchemaValidation } from './validation.ts';
import type { ValidatorCache } from './validators.ts';

export interface PipelineDeps {
  routing: RoutingFollower;
  producer: Producer;
  /** Gathers concurrent produces into one acks=all request (batching.ts). */
  batcher: ProduceBatcher;
  validators: ValidatorCache;
  /** Decides where each validation runs (inline or a worker with a time budget; validation.ts). */
  validation: SchemaValidation;
  metrics: IngressMetrics;
  /** Room data keys for classified payloads; undefined without a master key (classified publishes are refused). */
  dataKeys?: DataKeyRing | undefined;
  /** Payload limits and the Kafka timeout; defaults when omitted. */
  limits?: PublishLimits;
  /** Per-publisher and per-room token buckets (rate-limit.ts); none: no limit. */
  limiter?: RateLimiter | undefined;
  /** Event ids, idempotency and status records (event-ledger.ts); none: generated ids only. */
  ledger?: EventLedger | undefined;
}

export interface PublishInput {
  /** The authenticated publisher's client id (X-GovStack-Client, checked). */
  publisher: string;
  address: RoomAddress;
  /** The event type named by the path. */
  pathType: string;
  /** The parsed request body (or one item of a batch). */
  body: unknown;
  traceparent?: string | undefined;
  /** The `Idempotency-Key` header: the event id the publisher chose (a UUID). */
  idempotencyKey?: string | undefined;
}

export interface PublishResult {
  id: string;
  partition: number;
  /** Offset of the record within its partition. */
  sequence: number;
  /** Set when this answers a replay of an id already published (200 + `Idempotent-Replayed`). */
  replayed?: true;
}

/** The FIFO key: the event type's key attribute when it has one, else the publisher's `key`. */
export function eventKey(keyPointer: string | null, body: Record<string, unknown>, event: unknown): string | null {
  if (keyPointer) {
    const tokens = parsePointer(keyPointer);
    const v = tokens ? resolvePointer(event, tokens) : undefined;
    if (typeof v === 'string' || typeof v === 'number') return String(v);
    return null;
  }
  return typeof body.key === 'string' && body.key.length > 0 ? body.key : null;
}

/** Urgent events (HIGH, CRITICAL) go to the room's urgent lane, which dispatchers drain first. */
export function laneOf(room: RoomRoute, type: EventTypeRoute): string {
  return type.priority === 'HIGH' || type.priority === 'CRITICAL' ? room.urgentTopic : room.topic;
}

export class PublishPipeline {
  readonly deps: PipelineDeps;

  constructor(deps: PipelineDeps) {
    this.deps = deps;
  }

  /** Steps 1–2: the room, the publisher's right to the event type, then the type itself. */
  resolve(publisher: string, address: RoomAddress, pathType: string): { room: RoomRoute; type: EventTypeRoute } {
    const routes = this.deps.routing.current();
    const room = routes.room(address);
    if (!room) throw new RoomcastError('room.not_found');
    const refused = () => new RoomcastError('publish.not_allowed', { detail: `${publisher} has no publisher contract for ${pathType} in this room` });
    if (!routes.publishesIn(publisher, room.id)) throw refused();
    const type = routes.eventType(room, pathType);
    if (!type) throw new RoomcastError('event_type.not_found', { detail: `No event type ${pathType} in this room` });
    if (!routes.mayPublish(publisher, room.id, pathType)) throw refused();
    return { room, type };
  }

  async publish(input: PublishInput): Promise<PublishResult> {
    const started = performance.now();
    const { room, type } = this.resolve(input.publisher, input.address, input.pathType);
    const labels = { room: room.id, event_type: type.name };
    try {
      const body = input.body;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '', message: 'must be an object {eventType, event}' }] });
      }
      const { eventType, event } = body as Record<string, unknown>;
      if (eventType !== input.pathType) {
        throw new RoomcastError('publish.event_type_mismatch', {
          errors: [{ pointer: '/eventType', message: eventType === undefined ? 'is required' : `must equal the path's event type ${input.pathType}` }],
        });
      }
      if (event === null || typeof event !== 'object' || Array.isArray(event)) {
        throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '/event', message: 'must be a JSON object' }] });
      }
      const size = checkPayload(body, this.deps.limits?.payload);
      const requestedId = requestedEventId(body as Record<string, unknown>, input.idempotencyKey);
      const ledgerInput = this.deps.ledger ? this.#ledgerInput(input, room, type, requestedId, body as Record<string, unknown>) : undefined;
      // A chosen id is reserved in the same Redis call as the rate-limit tokens (one round trip);
      // what the reservation found is acted on only after validation, in the documented order.
      const prepared = ledgerInput ? this.deps.ledger?.prepare(ledgerInput) : undefined;
      const reserved = await this.deps.limiter?.take(input.publisher, room.id, 1, prepared);
      try {
        const schema = this.deps.validators.peek(type.schemaId) ?? (await this.deps.validators.get(type.schemaId));
        const checked = this.deps.validation.check(input.publisher, schema, event, size);
        const problems = Array.isArray(checked) ? checked : await checked;
        if (problems.length > 0) {
          throw new RoomcastError('publish.schema_violation', { errors: problems.map((p) => ({ pointer: `/event${p.pointer}`, message: p.message })) });
        }
      } catch (err) {
        // Refused after the id was reserved: free it, as a failed produce does.
        if (prepared && reserved?.existing === null) await this.deps.ledger?.abandon(prepared);
        throw err;
      }
      const claim = ledgerInput && this.deps.ledger ? await this.deps.ledger.begin(ledgerInput, prepared, reserved) : generatedClaim(requestedId);
      if (claim.replayed) {
        this.deps.metrics.requests.inc({ ...labels, outcome: 'replayed' });
        return { ...claim.result, replayed: true };
      }
      const id = claim.id;
      const metadata = await this.produce(room, type, {
        id,
        publisher: input.publisher,
        key: eventKey(type.keyPointer, body as Record<string, unknown>, event),
        value: Buffer.from(JSON.stringify(event)),
        traceparent: input.traceparent,
      }).catch(async (err: unknown) => {
        const late = (err as { late?: Promise<RecordMetadata> }).late;
        // Timed out while the send is still under way: it may yet be stored, so the id stays
        // reserved until it is known (stored → a retry replays it; failed → freed). Failed: freed now.
        if (late) claim.settleLater(late.then((md) => ({ id, partition: md.partition, sequence: Number(md.baseOffset ?? 0) })));
        else await claim.release();
        throw err;
      });
      const result = { id, partition: metadata.partition, sequence: Number(metadata.baseOffset ?? 0) };
      await claim.complete(result);
      this.deps.metrics.requests.inc({ ...labels, outcome: 'accepted' });
      this.deps.metrics.latency.observe(labels, (performance.now() - started) / 1000);
      return result;
    } catch (err) {
      this.deps.metrics.requests.inc({ ...labels, outcome: outcomeOf(err) });
      recordValidationFailure(this.deps.metrics, err);
      throw err;
    }
  }

  /** What the ledger needs to claim the id (ledger.ts): the payload fingerprint for replays. */
  #ledgerInput(input: PublishInput, room: RoomRoute, type: EventTypeRoute, requestedId: string | undefined, body: Record<string, unknown>): BeginInput {
    const hash = payloadHash(type.name, body.event, body.key);
    return { roomId: room.id, publisher: input.publisher, eventType: type.name, classification: type.classification, requestedId, hash };
  }

  /** Step 6: one record, acks=all through the batcher (answered once its batch is acknowledged, or 503 after the publish timeout), Confluent wire format, `rc-*` headers. */
  async produce(
    room: RoomRoute,
    type: EventTypeRoute,
    r: { id: string; publisher: string; key: string | null; value: Buffer; traceparent?: string | undefined },
  ): Promise<RecordMetadata> {
    const sealed = sealForKafka(this.deps.dataKeys, room, type, r.id, r.value);
    let added: Promise<BatchedRecord> | undefined;
    let settled: Promise<boolean> = Promise.resolve(true);
    try {
      added = this.deps.batcher.add(laneOf(room, type), {
            key: r.key,
            value: encodeWire(type.schemaId, sealed.payload),
            headers: encodeHeaders({
              id: r.id,
              eventType: type.name,
              publisher: r.publisher,
              time: new Date().toISOString(),
              priority: type.priority,
              classification: type.classification,
              schemaId: type.schemaId,
              ...(type.schemaVersion !== undefined ? { schemaVersion: type.schemaVersion } : {}),
              ...(sealed.keyId ? { keyId: sealed.keyId } : {}),
              ...(r.traceparent ? { traceparent: r.traceparent } : {}),
            }),
      });
      settled = added.then(
        () => true,
        () => true,
      );
      const record = await withinTimeout(added, this.deps.limits?.timeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS, this.deps.limits?.retryAfterSeconds);
      return metadataOf(record);
    } catch (err) {
      if (err instanceof RecordTooLargeError) {
        // Refused before anything was sent: a final answer for this event, never a retryable 503.
        throw new RoomcastError('publish.event_too_large', {
          detail: `The event takes about ${err.bytes} bytes as a Kafka record (payload, key and headers); the limit is ${err.limit} (ROOMCAST_PUBLISH_MAX_RECORD_BYTES)`,
          errors: [{ pointer: '/event', message: `must take at most ${err.limit} bytes as a Kafka record` }],
        });
      }
      const e = err instanceof RoomcastError ? err : kafkaUnavailable(err, this.deps.limits?.retryAfterSeconds);
      // The send outlived the timeout: hand it on, so the caller can learn its outcome.
      if (added && !(await Promise.race([settled, Promise.resolve(false)]))) Object.assign(e, { late: added.then(metadataOf) });
      throw e;
    }
  }
}

const metadataOf = (record: BatchedRecord): RecordMetadata => ({ topicName: record.topic, partition: record.partition, baseOffset: record.offset, errorCode: 0 });

/** Without a ledger: a bare UUIDv7 (or the chosen id), nothing remembered. */
function generatedClaim(requestedId: string | undefined): Claim {
  return { replayed: false, id: requestedId ?? uuidv7(), complete: async () => {}, release: async () => {}, settleLater: () => {} };
}

function outcomeOf(err: unknown): string {
  if (!(err instanceof RoomcastError)) return 'error';
  if (validationReason(err)) return 'invalid';
  if (err.code === 'publish.kafka_unavailable') return 'produce_error';
  return err.code;
}
