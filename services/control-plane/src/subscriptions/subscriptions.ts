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
import { type ClientId, checkEndpointUrl, formatClientId, newId, newSigningSecret, RoomcastError, type RoomAddress } from '@roomcast/core';
import { Prisma, type SubscriptionGetPayload } from '@roomcast/db';
import { commitGroupOffsets, GroupNotEmptyError } from '@roomcast/kafka';
import { defaultSettings, type ItemInput, identityErrors, mergeSettings, rotateSecret, type Settings, settingsErrors } from './subscription-model.ts';
import type { ControlPlane } from '../service.ts';

const withRelations = { eventType: true, application: true, room: { include: { member: true } } } as const;

export type SubscriptionRow = SubscriptionGetPayload<{ include: typeof withRelations }>;

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

export class Subscriptions {
  readonly #cp: ControlPlane;

  constructor(cp: ControlPlane) {
    this.#cp = cp;
  }

  get #db() {
    return this.#cp.deps.db;
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
    const allowlist = (await this.#db.endpointAllowlist.findMany({ select: { pattern: true } })).map((e) => e.pattern);
    return checkEndpointUrl(url, { devMode: this.#cp.deps.devMode, allowlist });
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
    let created: SubscriptionRow;
    try {
      created = await this.#db.subscription.create({
        data: { id, roomId: room.id, eventTypeId: type.id, applicationId: application.id, signingSecret: this.#cp.secrets.seal(id, signingSecret), ...settings },
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
    const generation = await this.#cp.deps.routing.republish(`subscription ${created.id} created`);
    return { subscription: created, signingSecret, approval: approval ?? 'pending', generation };
  }

  /** Applies a PATCH. The status never changes here: approval is the room owner's. */
  async update(sub: SubscriptionRow, subscriber: ClientId, input: ItemInput) {
    const errors = identityErrors(input, { id: sub.id, subscriber, eventType: sub.eventType.name });
    if (errors.length > 0) throw new RoomcastError('request.validation_failed', { errors });
    const settings = mergeSettings(sub, input);
    await this.#checkSettings(settings, settings.pushUrl !== sub.pushUrl || settings.mode !== sub.mode);
    const updated = await this.#db.subscription.update({ where: { id: sub.id }, data: settings, include: withRelations });
    const generation = await this.#cp.deps.routing.republish(`subscription ${sub.id} updated`);
    return { subscription: updated, generation };
  }

  async remove(sub: SubscriptionRow): Promise<number> {
    await this.#db.subscription.delete({ where: { id: sub.id } });
    // The consumer group is left to Kafka's offset retention: the dispatcher may still be
    // leaving it, and a new subscription gets a new id, hence a new group.
    return this.#cp.deps.routing.republish(`subscription ${sub.id} deleted`);
  }

  /** A new signing secret, returned once; the old one keeps signing for `overlapSeconds`. */
  async rotate(sub: SubscriptionRow, overlapSeconds: number, now: Date = new Date()) {
    const fresh = newSigningSecret();
    const next = rotateSecret(sub, this.#cp.secrets.seal(sub.id, fresh), overlapSeconds, now);
    const updated = await this.#db.subscription.update({ where: { id: sub.id }, data: next, include: withRelations });
    const generation = await this.#cp.deps.routing.republish(`subscription ${sub.id} secret rotated`);
    return { subscription: updated, signingSecret: fresh, generation };
  }

  /** PENDING or DISABLED → ACTIVE, starting after the events published so far; ACTIVE stays as is. */
  async approve(sub: SubscriptionRow) {
    if (sub.status === 'PAUSED') throw new RoomcastError('subscription.invalid_state', { detail: 'The subscription is paused; resume it instead' });
    const updated = sub.status === 'ACTIVE' ? sub : await this.#activate(sub);
    const generation = await this.#cp.deps.routing.republish(`subscription ${sub.id} approved`);
    return { subscription: updated, generation };
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
    const updated = await this.#db.subscription.update({ where: { id: sub.id }, data: { status, statusReason: reason }, include: withRelations });
    const generation = await this.#cp.deps.routing.republish(`subscription ${sub.id} ${what}`);
    return { subscription: updated, generation };
  }

  /** Positions the consumer group at the end of both lanes, then marks the subscription ACTIVE. */
  async #activate(sub: SubscriptionRow): Promise<SubscriptionRow> {
    const { kafka, names } = this.#cp.deps;
    const admin = kafka.admin();
    try {
      await admin.connect();
      const topics = await Promise.all(
        Object.values(this.#cp.topicsOf(sub.room)).map(async (topic) => ({
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
