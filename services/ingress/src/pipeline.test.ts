import { randomBytes } from 'node:crypto';
import { DataKeyRing, masterKey, newWrappedDataKey, openEventPayload, RoomcastError, silentLogger } from '@roomcast/core';
import { type BatchedRecord, decodeHeaders, type ProduceBatcher, type Producer, RecordTooLargeError } from '@roomcast/kafka';
import { decodeWire, type Registry as SchemaRegistry } from '@roomcast/registry';
import { indexContract, type RoutingContract, type RoutingFollower } from '@roomcast/routing';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { payloadHash } from './event-id.ts';
import type { BeginInput, Claim, EventLedger } from './event-ledger.ts';
import { IngressMetrics } from './metrics.ts';
import { DEFAULT_PAYLOAD_LIMITS } from './payload-checks.ts';
import { eventKey, type PipelineDeps, PublishPipeline } from './pipeline.ts';
import type { RateLimiter, Reservation, Reserved } from './rate-limit.ts';
import { DEFAULT_VALIDATION, SchemaValidation } from './validation.ts';
import { ValidatorCache } from './validators.ts';

describe('eventKey', () => {
  it("uses the event type's key attribute when it has one", () => {
    expect(eventKey('/patient/id', { key: 'ignored' }, { patient: { id: 'p-9' } })).toBe('p-9');
    expect(eventKey('/n', {}, { n: 42 })).toBe('42');
    expect(eventKey('/patient/id', {}, { patient: {} })).toBeNull();
    expect(eventKey('/patient', {}, { patient: { id: 1 } })).toBeNull();
  });
  it("falls back to the publisher's key, else none", () => {
    expect(eventKey(null, { key: 'k-1' }, {})).toBe('k-1');
    expect(eventKey(null, { key: '' }, {})).toBeNull();
    expect(eventKey(null, {}, {})).toBeNull();
  });
});

const T0 = Date.parse('2026-11-22T10:00:00.000Z');
const PUBLISHER = 'DEV/GOV/MOH/clinic';
const ID = '0193a5f1-2b3c-7d4e-8f60-123456789abc';
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const address = { instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'births' };
const master = masterKey('mk1', randomBytes(32).toString('base64'));

const contract: RoutingContract = {
  generation: 3,
  createdAt: '2026-11-01T00:00:00.000Z',
  rooms: [
    {
      id: 'room_1',
      address,
      topic: 'rc.births',
      urgentTopic: 'rc.births.urgent',
      partitions: 3,
      eventTypes: [
        { name: 'newBirth', schemaId: 4, schemaVersion: 2, keyPointer: '/mother/id', classification: 'INTERNAL', priority: 'NORMAL' },
        { name: 'alert', schemaId: 5, keyPointer: null, classification: 'PUBLIC', priority: 'HIGH' },
        { name: 'record', schemaId: 6, keyPointer: null, classification: 'PII', priority: 'NORMAL' },
        { name: 'death', schemaId: 7, keyPointer: null, classification: 'INTERNAL', priority: 'NORMAL' },
      ],
      dataKeys: [newWrappedDataKey(master, 'room_1', 'dk_1')],
    },
  ],
  principals: [],
  applications: [],
  publishers: ['newBirth', 'alert', 'record'].map((eventType) => ({ clientId: PUBLISHER, roomId: 'room_1', eventType })),
  subscriptions: [],
};
const index = indexContract(contract);
const routing: RoutingFollower = {
  current: () => index,
  onChange: () => () => {},
  waitFor: async () => index,
  stop: async () => {},
};

const schemas: Record<number, Record<string, unknown>> = {
  4: {
    type: 'object',
    required: ['mother', 'weight'],
    properties: { mother: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } }, weight: { type: 'integer' } },
  },
  5: { type: 'object' },
  6: { type: 'object' },
  7: { type: 'object' },
};
const unused = () => Promise.reject(new Error('not used by the pipeline'));
const schemaRegistry: SchemaRegistry = {
  getJsonSchema: async (id) => {
    const s = schemas[id];
    if (!s) throw new Error(`no schema ${id}`);
    return s;
  },
  registerJsonSchema: unused,
  registerVersion: unused,
  deleteSubject: unused,
  libraryValidates: unused,
  probe: unused,
};

