/** The supervisor's reconcile against a fake Kafka client: what starts, what is updated in place, what restarts or stops. */
import { createLogger } from '@roomcast/core';
import type { Kafka } from '@roomcast/kafka';
import { indexContract, type RoutingContract, type RoutingFollower, type RoutingIndex, type SubscriptionRoute } from '@roomcast/routing';
import { describe, expect, it, vi } from 'vitest';
import { type GroupMember, type SubscriptionConsumer, SubscriptionConsumers } from './subscription-consumers.ts';

const settings = {
  roomId: 'room_1',
  eventType: 'newBirth',
  clientId: 'DEV/GOV/REG/app',
  status: 'ACTIVE' as const,
  signingSecrets: [{ secret: 's', notAfter: null }],
  fifo: false,
  ttlSeconds: 3600,
  retry: { maxAttempts: 50, initialDelayMs: 1000, maxDelayMs: 300_000, multiplier: 2 },
  timeoutMs: 10_000,
  maxInFlight: 16,
  rateLimitPerSec: null,
};
const sub = (id: string, o: Partial<SubscriptionRoute> = {}): SubscriptionRoute => ({ ...settings, id, mode: 'PUSH', pushUrl: 'https://x', group: `g-${id}`, ...o });

const contract = (generation: number, subscriptions: SubscriptionRoute[]): RoutingContract => ({
  generation,
  createdAt: '2026-01-01T00:00:00.000Z',
  rooms: [{ id: 'room_1', address: { instance: 'DEV', memberClass: 'GOV', memberCode: 'MOH', room: 'births' }, topic: 't', urgentTopic: 't.urgent', partitions: 3, eventTypes: [] }],
  principals: [],
  applications: [],
  publishers: [],
  subscriptions,
});

function follower(first: RoutingContract) {
  let index = indexContract(first);
  const listeners = new Set<(next: RoutingIndex) => void>();
  const routing = {
    current: () => index,
    onChange(listener: (next: RoutingIndex) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as unknown as RoutingFollower;
  const publish = (next: RoutingContract) => {
    index = indexContract(next);
    for (const l of listeners) l(index);
  };
  return { routing, publish };
}

function fakeKafka() {
  const made: Array<{ config: Record<string, unknown>; subscribed?: unknown; run?: Record<string, unknown>; disconnected: boolean }> = [];
  const kafka = {
    consumer(config: Record<string, unknown>) {
      const entry: (typeof made)[number] = { config, disconnected: false };
      made.push(entry);
      return {
        events: { GROUP_JOIN: 'group_join' },
        on() {},
        async connect() {},
        async subscribe(s: unknown) {
          entry.subscribed = s;
        },
        async run(r: Record<string, unknown>) {
          entry.run = r;
        },
        async disconnect() {
          entry.disconnected = true;
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, made };
}

class Fake implements SubscriptionConsumer {
  updates: SubscriptionRoute[] = [];
  stopped: boolean[] = [];
  readonly sub: SubscriptionRoute;
  readonly member: GroupMember;
  constructor(sub: SubscriptionRoute, member: GroupMember) {
    this.sub = sub;
    this.member = member;
  }
  async start() {
    await this.member.run(async () => {});
  }
  update(sub: SubscriptionRoute) {
    this.updates.push(sub);
  }
  async stop(deleted: boolean) {
    this.stopped.push(deleted);
    await this.member.consumer.disconnect();
    return undefined;
  }
}

function supervisor(first: RoutingContract) {
  const { routing, publish } = follower(first);
  const { kafka, made } = fakeKafka();
  const created: Fake[] = [];
  const counts: number[] = [];
  const consumers = new SubscriptionConsumers<Fake>({
    kafka,
    routing,
    logger: createLogger({ write: () => {} }),
    mode: 'PUSH',
    label: 'test consumer',
    tuning: { sessionTimeoutMs: 20_000, partitionsConsumedConcurrently: (room) => room.partitions * 2 },
    accepts: (s) => Boolean(s.pushUrl),
    create(s, _room, member) {
      const f = new Fake(s, member);
      created.push(f);
      return f;
    },
    onCount: (n) => counts.push(n),
  });
  return { consumers, publish, made, created, counts };
}

describe('SubscriptionConsumers', () => {
  it('starts one consumer per accepted subscription of its mode, with the Kafka settings in one place', async () => {
    const { consumers, made, counts } = supervisor(
      contract(1, [sub('a'), sub('b', { mode: 'PULL', pushUrl: null }), sub('c', { pushUrl: null }), sub('d', { roomId: 'room_gone' })]),
    );
    await consumers.start();
    expect(consumers.ids()).toEqual(['a']);
    expect(made).toHaveLength(1);
    expect(made[0]?.config).toEqual({ groupId: 'g-a', allowAutoTopicCreation: false, sessionTimeout: 20_000, heartbeatInterval: 2000, maxWaitTimeInMs: 2000 });
    expect(made[0]?.subscribed).toEqual({ topics: ['t.urgent', 't'], fromBeginning: true });
    expect(made[0]?.run).toMatchObject({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 6 });
    expect(counts.at(-1)).toBe(1);
    await consumers.stop();
  });

  it('applies settings in place, restarts on a change of event type or FIFO, and says whether a stopped one was deleted', async () => {
    const { consumers, publish, created } = supervisor(contract(1, [sub('a'), sub('b'), sub('c')]));
    await consumers.start();
    publish(contract(2, [sub('a', { maxInFlight: 4 }), sub('b', { fifo: true }), sub('c', { status: 'ACTIVE', mode: 'PULL', pushUrl: null })]));
    await vi.waitFor(() => expect(created).toHaveLength(4));
    const [a, b, c, b2] = created;
    expect(a?.updates.map((s) => s.maxInFlight)).toEqual([4]);
    expect(a?.stopped).toEqual([]);
    expect(b?.stopped).toEqual([false]);
    expect(b2?.sub.fifo).toBe(true);
    expect(c?.stopped).toEqual([false]);
    publish(contract(3, [sub('b', { fifo: true })]));
    await vi.waitFor(() => expect(a?.stopped).toEqual([true]));
    expect(consumers.ids()).toEqual(['b']);
    await consumers.stop();
    expect(b2?.stopped).toEqual([false]);
  });

  it('keeps a disabled subscription stopped until the contract no longer lists it in its mode', async () => {
    const { consumers, publish, created } = supervisor(contract(1, [sub('a')]));
    await consumers.start();
    consumers.disable('a');
    await vi.waitFor(() => expect(consumers.ids()).toEqual([]));
    publish(contract(2, [sub('a', { maxInFlight: 2 })]));
    await new Promise((r) => setTimeout(r, 10));
    expect(consumers.ids()).toEqual([]);
    publish(contract(3, []));
    publish(contract(4, [sub('a')]));
    await vi.waitFor(() => expect(consumers.ids()).toEqual(['a']));
    expect(created).toHaveLength(2);
    await consumers.stop();
  });
});
