/**
 * The control plane's shared dependencies and the domain modules built from them. Each module
 * receives only what it uses (identity/, rooms/, publishers/, subscriptions/, directory/,
 * configuration/, audit/); every committed change that affects routing goes through
 * `RoutingPublisher.changeAndRepublish`, which republishes the routing contract after it.
 */
import { type Logger, type MasterKey, type RoomAddress, SecretBox } from '@roomcast/core';
import type { PrismaClient } from '@roomcast/db';
import type { Kafka, KafkaNames } from '@roomcast/kafka';
import type { Redis, RedisKeys } from '@roomcast/redis';
import type { Registry } from '@roomcast/registry';
import { AuditLog } from './audit/audit.ts';
import { Configuration } from './configuration/configuration.ts';
import { Directory } from './directory/directory-service.ts';
import { Identity } from './identity/identity.ts';
import { Publishers } from './publishers/publishers.ts';
import { DataKeys } from './rooms/data-keys.ts';
import { EventTypes } from './rooms/event-types.ts';
import { RoomLookup, type RoomRef } from './rooms/room-lookup.ts';
import { Rooms } from './rooms/rooms.ts';
import type { RoutingPublisher } from './routing/types.ts';
import { EndpointAllowlist } from './subscriptions/allowlist.ts';
import { SubscriptionReplay } from './subscriptions/replay.ts';
import { Subscriptions } from './subscriptions/subscriptions.ts';

export interface ControlPlaneDeps {
  db: PrismaClient;
  logger: Logger;
  registry: Registry;
  kafka: Kafka;
  names: KafkaNames;
  /** Redis, for what the control plane clears there itself (a replayed pull subscription's queue). */
  redis: Redis;
  keys: RedisKeys;
  routing: RoutingPublisher;
  retentionMs: number;
  defaultPartitions: number;
  devMode: boolean;
  /** The deployment's public base URL (no trailing slash) for URLs written into answers; never taken from the request. */
  publicOrigin: () => string;
  /** Wrap room data keys: the current master key first, then previous ones (empty: encryption off). */
  masterKeys: MasterKey[];
}

export class ControlPlane {
  readonly deps: ControlPlaneDeps;
  /** Seals subscription signing secrets at rest under the master key (decision 0008). */
  readonly secrets: SecretBox;
  readonly audit: AuditLog;
  readonly identity: Identity;
  readonly lookup: RoomLookup;
  readonly rooms: Rooms;
  readonly dataKeys: DataKeys;
  readonly eventTypes: EventTypes;
  readonly publishers: Publishers;
  readonly allowlist: EndpointAllowlist;
  readonly subscriptions: Subscriptions;
  readonly replay: SubscriptionReplay;
  readonly directory: Directory;
  readonly configuration: Configuration;

  constructor(deps: ControlPlaneDeps) {
    this.deps = deps;
    const { db, logger, registry, kafka, names, routing, publicOrigin } = deps;
    this.secrets = new SecretBox(deps.masterKeys);
    this.audit = new AuditLog({ db, logger });
    this.identity = new Identity({ db, routing });
    this.lookup = new RoomLookup({ db, names });
    this.rooms = new Rooms({ db, kafka, lookup: this.lookup, routing, logger, retentionMs: deps.retentionMs, defaultPartitions: deps.defaultPartitions });
    this.dataKeys = new DataKeys({ db, routing, logger, masterKeys: deps.masterKeys });
    this.eventTypes = new EventTypes({ db, registry, lookup: this.lookup, dataKeys: this.dataKeys, routing, logger });
    this.publishers = new Publishers({ db, routing });
    this.allowlist = new EndpointAllowlist({ db, routing });
    this.subscriptions = new Subscriptions({ db, kafka, names, lookup: this.lookup, routing, allowlist: this.allowlist, secrets: this.secrets, logger, devMode: deps.devMode });
    this.replay = new SubscriptionReplay({ kafka, names, lookup: this.lookup, redis: deps.redis, keys: deps.keys, logger });
    this.directory = new Directory({ db, registry, publicOrigin });
    this.configuration = new Configuration({ db, routing, publicOrigin });
  }

  // Lookups by GovStack address, kept on the unit for callers outside the modules (scripts, tests).
  findMember(instance: string, memberClass: string, memberCode: string) {
    return this.lookup.findMember(instance, memberClass, memberCode);
  }

  findRoom(address: RoomAddress) {
    return this.lookup.findRoom(address);
  }

  findEventType(address: RoomAddress, name: string) {
    return this.lookup.findEventType(address, name);
  }

  addressOf(room: Pick<RoomRef, 'code' | 'member'>): RoomAddress {
    return this.lookup.addressOf(room);
  }

  topicsOf(room: RoomRef): { topic: string; urgentTopic: string } {
    return this.lookup.topicsOf(room);
  }

  subjectOf(room: RoomRef, eventType: string): string {
    return this.lookup.subjectOf(room, eventType);
  }
}