type Added = { topic: string; message: Parameters<ProduceBatcher['add']>[1] };

/** A batcher that records each add and answers through `answer` (by default: stored at partition 1, offset 41). */
function fakeBatcher() {
  const added: Added[] = [];
  const state = { answer: async (topic: string): Promise<BatchedRecord> => ({ topic, partition: 1, offset: '41' }) } as { answer: (topic: string) => Promise<BatchedRecord> };
  const batcher = {
    add(topic: string, message: Added['message']) {
      added.push({ topic, message });
      return state.answer(topic);
    },
  };
  return { added, state, batcher: batcher as unknown as ProduceBatcher };
}

function newClaim(id = ID) {
  return {
    replayed: false as const,
    id,
    complete: vi.fn(async () => {}),
    release: vi.fn(async () => {}),
    settleLater: vi.fn<(send: Promise<{ id: string; partition: number; sequence: number }>) => void>(),
  };
}

/** The three ledger calls the pipeline makes; `begin` answers `claim`. */
function fakeLedger(claim: Claim) {
  const reservation: Reservation = { key: 'rc:event:room_1:x', pending: '{"state":"pending"}', ttlMs: 30_000 };
  const ledger = {
    prepare: vi.fn((input: BeginInput) => (input.requestedId === undefined ? undefined : reservation)),
    begin: vi.fn(async (_input: BeginInput, _prepared?: Reservation, _first?: Reserved) => claim),
    abandon: vi.fn(async (_r: Reservation) => {}),
  };
  return { reservation, ledger, asLedger: ledger as unknown as EventLedger };
}

function setup(extra: Partial<PipelineDeps> = {}) {
  const registry = new Registry();
  const metrics = new IngressMetrics(registry);
  const b = fakeBatcher();
  const pipeline = new PublishPipeline({
    routing,
    producer: {} as Producer,
    batcher: b.batcher,
    validators: new ValidatorCache(schemaRegistry, silentLogger),
    validation: new SchemaValidation(DEFAULT_VALIDATION, silentLogger, metrics),
    metrics,
    limits: { payload: DEFAULT_PAYLOAD_LIMITS, timeoutMs: 1000, retryAfterSeconds: 3 },
    ...extra,
  });
  return { pipeline, metrics, ...b };
}

const birth = (extra: Record<string, unknown> = {}) => ({ eventType: 'newBirth', event: { mother: { id: 'm-7' }, weight: 3200 }, ...extra });
const input = (body: unknown, extra: Record<string, unknown> = {}) => ({ publisher: PUBLISHER, address, pathType: 'newBirth', body, ...extra });

async function refusal(p: Promise<unknown>): Promise<RoomcastError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RoomcastError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

const counts = async (c: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> }) =>
  (await c.get()).values.map((v) => ({ ...v.labels, value: v.value }));

