/**
 * Subscriptions as data (pure, unit-tested): the GovStack SubscriptionItem with Roomcast's
 * delivery settings inside `options`, their bounds and defaults, the JSON Schemas the routes
 * validate with, merging a PATCH into the stored settings, the checks that need more than one
 * field, and signing-secret rotation with an overlap.
 */
import type { ClientId, FieldError } from '@roomcast/core';
import type { JsonSchema } from '@roomcast/http';
import { FILTER_BOUNDS, parseFilter, type SigningSecretRoute } from '@roomcast/routing';

/** Inclusive bounds of every number a subscriber may set (README, decision 0008). */
export const BOUNDS = {
  ttlSeconds: { min: 1, max: 604_800 },
  maxAttempts: { min: 1, max: 1000 },
  initialDelayMs: { min: 100, max: 3_600_000 },
  maxDelayMs: { min: 100, max: 86_400_000 },
  multiplier: { min: 1, max: 10 },
  timeoutMs: { min: 100, max: 60_000 },
  maxInFlight: { min: 1, max: 1000 },
  rateLimitPerSec: { min: 0.01, max: 10_000 },
  overlapSeconds: { min: 0, max: 604_800 },
} as const;

/** Defaults: the GovStack TTL (3600 s) and the columns' defaults in packages/db. */
export const DEFAULTS = {
  ttlSeconds: 3600,
  fifo: false,
  maxAttempts: 50,
  initialDelayMs: 1000,
  maxDelayMs: 300_000,
  backoffMultiplier: 2,
  timeoutMs: 10_000,
  maxInFlight: 16,
  rateLimitPerSec: null,
  overlapSeconds: 86_400,
} as const;

/** The stored delivery settings (column names of the Subscription table). */
export interface Settings {
  mode: 'PUSH' | 'PULL' | 'STREAM';
  pushUrl: string | null;
  fifo: boolean;
  ttlSeconds: number;
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  backoffMultiplier: number;
  timeoutMs: number;
  maxInFlight: number;
  rateLimitPerSec: number | null;
  /** The content filter as registered (decision 0028); null: every event of the type. */
  filter: unknown;
}

export interface OptionsInput {
  TTL?: number;
  FIFO?: boolean;
  pushUrl?: string;
  retry?: { maxAttempts?: number; initialDelayMs?: number; maxDelayMs?: number; multiplier?: number };
  timeoutMs?: number;
  maxInFlight?: number;
  rateLimitPerSec?: number | null;
  filter?: Record<string, unknown> | null;
}

export interface SubscriberIdInput {
  instanceId?: string;
  memberClass?: string;
  memberCode?: string;
  applicationCode?: string;
}

/** A SubscriptionItem as a client sends it (POST and PATCH). */
export interface ItemInput {
  id?: string;
  subscriberId?: SubscriberIdInput;
  eventType?: string;
  delivery?: 'PUSH' | 'PULL';
  options?: OptionsInput;
}

const int = (b: { min: number; max: number }, description: string, dflt?: number) => ({
  type: 'integer',
  minimum: b.min,
  maximum: b.max,
  description,
  ...(dflt !== undefined ? { default: dflt } : {}),
});
const segment = { type: 'string', minLength: 1, maxLength: 63 };

/**
 * The body schema of POST and PATCH. POST follows the spec (eventType required, defaults
 * documented); PATCH is a partial update, so nothing is required and no default is filled in.
 */
export function itemBodySchema(kind: 'create' | 'update'): JsonSchema {
  const create = kind === 'create';
  const d = (v: number) => (create ? v : undefined);
  return {
    type: 'object',
    additionalProperties: false,
    ...(create ? { required: ['eventType'] } : {}),
    properties: {
      id: { type: 'string', maxLength: 64, description: 'Accepted only when it is this subscription’s id (read-only)' },
      subscriberId: {
        type: 'object',
        additionalProperties: false,
        description: 'Accepted only when it names the caller (read-only)',
        properties: { instanceId: segment, memberClass: segment, memberCode: segment, applicationCode: segment },
      },
      eventType: { type: 'string', minLength: 1, maxLength: 63, description: 'Must equal the event type in the path' },
      delivery: { type: 'string', enum: ['PUSH', 'PULL'], ...(create ? { default: 'PUSH' } : {}) },
      options: {
        type: 'object',
        additionalProperties: false,
        properties: {
          TTL: int(BOUNDS.ttlSeconds, 'Seconds an event stays deliverable after it was published', d(DEFAULTS.ttlSeconds)),
          FIFO: { type: 'boolean', description: 'Per-key order', ...(create ? { default: false } : {}) },
          pushUrl: { type: 'string', minLength: 1, maxLength: 2048, description: 'Push endpoint (required for PUSH): https outside dev mode, no private, loopback, link-local or metadata address unless allowlisted' },
          retry: {
            type: 'object',
            additionalProperties: false,
            properties: {
              maxAttempts: int(BOUNDS.maxAttempts, 'Attempts before the delivery fails', d(DEFAULTS.maxAttempts)),
              initialDelayMs: int(BOUNDS.initialDelayMs, 'Back-off before the second attempt', d(DEFAULTS.initialDelayMs)),
              maxDelayMs: int(BOUNDS.maxDelayMs, 'Longest back-off; at least initialDelayMs', d(DEFAULTS.maxDelayMs)),
              multiplier: { type: 'number', minimum: BOUNDS.multiplier.min, maximum: BOUNDS.multiplier.max, ...(create ? { default: DEFAULTS.backoffMultiplier } : {}) },
            },
          },
          timeoutMs: int(BOUNDS.timeoutMs, 'Timeout of one push request', d(DEFAULTS.timeoutMs)),
          maxInFlight: int(BOUNDS.maxInFlight, 'Pushes in flight at once', d(DEFAULTS.maxInFlight)),
          rateLimitPerSec: {
            type: ['number', 'null'],
            minimum: BOUNDS.rateLimitPerSec.min,
            maximum: BOUNDS.rateLimitPerSec.max,
            description: 'Deliveries per second at most; null (the default) means unlimited',
          },
          filter: {
            type: ['object', 'null'],
            description: `Roomcast extension: a content filter (decision 0028), e.g. {"all":[{"eq":{"data.status":"final"}},{"in":{"data.region":["north","south"]}}]}; only matching events are delivered. Operators all, any, not, eq, in, prefix, suffix, gt, gte, lt, lte, exists over attributes (id, type, key, publisher, classification, priority, time, schemaVersion) and payload fields (data.a.b or /data/a/b); at most ${FILTER_BOUNDS.bytes} bytes, ${FILTER_BOUNDS.depth} levels, ${FILTER_BOUNDS.nodes} operators. null (the default) removes it`,
          },
        },
      },
    },
  };
}

