/**
 * The routing contract: everything the data plane (ingress, dispatcher, pull) needs to route
 * events, derived by the control plane from Postgres and numbered by generation. Data-plane
 * processes hold it in memory and never query Postgres per request.
 *
 * `indexContract` turns the wire form into lookup maps once per generation (pure; unit-tested).
 */
import type { RoomAddress, WrappedDataKey } from '@roomcast/core';
import { roomKey } from '@roomcast/core';

export type Role = 'GLOBAL_ADMIN' | 'MEMBER_ADMIN' | 'APPLICATION';

export interface PrincipalRoute {
  /** SHA-256 hex of the API key. */
  keyHash: string;
  /** Id of the key, for logs and audit; never the key itself. */
  keyId?: string;
  role: Role;
  /** GovStack client id of the application (APPLICATION keys). */
  clientId?: string;
  /** INSTANCE/CLASS/MEMBER of the member (MEMBER_ADMIN and APPLICATION keys). */
  member?: string;
}

/** An approved application of an approved member: who a verified client certificate may name. */
export interface ApplicationRoute {
  clientId: string;
  /** INSTANCE/CLASS/MEMBER of its member. */
  member: string;
}

export interface EventTypeRoute {
  name: string;
  schemaId: number;
  /** Version of the schema under its subject (contracts published before it was carried have none). */
  schemaVersion?: number;
  keyPointer: string | null;
  classification: string;
  priority: string;
}

export interface RoomRoute {
  id: string;
  address: RoomAddress;
  topic: string;
  urgentTopic: string;
  partitions: number;
  eventTypes: EventTypeRoute[];
  /**
   * The room's data keys for classified payloads, newest (the one that encrypts) first, each
   * WRAPPED under a master key: Redis never holds a plain key. Absent or empty: the room has
   * no classified event type yet.
   */
  dataKeys?: WrappedDataKey[];
}

export interface PublisherRoute {
  clientId: string;
  roomId: string;
  eventType: string;
}

/** A signing secret with the moment it stops signing (null: until the next rotation). */
export interface SigningSecretRoute {
  secret: string;
  /** ISO time; after it the secret no longer signs, without waiting for a new generation. */
  notAfter: string | null;
}

export interface RetryPolicyRoute {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
}

export interface SubscriptionRoute {
  id: string;
  roomId: string;
  eventType: string;
  clientId: string;
  mode: 'PUSH' | 'PULL' | 'STREAM';
  /** Only ACTIVE subscriptions deliver; PAUSED ones keep their place (consumer group). */
  status: 'ACTIVE' | 'PAUSED';
  pushUrl: string | null;
  /** Current secret first; during a rotation the previous one follows, with its notAfter. */
  signingSecrets: SigningSecretRoute[];
  fifo: boolean;
  /** GovStack TTL: seconds an event stays deliverable after it was published. */
  ttlSeconds: number;
  retry: RetryPolicyRoute;
  /** Per-request timeout of a push. */
  timeoutMs: number;
  maxInFlight: number;
  /** Deliveries per second at most; null means unlimited. */
  rateLimitPerSec: number | null;
  /** Kafka consumer group: derived from the id, so it survives PUSH/PULL switches and pauses. */
  group: string;
}

/** The secrets that sign at `nowMs`: the current one and a previous one whose overlap has not ended. */
export function activeSecrets(secrets: readonly SigningSecretRoute[], nowMs: number): string[] {
  return secrets.filter((s) => s.notAfter === null || Date.parse(s.notAfter) > nowMs).map((s) => s.secret);
}

export interface RoutingContract {
  generation: number;
  createdAt: string;
  rooms: RoomRoute[];
  principals: PrincipalRoute[];
  applications: ApplicationRoute[];
  publishers: PublisherRoute[];
  subscriptions: SubscriptionRoute[];
  /**
   * The global admin's push-endpoint allowlist (normalised host, IP and CIDR patterns): the
   * dispatcher lets a connection to an address they cover through its SSRF guard.
   */
  endpointAllowlist?: string[];
}

export const EMPTY_CONTRACT: RoutingContract = {
  generation: 0,
  createdAt: new Date(0).toISOString(),
  rooms: [],
  principals: [],
  applications: [],
  publishers: [],
  subscriptions: [],
};

export interface RoutingIndex {
  contract: RoutingContract;
  principal(keyHash: string): PrincipalRoute | undefined;
  /** The approved application with this client id (client-certificate authentication). */
  application(clientId: string): ApplicationRoute | undefined;
  room(address: RoomAddress): RoomRoute | undefined;
  roomById(id: string): RoomRoute | undefined;
  eventType(room: RoomRoute, name: string): EventTypeRoute | undefined;
  mayPublish(clientId: string, roomId: string, eventType: string): boolean;
  /** Whether the client may publish at least one event type of the room. */
  publishesIn(clientId: string, roomId: string): boolean;
  /** ACTIVE subscriptions of a delivery mode (PAUSED ones are in `contract` only). */
  subscriptions(mode: SubscriptionRoute['mode']): SubscriptionRoute[];
}

export function indexContract(contract: RoutingContract): RoutingIndex {
  const principals = new Map(contract.principals.map((p) => [p.keyHash, p]));
  const applications = new Map(contract.applications.map((a) => [a.clientId, a]));
  const roomsByKey = new Map(contract.rooms.map((r) => [roomKey(r.address), r]));
  const roomsById = new Map(contract.rooms.map((r) => [r.id, r]));
  const eventTypes = new Map<string, EventTypeRoute>();
  for (const r of contract.rooms) for (const t of r.eventTypes) eventTypes.set(`${r.id}\u0000${t.name}`, t);
  const grants = new Set(contract.publishers.map((p) => `${p.clientId}\u0000${p.roomId}\u0000${p.eventType}`));
  const roomGrants = new Set(contract.publishers.map((p) => `${p.clientId}\u0000${p.roomId}`));

  return {
    contract,
    principal: (hash) => principals.get(hash),
    application: (clientId) => applications.get(clientId),
    room: (address) => roomsByKey.get(roomKey(address)),
    roomById: (id) => roomsById.get(id),
    eventType: (room, name) => eventTypes.get(`${room.id}\u0000${name}`),
    mayPublish: (clientId, roomId, eventType) => grants.has(`${clientId}\u0000${roomId}\u0000${eventType}`),
    publishesIn: (clientId, roomId) => roomGrants.has(`${clientId}\u0000${roomId}`),
    subscriptions: (mode) => contract.subscriptions.filter((s) => s.mode === mode && s.status === 'ACTIVE'),
  };
}
