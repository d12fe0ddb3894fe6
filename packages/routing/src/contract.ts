/**
 * The routing contract: everything the data plane (ingress, dispatcher, pull) needs to route
 * events, derived by the control plane from Postgres and numbered by generation. Data-plane
 * processes hold it in memory and never query Postgres per request.
 *
 * Its shape has one source, the JSON Schema in contract-schema.ts; the types here are derived
 * from it. `indexContract` turns the wire form into lookup maps once per generation (pure;
 * unit-tested).
 */
import type { RoomAddress } from '@roomcast/core';
import { roomKey } from '@roomcast/core';
import type { FromSchema } from 'json-schema-to-ts';
import type { ROUTING_CONTRACT_SCHEMA } from './contract-schema.ts';

/** The contract as the schema describes it (contract-schema.ts is the one source). */
export type RoutingContract = FromSchema<typeof ROUTING_CONTRACT_SCHEMA>;
export type RoomRoute = RoutingContract['rooms'][number];
export type EventTypeRoute = RoomRoute['eventTypes'][number];
export type PrincipalRoute = RoutingContract['principals'][number];
export type Role = PrincipalRoute['role'];
/** An approved application of an approved member: who a verified client certificate may name. */
export type ApplicationRoute = RoutingContract['applications'][number];
export type PublisherRoute = RoutingContract['publishers'][number];
export type SubscriptionRoute = RoutingContract['subscriptions'][number];
/** A signing secret with the moment it stops signing (null: until the next rotation). */
export type SigningSecretRoute = SubscriptionRoute['signingSecrets'][number];
export type RetryPolicyRoute = SubscriptionRoute['retry'];

/** The secrets that sign at `nowMs`: the current one and a previous one whose overlap has not ended. */
export function activeSecrets(secrets: readonly SigningSecretRoute[], nowMs: number): string[] {
  return secrets.filter((s) => s.notAfter === null || Date.parse(s.notAfter) > nowMs).map((s) => s.secret);
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
