/**
 * The routing contract's one source: this JSON Schema. The TypeScript types (contract.ts) are
 * derived from it (`FromSchema`), every contract a data-plane process loads is validated
 * against it (store.ts), and `schemas/routing-contract.schema.json` is generated from it
 * (scripts/schemas.ts; a unit test keeps the file equal).
 *
 * Objects list their fields with `additionalProperties: false`, so the derived types are
 * exact. A loaded contract may still carry fields this version does not know (written by a
 * newer control plane during a rolling upgrade): validation drops them instead of refusing
 * the contract.
 */

const string = { type: 'string' } as const;
const roomAddress = {
  type: 'object',
  additionalProperties: false,
  required: ['instance', 'memberClass', 'memberCode', 'room'],
  properties: { instance: string, memberClass: string, memberCode: string, room: string },
} as const;

const eventType = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'schemaId', 'keyPointer', 'classification', 'priority'],
  properties: {
    name: string,
    schemaId: { type: 'integer' },
    schemaVersion: { type: 'integer', minimum: 1, description: 'Version of the schema under its subject (contracts published before it was carried have none)' },
    keyPointer: { type: ['string', 'null'], description: 'JSON pointer of the FIFO key in the event; null: the publisher names the key' },
    classification: { enum: ['PUBLIC', 'INTERNAL', 'CONFIDENTIAL', 'PHI', 'PII'] },
    priority: { enum: ['LOW', 'NORMAL', 'HIGH', 'CRITICAL'] },
  },
} as const;

const dataKey = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'masterKeyId', 'wrapped'],
  properties: { id: string, masterKeyId: string, wrapped: { type: 'string', contentEncoding: 'base64' } },
} as const;

const room = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'address', 'topic', 'urgentTopic', 'partitions', 'eventTypes'],
  properties: {
    id: string,
    address: roomAddress,
    topic: { type: 'string', description: 'Kafka topic of the room, as stored when the room was approved' },
    urgentTopic: { type: 'string', description: 'Topic of the urgent lane (HIGH and CRITICAL event types)' },
    partitions: { type: 'integer', minimum: 1 },
    eventTypes: { type: 'array', items: eventType },
    dataKeys: {
      type: 'array',
      items: dataKey,
      description:
        'Data keys for classified payloads, newest (the one that encrypts) first, each wrapped (AES-256-GCM) under the master key masterKeyId: Redis never holds a plain key. Absent or empty: the room has no classified event type yet.',
    },
  },
} as const;

const principal = {
  type: 'object',
  additionalProperties: false,
  required: ['keyHash', 'role'],
  properties: {
    keyHash: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'SHA-256 hex of the API key' },
    keyId: { type: 'string', description: 'Id of the key, for logs and audit; never the key itself' },
    role: { enum: ['GLOBAL_ADMIN', 'MEMBER_ADMIN', 'APPLICATION'] },
    clientId: { type: 'string', description: 'GovStack client id of the application (APPLICATION keys)' },
    member: { type: 'string', description: 'INSTANCE/CLASS/MEMBER of the member (MEMBER_ADMIN and APPLICATION keys)' },
  },
} as const;

const application = {
  type: 'object',
  additionalProperties: false,
  required: ['clientId', 'member'],
  description: 'An approved application of an approved member: who a verified client certificate may name',
  properties: { clientId: string, member: { type: 'string', description: 'INSTANCE/CLASS/MEMBER of its member' } },
} as const;

const publisher = {
  type: 'object',
  additionalProperties: false,
  required: ['clientId', 'roomId', 'eventType'],
  properties: { clientId: string, roomId: string, eventType: string },
} as const;

const signingSecret = {
  type: 'object',
  additionalProperties: false,
  required: ['secret', 'notAfter'],
  description: 'A signing secret (sealed under the master key) with the moment it stops signing',
  properties: {
    secret: string,
    notAfter: { type: ['string', 'null'], format: 'date-time', description: 'After it the secret no longer signs, without waiting for a new generation; null: until the next rotation' },
  },
} as const;

const retry = {
  type: 'object',
  additionalProperties: false,
  required: ['maxAttempts', 'initialDelayMs', 'maxDelayMs', 'multiplier'],
  properties: {
    maxAttempts: { type: 'integer', minimum: 1 },
    initialDelayMs: { type: 'integer', minimum: 0 },
    maxDelayMs: { type: 'integer', minimum: 0 },
    multiplier: { type: 'number', minimum: 1 },
  },
} as const;

const subscription = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'roomId', 'eventType', 'clientId', 'mode', 'status', 'pushUrl', 'signingSecrets', 'fifo', 'ttlSeconds', 'retry', 'timeoutMs', 'maxInFlight', 'rateLimitPerSec', 'group'],
  properties: {
    id: string,
    roomId: string,
    eventType: string,
    clientId: string,
    mode: { enum: ['PUSH', 'PULL', 'STREAM'] },
    status: { enum: ['ACTIVE', 'PAUSED'], description: "Only ACTIVE subscriptions deliver; PAUSED ones keep their consumer group's place" },
    pushUrl: { type: ['string', 'null'] },
    signingSecrets: { type: 'array', items: signingSecret, description: 'Current secret first; during a rotation the previous one follows and signs until its notAfter' },
    fifo: { type: 'boolean' },
    ttlSeconds: { type: 'integer', minimum: 0, description: 'GovStack TTL: seconds an event stays deliverable after it was published' },
    retry,
    timeoutMs: { type: 'integer', minimum: 1, description: 'Per-request timeout of a push' },
    maxInFlight: { type: 'integer', minimum: 1 },
    rateLimitPerSec: { type: ['number', 'null'], description: 'Deliveries per second at most; null: unlimited' },
    group: { type: 'string', description: 'Kafka consumer group: derived from the id, so it survives PUSH/PULL switches and pauses' },
    filter: {
      type: 'object',
      description: "Content filter (decision 0028), as the subscriber registered it: only events it matches are delivered, the others are final at once. Absent: every event of the type. The data plane parses it once per generation (packages/routing filter.ts)",
    },
  },
} as const;

export const ROUTING_CONTRACT_SCHEMA = {
  title: 'Routing contract',
  description:
    'Everything the data plane needs to route events, published by the control plane as numbered, signed generations (decision 0002); data-plane processes hold it in memory and never query PostgreSQL per request.',
  type: 'object',
  additionalProperties: false,
  required: ['generation', 'createdAt', 'rooms', 'principals', 'applications', 'publishers', 'subscriptions'],
  properties: {
    generation: { type: 'integer', minimum: 0 },
    createdAt: { type: 'string', format: 'date-time' },
    rooms: { type: 'array', items: room },
    principals: { type: 'array', items: principal },
    applications: { type: 'array', items: application, description: 'Approved applications of approved members: the client ids a verified client certificate may name' },
    publishers: { type: 'array', items: publisher },
    subscriptions: { type: 'array', items: subscription },
    endpointAllowlist: {
      type: 'array',
      items: string,
      description: "The global admin's push-endpoint allowlist (normalised host, IP and CIDR patterns): the dispatcher lets a connection to an address they cover through its SSRF guard",
    },
  },
} as const;
