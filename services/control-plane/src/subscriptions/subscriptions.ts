/**
 * Subscription life cycle over Postgres and Kafka administration. Routes authorise and parse;
 * this module keeps the invariants and republishes the routing contract after every change.
 *
 *   create ──▶ PENDING ──approve──▶ ACTIVE ──pause──▶ PAUSED ──resume──▶ ACTIVE
 *     └─ room auto-approves, or a SubscriberGrant exists ──▶ ACTIVE
 *   reject: PENDING | ACTIVE | PAUSED ──▶ DISABLED ──approve──▶ ACTIVE
 *
 * Every approval (by the owner, automatic, or again after a rejection) positions the
 * subscription's consumer group at the current end of both room lanes before the contract names
 * it, so the subscriber receives exactly the events published after approval. Pausing, resuming and
 * switching PUSH↔PULL keep the group, hence its place. A subscription is identified towards
 * its subscriber by (application, room, event type) and towards the room owner by its id.
 */
import { type ClientId, checkEndpointUrl, formatClientId, type Logger, newId, newSigningSecret, RoomcastError, type RoomAddress, type SecretBox } from '@roomcast/core';
import { Prisma, type PrismaClient, type SubscriptionGetPayload } from '@roomcast/db';
import { commitGroupOffsets, GroupNotEmptyError, type Kafka, type KafkaNames } from '@roomcast/kafka';
import type { RoomLookup } from '../rooms/room-lookup.ts';
import type { RoutingPublisher } from '../routing/types.ts';
import type { EndpointAllowlist } from './allowlist.ts';
import { defaultSettings, filterErrors, type ItemInput, identityErrors, mergeSettings, rotateSecret, type Settings, settingsErrors } from './subscription-model.ts';

const withRelations = { eventType: true, application: true, room: { include: { member: true } } } as const;

export type SubscriptionRow = SubscriptionGetPayload<{ include: typeof withRelations }>;