const subscriberIdSchema = {
  type: 'object',
  required: ['instanceId', 'memberClass', 'memberCode', 'applicationCode'],
  properties: { instanceId: { type: 'string' }, memberClass: { type: 'string' }, memberCode: { type: 'string' }, applicationCode: { type: 'string' } },
};

/** The SubscriptionItem Roomcast answers with: the spec's fields, extensions and read-only state. */
export const itemSchema: JsonSchema = {
  type: 'object',
  required: ['id', 'subscriberId', 'eventType', 'delivery', 'options', 'status'],
  properties: {
    id: { type: 'string', description: 'sub_… (Roomcast ids are prefixed, not UUIDs)' },
    subscriberId: subscriberIdSchema,
    eventType: { type: 'string' },
    delivery: { type: 'string', enum: ['PUSH', 'PULL', 'STREAM'] },
    options: {
      type: 'object',
      required: ['TTL', 'FIFO', 'retry', 'timeoutMs', 'maxInFlight', 'rateLimitPerSec'],
      properties: {
        TTL: { type: 'integer' },
        FIFO: { type: 'boolean' },
        pushUrl: { type: 'string' },
        retry: {
          type: 'object',
          required: ['maxAttempts', 'initialDelayMs', 'maxDelayMs', 'multiplier'],
          properties: { maxAttempts: { type: 'integer' }, initialDelayMs: { type: 'integer' }, maxDelayMs: { type: 'integer' }, multiplier: { type: 'number' } },
        },
        timeoutMs: { type: 'integer' },
        maxInFlight: { type: 'integer' },
        rateLimitPerSec: { type: ['number', 'null'] },
        filter: { type: 'object', description: 'The content filter, when the subscription has one (Roomcast extension, decision 0028)' },
      },
    },
    status: { type: 'string', enum: ['PENDING', 'ACTIVE', 'PAUSED', 'DISABLED'], description: 'Read-only: PENDING until the room owner approves' },
    statusReason: { type: ['string', 'null'], description: 'Read-only: why the subscription is DISABLED or PAUSED' },
    previousSecretExpiresAt: { type: ['string', 'null'], format: 'date-time', description: 'Read-only: end of the current rotation overlap' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    approvedAt: { type: ['string', 'null'], format: 'date-time' },
  },
};

export function defaultSettings(): Settings {
  const { overlapSeconds: _, ...rest } = DEFAULTS;
  return { mode: 'PUSH', pushUrl: null, ...rest, filter: null };
}

/** Applies the fields a client sent to the stored settings; fields not sent stay as they are. */
export function mergeSettings(current: Settings, input: ItemInput): Settings {
  const o = input.options ?? {};
  const r = o.retry ?? {};
  return {
    mode: input.delivery ?? current.mode,
    pushUrl: o.pushUrl ?? current.pushUrl,
    fifo: o.FIFO ?? current.fifo,
    ttlSeconds: o.TTL ?? current.ttlSeconds,
    maxAttempts: r.maxAttempts ?? current.maxAttempts,
    initialDelayMs: r.initialDelayMs ?? current.initialDelayMs,
    maxDelayMs: r.maxDelayMs ?? current.maxDelayMs,
    backoffMultiplier: r.multiplier ?? current.backoffMultiplier,
    timeoutMs: o.timeoutMs ?? current.timeoutMs,
    maxInFlight: o.maxInFlight ?? current.maxInFlight,
    rateLimitPerSec: o.rateLimitPerSec === undefined ? current.rateLimitPerSec : o.rateLimitPerSec,
    filter: o.filter === undefined ? current.filter : o.filter,
  };
}

/** The filter a client sent, parsed and bounded; its errors point into `/options/filter`. */
export function filterErrors(input: ItemInput): FieldError[] {
  const f = input.options?.filter;
  if (f === undefined || f === null) return [];
  const parsed = parseFilter(f, '/options/filter');
  return parsed.ok ? [] : parsed.errors;
}

/** Rules that span fields, checked on the merged result (so a PATCH cannot break them either). */
export function settingsErrors(s: Settings): FieldError[] {
  const errors: FieldError[] = [];
  if (s.maxDelayMs < s.initialDelayMs) errors.push({ pointer: '/options/retry/maxDelayMs', message: `must be at least initialDelayMs (${s.initialDelayMs})` });
  if (s.mode === 'PUSH' && !s.pushUrl) errors.push({ pointer: '/options/pushUrl', message: 'is required for PUSH delivery' });
  return errors;
}

/**
 * Read-only fields a client may echo back: accepted only when they describe this very
 * subscription (a GET body sent back as-is), refused with their pointer otherwise.
 */
export function identityErrors(input: ItemInput, expected: { id: string | undefined; subscriber: ClientId; eventType: string }): FieldError[] {
  const errors: FieldError[] = [];
  if (input.id !== undefined && input.id !== expected.id) {
    errors.push({ pointer: '/id', message: expected.id === undefined ? 'is assigned by Roomcast; omit it' : 'must be this subscription’s id' });
  }
  if (input.eventType !== undefined && input.eventType !== expected.eventType) errors.push({ pointer: '/eventType', message: 'must equal the event type in the path' });
  const own: Required<SubscriberIdInput> = {
    instanceId: expected.subscriber.instance,
    memberClass: expected.subscriber.memberClass,
    memberCode: expected.subscriber.memberCode,
    applicationCode: expected.subscriber.application,
  };
  for (const [field, value] of Object.entries(input.subscriberId ?? {})) {
    if (value !== own[field as keyof SubscriberIdInput]) errors.push({ pointer: `/subscriberId/${field}`, message: 'must name the caller (X-GovStack-Client)' });
  }
  return errors;
}

export interface SecretState {
  signingSecret: string;
  previousSigningSecret: string | null;
  previousSecretExpiresAt: Date | null;
}

/**
 * A rotation: the fresh secret becomes current and the old current keeps signing for the
 * overlap (none when it is 0). At most two secrets exist: a secret still in its overlap from an
 * earlier rotation is dropped.
 */
export function rotateSecret(current: SecretState, fresh: string, overlapSeconds: number, now: Date): SecretState {
  if (overlapSeconds <= 0) return { signingSecret: fresh, previousSigningSecret: null, previousSecretExpiresAt: null };
  return { signingSecret: fresh, previousSigningSecret: current.signingSecret, previousSecretExpiresAt: new Date(now.getTime() + overlapSeconds * 1000) };
}

/** The secrets the routing contract carries at `now`, each with the moment it stops signing. */
export function contractSecrets(s: SecretState, now: Date): SigningSecretRoute[] {
  const out: SigningSecretRoute[] = [{ secret: s.signingSecret, notAfter: null }];
  if (s.previousSigningSecret && s.previousSecretExpiresAt && s.previousSecretExpiresAt > now) {
    out.push({ secret: s.previousSigningSecret, notAfter: s.previousSecretExpiresAt.toISOString() });
  }
  return out;
}

export interface StoredSubscription extends Settings, SecretState {
  id: string;
  status: string;
  statusReason: string | null;
  createdAt: Date;
  updatedAt: Date;
  approvedAt: Date | null;
}

/** The SubscriptionItem answered to clients. Never carries a secret. */
export function renderItem(s: StoredSubscription, subscriber: ClientId, eventType: string, now: Date = new Date()) {
  const overlapEnds = s.previousSigningSecret && s.previousSecretExpiresAt && s.previousSecretExpiresAt > now ? s.previousSecretExpiresAt.toISOString() : null;
  return {
    id: s.id,
    subscriberId: { instanceId: subscriber.instance, memberClass: subscriber.memberClass, memberCode: subscriber.memberCode, applicationCode: subscriber.application },
    eventType,
    delivery: s.mode,
    options: {
      TTL: s.ttlSeconds,
      FIFO: s.fifo,
      ...(s.pushUrl ? { pushUrl: s.pushUrl } : {}),
      retry: { maxAttempts: s.maxAttempts, initialDelayMs: s.initialDelayMs, maxDelayMs: s.maxDelayMs, multiplier: s.backoffMultiplier },
      timeoutMs: s.timeoutMs,
      maxInFlight: s.maxInFlight,
      rateLimitPerSec: s.rateLimitPerSec,
      ...(s.filter !== null && s.filter !== undefined ? { filter: s.filter } : {}),
    },
    status: s.status,
    statusReason: s.statusReason,
    previousSecretExpiresAt: overlapEnds,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    approvedAt: s.approvedAt?.toISOString() ?? null,
  };
}