beforeEach(() => {
  vi.useFakeTimers({ now: T0, toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('PublishPipeline: the record', () => {
  it('produces one record on the room topic: key attribute, wire-format payload, rc-* headers; answers id, partition and sequence', async () => {
    const s = setup();
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const result = await s.pipeline.publish(input(birth({ key: 'ignored' }), { traceparent }));

    expect(result).toEqual({ id: expect.stringMatching(UUID_V7), partition: 1, sequence: 41 });
    expect(s.added).toHaveLength(1);
    const { topic, message } = s.added[0] as Added;
    expect(topic).toBe('rc.births');
    expect(message.key).toBe('m-7');
    const wire = decodeWire(message.value as Buffer);
    expect(wire?.schemaId).toBe(4);
    expect(JSON.parse(wire?.payload.toString('utf8') ?? '')).toEqual({ mother: { id: 'm-7' }, weight: 3200 });
    expect(decodeHeaders(message.headers)).toEqual({
      id: result.id,
      eventType: 'newBirth',
      publisher: PUBLISHER,
      time: new Date(T0).toISOString(),
      priority: 'NORMAL',
      classification: 'INTERNAL',
      schemaId: 4,
      schemaVersion: 2,
      traceparent,
    });
    expect(message.headers?.['rc-key-id']).toBeUndefined();
    expect(await counts(s.metrics.requests)).toEqual([{ room: 'room_1', event_type: 'newBirth', outcome: 'accepted', value: 1 }]);
  });

  it('an id chosen in the body or the Idempotency-Key header is the event id (lower-cased); otherwise each publish gets its own UUIDv7', async () => {
    const s = setup();
    const fromBody = await s.pipeline.publish(input(birth({ id: ID.toUpperCase() })));
    const fromHeader = await s.pipeline.publish(input(birth(), { idempotencyKey: ID }));
    const a = await s.pipeline.publish(input(birth()));
    const b = await s.pipeline.publish(input(birth()));

    expect([fromBody.id, fromHeader.id]).toEqual([ID, ID]);
    expect(s.added.slice(0, 2).map((r) => decodeHeaders(r.message.headers)?.id)).toEqual([ID, ID]);
    expect(a.id).toMatch(UUID_V7);
    expect(b.id).toMatch(UUID_V7);
    expect(a.id).not.toBe(b.id);
    expect(decodeHeaders(s.added[3]?.message.headers)?.id).toBe(b.id);
  });

  it("urgent event types go to the urgent lane; without a key attribute the publisher's key (or none) is the record key", async () => {
    const s = setup();
    await s.pipeline.publish({ publisher: PUBLISHER, address, pathType: 'alert', body: { eventType: 'alert', event: { level: 3 }, key: 'k-1' } });
    await s.pipeline.publish({ publisher: PUBLISHER, address, pathType: 'alert', body: { eventType: 'alert', event: { level: 3 } } });
    // A key attribute the event lacks: no key (not the publisher's).
    await s.pipeline.publish(input({ eventType: 'newBirth', event: { mother: { id: 'm-7' }, weight: 1 }, key: 'k-2' }));

    expect(s.added.map((r) => [r.topic, r.message.key])).toEqual([
      ['rc.births.urgent', 'k-1'],
      ['rc.births.urgent', null],
      ['rc.births', 'm-7'],
    ]);
    expect(decodeHeaders(s.added[0]?.message.headers)).toMatchObject({ priority: 'HIGH', classification: 'PUBLIC', schemaId: 5 });
    expect(decodeHeaders(s.added[0]?.message.headers)?.schemaVersion).toBeUndefined();
  });

  it('a classified payload is sealed under the room key named in rc-key-id, bound to the event id', async () => {
    const ring = new DataKeyRing([master]);
    const s = setup({ dataKeys: ring });
    const event = { name: 'Jane Secretname' };
    const result = await s.pipeline.publish({ publisher: PUBLISHER, address, pathType: 'record', body: { eventType: 'record', event } });

    const { message } = s.added[0] as Added;
    const headers = decodeHeaders(message.headers);
    expect(headers).toMatchObject({ id: result.id, classification: 'PII', keyId: 'dk_1' });
    const sealed = decodeWire(message.value as Buffer)?.payload ?? Buffer.alloc(0);
    expect(sealed.toString('utf8')).not.toContain('Secretname');
    const room = contract.rooms[0] as (typeof contract.rooms)[number];
    expect(JSON.parse(openEventPayload(ring, room, headers ?? { id: '', eventType: '' }, sealed).toString('utf8'))).toEqual(event);
  });
});

describe('PublishPipeline: produce errors', () => {
  it('a record larger than Kafka takes is 413 publish.event_too_large, counted as refused input, never a retryable 503', async () => {
    const s = setup();
    s.state.answer = () => Promise.reject(new RecordTooLargeError(1_500_000, 1_048_576));
    const err = await refusal(s.pipeline.publish(input(birth())));

    expect(err.code).toBe('publish.event_too_large');
    expect(err.status).toBe(413);
    expect(err.retryable).toBe(false);
    expect(err.errors).toEqual([{ pointer: '/event', message: 'must take at most 1048576 bytes as a Kafka record' }]);
    expect(err.message).toContain('about 1500000 bytes');
    expect(await counts(s.metrics.validationFailures)).toEqual([{ reason: 'record_too_large', value: 1 }]);
    expect(await counts(s.metrics.requests)).toEqual([{ room: 'room_1', event_type: 'newBirth', outcome: 'invalid', value: 1 }]);
  });

  it('a Kafka failure is 503 publish.kafka_unavailable with Retry-After, its cause kept, and the claimed id released', async () => {
    const claim = newClaim();
    const l = fakeLedger(claim);
    const s = setup({ ledger: l.asLedger });
    const kafkaError = Object.assign(new Error('Broker not available'), { name: 'KafkaJSNumberOfRetriesExceeded' });
    s.state.answer = () => Promise.reject(kafkaError);
    const err = await refusal(s.pipeline.publish(input(birth({ id: ID }))));

    expect(err.code).toBe('publish.kafka_unavailable');
    expect(err.status).toBe(503);
    expect(err.headers).toEqual({ 'retry-after': '3' });
    expect(err.cause).toBe(kafkaError);
    expect('late' in err).toBe(false);
    expect(claim.release).toHaveBeenCalledTimes(1);
    expect(claim.settleLater).not.toHaveBeenCalled();
    expect(claim.complete).not.toHaveBeenCalled();
    expect(await counts(s.metrics.requests)).toEqual([{ room: 'room_1', event_type: 'newBirth', outcome: 'produce_error', value: 1 }]);
    expect(await counts(s.metrics.validationFailures)).toEqual([]);
  });

  it('no acknowledgement within the publish timeout is 503; the id stays reserved until the late send settles', async () => {
    vi.useRealTimers();
    const claim = newClaim();
    const l = fakeLedger(claim);
    const s = setup({ ledger: l.asLedger, limits: { payload: DEFAULT_PAYLOAD_LIMITS, timeoutMs: 20, retryAfterSeconds: 2 } });
    let store: (r: BatchedRecord) => void = () => {};
    s.state.answer = () => new Promise<BatchedRecord>((resolve) => (store = resolve));
    const err = await refusal(s.pipeline.publish(input(birth({ id: ID }))));

    expect(err.code).toBe('publish.kafka_unavailable');
    expect(err.headers).toEqual({ 'retry-after': '2' });
    expect(claim.release).not.toHaveBeenCalled();
    expect(claim.complete).not.toHaveBeenCalled();
    expect(claim.settleLater).toHaveBeenCalledTimes(1);
    const late = claim.settleLater.mock.calls[0]?.[0];
    store({ topic: 'rc.births', partition: 2, offset: '77' });
    await expect(late).resolves.toEqual({ id: ID, partition: 2, sequence: 77 });
  });

  it('a classified event without a usable room key is refused with 503 before anything is produced', async () => {
    const claim = newClaim();
    const l = fakeLedger(claim);
    const s = setup({ ledger: l.asLedger });
    const err = await refusal(s.pipeline.publish({ publisher: PUBLISHER, address, pathType: 'record', body: { eventType: 'record', event: { a: 1 }, id: ID } }));

    expect(err.code).toBe('publish.encryption_unavailable');
    expect(err.status).toBe(503);
    expect(err.headers).toEqual({ 'retry-after': '1' });
    expect(s.added).toEqual([]);
    expect(claim.release).toHaveBeenCalledTimes(1);
  });
});

describe('PublishPipeline: event ids and the ledger', () => {
  it('claims a chosen id with the payload fingerprint, reserved with the rate-limit tokens, and records the result', async () => {
    const claim = newClaim();
    const l = fakeLedger(claim);
    const reserved: Reserved = { existing: null };
    const take = vi.fn(async () => reserved);
    const s = setup({ ledger: l.asLedger, limiter: { take } as unknown as RateLimiter });
    const result = await s.pipeline.publish(input(birth({ id: ID, key: 'k' })));

    const expected: BeginInput = { roomId: 'room_1', publisher: PUBLISHER, eventType: 'newBirth', classification: 'INTERNAL', requestedId: ID, hash: payloadHash('newBirth', birth().event, 'k') };
    expect(l.ledger.prepare).toHaveBeenCalledWith(expected);
    expect(take).toHaveBeenCalledWith(PUBLISHER, 'room_1', 1, l.reservation);
    expect(l.ledger.begin).toHaveBeenCalledWith(expected, l.reservation, reserved);
    expect(result).toEqual({ id: ID, partition: 1, sequence: 41 });
    expect(claim.complete).toHaveBeenCalledWith({ id: ID, partition: 1, sequence: 41 });
    expect(decodeHeaders(s.added[0]?.message.headers)?.id).toBe(ID);
  });

  it('a replayed id answers the original result, marked replayed, and produces nothing', async () => {
    const l = fakeLedger({ replayed: true, result: { id: ID, partition: 0, sequence: 9 } });
    const s = setup({ ledger: l.asLedger });
    const result = await s.pipeline.publish(input(birth({ id: ID })));

    expect(result).toEqual({ id: ID, partition: 0, sequence: 9, replayed: true });
    expect(s.added).toEqual([]);
    expect(await counts(s.metrics.requests)).toEqual([{ room: 'room_1', event_type: 'newBirth', outcome: 'replayed', value: 1 }]);
  });

  it('an event refused by its schema frees the id it reserved and is never claimed or produced', async () => {
    const l = fakeLedger(newClaim());
    const s = setup({ ledger: l.asLedger, limiter: { take: async () => ({ existing: null }) } as unknown as RateLimiter });
    const err = await refusal(s.pipeline.publish(input({ eventType: 'newBirth', event: { mother: { id: 'm-7' }, weight: 'heavy' }, id: ID })));

    expect(err.code).toBe('publish.schema_violation');
    expect(err.errors).toEqual([{ pointer: '/event/weight', message: 'must be integer' }]);
    expect(l.ledger.abandon).toHaveBeenCalledWith(l.reservation);
    expect(l.ledger.begin).not.toHaveBeenCalled();
    expect(s.added).toEqual([]);

    // A reservation that found someone else's record is not ours to free.
    const other = fakeLedger(newClaim());
    const t = setup({ ledger: other.asLedger, limiter: { take: async () => ({ existing: 'd:abc:0:1' }) } as unknown as RateLimiter });
    await refusal(t.pipeline.publish(input({ eventType: 'newBirth', event: { mother: { id: 'm-7' }, weight: 'heavy' }, id: ID })));
    expect(other.ledger.abandon).not.toHaveBeenCalled();
  });
});

describe('PublishPipeline: checks before producing', () => {
  const code = async (i: Parameters<PublishPipeline['publish']>[0]) => {
    const s = setup();
    const err = await refusal(s.pipeline.publish(i));
    expect(s.added).toEqual([]);
    return [err.status, err.code, err.errors?.map((e) => e.pointer)];
  };

  it('room, contract, event type and body shape each fail with their own code', async () => {
    expect(await code(input(birth(), { address: { ...address, room: 'deaths' } }))).toEqual([404, 'room.not_found', undefined]);
    // No contract in the room: refused before it could learn whether the type exists.
    expect(await code(input(birth(), { publisher: 'DEV/GOV/MOH/other', pathType: 'nope' }))).toEqual([403, 'publish.not_allowed', undefined]);
    expect(await code(input(birth(), { pathType: 'nope' }))).toEqual([404, 'event_type.not_found', undefined]);
    expect(await code(input({ eventType: 'death', event: {} }, { pathType: 'death' }))).toEqual([403, 'publish.not_allowed', undefined]);
    expect(await code(input({ eventType: 'alert', event: {} }))).toEqual([400, 'publish.event_type_mismatch', ['/eventType']]);
    expect(await code(input({ eventType: 'newBirth', event: [1] }))).toEqual([400, 'request.validation_failed', ['/event']]);
    expect(await code(input(birth({ id: 'order-1' })))).toEqual([400, 'request.validation_failed', ['/id']]);
  });
});