/** The settings as Prisma writes them: a JSON column is cleared with DbNull, not null. */
function columns(s: Settings) {
  return { ...s, filter: s.filter === null || s.filter === undefined ? Prisma.DbNull : (s.filter as Prisma.InputJsonValue) };
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

export interface RoomSubscriptionQuery {
  status?: 'PENDING' | 'ACTIVE' | 'PAUSED' | 'DISABLED';
  eventType?: string;
  pageSize: number;
  nextPageToken?: string;
}

export interface SubscriptionsDeps {
  db: PrismaClient;
  kafka: Kafka;
  names: KafkaNames;
  lookup: RoomLookup;
  routing: RoutingPublisher;
  allowlist: EndpointAllowlist;
  /** Seals signing secrets at rest under the master key (decision 0008). */
  secrets: SecretBox;
  logger: Logger;
  devMode: boolean;
}

export class Subscriptions {
  readonly #deps: SubscriptionsDeps;

  constructor(deps: SubscriptionsDeps) {
    this.#deps = deps;
  }

  get #db() {
    return this.#deps.db;
  }

  /** The subscriber's own subscriptions in a room (none when the room does not exist). */
  listOwn(address: RoomAddress, clientId: string): Promise<SubscriptionRow[]> {
    return this.#db.subscription.findMany({
      where: { application: { clientId }, room: { code: address.room, member: { instance: address.instance, memberClass: address.memberClass, memberCode: address.memberCode } } },
      include: withRelations,
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  async findOwn(address: RoomAddress, clientId: string, eventType: string): Promise<SubscriptionRow> {
    const found = (await this.listOwn(address, clientId)).find((s) => s.eventType.name === eventType);
    if (!found) throw new RoomcastError('subscription.not_found', { detail: `${clientId} has no subscription to ${eventType} in this room` });
    return found;
  }

  async findById(id: string): Promise<SubscriptionRow | null> {
    return this.#db.subscription.findUnique({ where: { id }, include: withRelations });
  }

  /** Why an endpoint is refused under the address policy and the global allowlist, if it is. */
  async endpointRefusal(url: string): Promise<string | undefined> {
    const allowlist = await this.#deps.allowlist.patterns();
    return checkEndpointUrl(url, { devMode: this.#deps.devMode, allowlist });
  }

  async #checkSettings(settings: Settings, urlChanged: boolean): Promise<void> {
    const errors = settingsErrors(settings);
    if (errors.length > 0) throw new RoomcastError('request.validation_failed', { errors });
    if (settings.mode === 'PUSH' && urlChanged && settings.pushUrl) {
      const refused = await this.endpointRefusal(settings.pushUrl);
      if (refused) throw new RoomcastError('subscription.endpoint_rejected', { errors: [{ pointer: '/options/pushUrl', message: refused }] });
    }
  }

  /**
   * Subscribes `subscriber` to an event type of a room. Starts ACTIVE when the room
   * auto-approves or the owner granted this client the event type, PENDING otherwise.
   */
  async create(address: RoomAddress, eventType: string, subscriber: ClientId, input: ItemInput) {
    const errors = identityErrors(input, { id: undefined, subscriber, eventType });
    errors.push(...filterErrors(input));
    const settings = mergeSettings(defaultSettings(), input);
    errors.push(...settingsErrors(settings));
    if (errors.length > 0) throw new RoomcastError('request.validation_failed', { errors });
    const room = await this.#db.room.findFirst({
      where: { code: address.room, member: { instance: address.instance, memberClass: address.memberClass, memberCode: address.memberCode } },
    });
    if (!room) throw new RoomcastError('room.not_found');
    const type = await this.#db.eventType.findUnique({ where: { roomId_name: { roomId: room.id, name: eventType } } });
    if (!type) throw new RoomcastError('event_type.not_found', { detail: `No event type ${eventType} in this room` });
    const clientId = formatClientId(subscriber);
    const application = await this.#db.application.findUnique({ where: { clientId }, include: { member: true } });
    if (!application) {
      throw new RoomcastError('request.validation_failed', { errors: [{ pointer: '/headers/X-GovStack-Client', message: 'names no registered application' }] });
    }
    // Only approved applications of approved members subscribe (an admin may name a pending one).
    if (application.status !== 'APPROVED' || application.member.status !== 'APPROVED') {
      throw new RoomcastError('application.invalid_state', { detail: `${clientId} is not approved yet` });
    }
    await this.#checkSettings(settings, true);

    const signingSecret = newSigningSecret();
    const id = newId('sub');
    const { result, generation } = await this.#deps.routing.changeAndRepublish(`subscription ${id} created`, async () => {
      let created: SubscriptionRow;
      try {
        created = await this.#db.subscription.create({
          data: { id, roomId: room.id, eventTypeId: type.id, applicationId: application.id, signingSecret: this.#deps.secrets.seal(id, signingSecret), ...columns(settings) },
          include: withRelations,
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new RoomcastError('subscription.already_exists', { detail: `${clientId} already subscribes to ${eventType}` });
        throw err;
      }
      const grant = await this.#db.subscriberGrant.findUnique({ where: { applicationId_eventTypeId: { applicationId: application.id, eventTypeId: type.id } } });
      const approval = room.autoApprove ? 'room auto-approves' : grant ? 'subscriber grant' : undefined;
      if (approval) {
        try {
          created = await this.#activate(created);
        } catch (err) {
          // Without its start position the subscription must not exist half-approved.
          await this.#db.subscription.delete({ where: { id: created.id } }).catch(() => {});
          throw err;
        }
      }
      return { created, approval };
    });
    return { subscription: result.created, signingSecret, approval: result.approval ?? 'pending', generation };
  }

  /** Applies a PATCH. The status never changes here: approval is the room owner's. */
  async update(sub: SubscriptionRow, subscriber: ClientId, input: ItemInput) {
    const errors = identityErrors(input, { id: sub.id, subscriber, eventType: sub.eventType.name });
    errors.push(...filterErrors(input));
    if (errors.length > 0) throw new RoomcastError('request.validation_failed', { errors });
    const settings = mergeSettings(sub, input);
    await this.#checkSettings(settings, settings.pushUrl !== sub.pushUrl || settings.mode !== sub.mode);
    const { result, generation } = await this.#deps.routing.changeAndRepublish(`subscription ${sub.id} updated`, () =>
      this.#db.subscription.update({ where: { id: sub.id }, data: columns(settings), include: withRelations }),
    );
    return { subscription: result, generation };
  }

  async remove(sub: SubscriptionRow): Promise<number> {
    // The consumer group is left to Kafka's offset retention: the dispatcher may still be
    // leaving it, and a new subscription gets a new id, hence a new group.
    const { generation } = await this.#deps.routing.changeAndRepublish(`subscription ${sub.id} deleted`, () => this.#db.subscription.delete({ where: { id: sub.id } }));
    return generation;
  }

  /** A new signing secret, returned once; the old one keeps signing for `overlapSeconds`. */
  async rotate(sub: SubscriptionRow, overlapSeconds: number, now: Date = new Date()) {
    const fresh = newSigningSecret();
    const next = rotateSecret(sub, this.#deps.secrets.seal(sub.id, fresh), overlapSeconds, now);
    const { result, generation } = await this.#deps.routing.changeAndRepublish(`subscription ${sub.id} secret rotated`, () =>
      this.#db.subscription.update({ where: { id: sub.id }, data: next, include: withRelations }),
    );
    return { subscription: result, signingSecret: fresh, generation };
  }

  /** PENDING or DISABLED → ACTIVE, starting after the events published so far; ACTIVE stays as is. */
  async approve(sub: SubscriptionRow) {
    if (sub.status === 'PAUSED') throw new RoomcastError('subscription.invalid_state', { detail: 'The subscription is paused; resume it instead' });
    const { result, generation } = await this.#deps.routing.changeAndRepublish(`subscription ${sub.id} approved`, async () => (sub.status === 'ACTIVE' ? sub : this.#activate(sub)));
    return { subscription: result, generation };
  }

  /** PENDING (or ACTIVE/PAUSED) → DISABLED with the owner's reason; it delivers nothing more. */
  reject(sub: SubscriptionRow, reason: string | undefined) {
    if (sub.status === 'DISABLED') throw new RoomcastError('subscription.invalid_state', { detail: 'The subscription is already disabled' });
    return this.#setStatus(sub, 'DISABLED', reason ?? 'rejected by the room owner', 'rejected');
  }

  pause(sub: SubscriptionRow, reason: string | undefined) {
    if (sub.status !== 'ACTIVE') throw new RoomcastError('subscription.invalid_state', { detail: `Only an ACTIVE subscription can be paused (it is ${sub.status})` });
    return this.#setStatus(sub, 'PAUSED', reason ?? 'paused by the room owner', 'paused');
  }

  /** PAUSED → ACTIVE from where it stopped: events published during the pause are delivered. */
  resume(sub: SubscriptionRow) {
    if (sub.status !== 'PAUSED') throw new RoomcastError('subscription.invalid_state', { detail: `Only a PAUSED subscription can be resumed (it is ${sub.status})` });
    return this.#setStatus(sub, 'ACTIVE', null, 'resumed');
  }

  /**
   * ACTIVE → DISABLED because the platform says so (the endpoint answered 410 Gone); anything
   * else is left alone, so a repeated request changes nothing. Answers whether it changed.
   */
  async disableByPlatform(id: string, reason: string): Promise<boolean> {
    const sub = await this.findById(id);
    if (sub?.status !== 'ACTIVE') return false;
    await this.#setStatus(sub, 'DISABLED', reason.slice(0, 500), 'disabled by the platform');
    return true;
  }

  async #setStatus(sub: SubscriptionRow, status: 'ACTIVE' | 'PAUSED' | 'DISABLED', reason: string | null, what: string) {
    const { result, generation } = await this.#deps.routing.changeAndRepublish(`subscription ${sub.id} ${what}`, () =>
      this.#db.subscription.update({ where: { id: sub.id }, data: { status, statusReason: reason }, include: withRelations }),
    );
    return { subscription: result, generation };
  }

  /** The room with this id, for its owner's list (the route decides who may see it). */
  roomById(roomId: string) {
    return this.#db.room.findUnique({ where: { id: roomId }, include: { member: true } });
  }

  /** One page of a room's subscriptions, oldest first, filtered by status and event type. */
  async listRoom(roomId: string, q: RoomSubscriptionQuery): Promise<{ items: SubscriptionRow[]; nextPageToken: string | null }> {
    const rows = await this.#db.subscription.findMany({
      where: { roomId, ...(q.status ? { status: q.status } : {}), ...(q.eventType ? { eventType: { name: q.eventType } } : {}) },
      include: withRelations,
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      ...(q.nextPageToken ? { cursor: { id: q.nextPageToken }, skip: 1 } : {}),
      take: q.pageSize + 1,
    });
    const items = rows.slice(0, q.pageSize);
    return { items, nextPageToken: rows.length > q.pageSize ? (items[items.length - 1]?.id ?? null) : null };
  }

  /**
   * Seals signing secrets stored in clear (rows from before) or under a previous master key with
   * the current one, at start; the routing contract published next carries only sealed values.
   */
  async sealSigningSecrets(): Promise<void> {
    const { secrets, logger } = this.#deps;
    const rows = await this.#db.subscription.findMany({ select: { id: true, signingSecret: true, previousSigningSecret: true } });
    let sealed = 0;
    for (const r of rows) {
      const stale = (v: string | null) => v !== null && !secrets.current(v);
      if (!stale(r.signingSecret) && !stale(r.previousSigningSecret)) continue;
      const reseal = (v: string) => secrets.seal(r.id, secrets.open(r.id, v));
      await this.#db.subscription.update({
        where: { id: r.id },
        data: { signingSecret: reseal(r.signingSecret), previousSigningSecret: r.previousSigningSecret === null ? null : reseal(r.previousSigningSecret) },
      });
      sealed++;
    }
    if (sealed > 0) logger.info('signing secrets sealed under the current master key', { subscriptions: sealed });
  }

  /** Positions the consumer group at the end of both lanes, then marks the subscription ACTIVE. */
  async #activate(sub: SubscriptionRow): Promise<SubscriptionRow> {
    const { kafka, names, lookup } = this.#deps;
    const admin = kafka.admin();
    try {
      await admin.connect();
      const topics = await Promise.all(
        Object.values(lookup.topicsOf(sub.room)).map(async (topic) => ({
          topic,
          partitions: (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.high })),
        })),
      );
      await commitGroupOffsets(kafka, names.subscriptionGroup(sub.id), topics);
    } catch (err) {
      // A direct commit is refused while the group has members: consumers of an earlier
      // activation that have not left yet (the dispatcher stops them when the contract drops them).
      if (err instanceof GroupNotEmptyError) {
        throw new RoomcastError('subscription.invalid_state', { detail: 'The subscription’s consumers are still stopping; retry in a few seconds' });
      }
      throw new RoomcastError('dependency.unavailable', { detail: 'Kafka is unavailable', cause: err });
    } finally {
      await admin.disconnect().catch(() => {});
    }
    return this.#db.subscription.update({ where: { id: sub.id }, data: { status: 'ACTIVE', statusReason: null, approvedAt: new Date() }, include: withRelations });
  }
}
