import type { Kafka } from '@roomcast/kafka';
import type { PullStore } from '@roomcast/pull';
import type { RoomRoute, SubscriptionRoute } from '@roomcast/routing';
import { describe, expect, it } from 'vitest';
import { type BacklogAdmin, readBacklogPage } from './backlog.ts';

// The budget logic with an admin that answers for one group and never for another: the page
// still comes back within the budget, the silent group marked incomplete.
const room = { id: 'room_1', topic: 'rooms.a', urgentTopic: 'rooms.a.urgent' } as RoomRoute;
const sub = (id: string): SubscriptionRoute => ({ id, roomId: room.id, group: `g.${id}`, mode: 'PUSH' }) as SubscriptionRoute;

const admin: BacklogAdmin = {
  fetchTopicOffsets: async () => [{ partition: 0, offset: '10', high: '10', low: '0' }],
  fetchOffsets: ({ groupId, topics }) =>
    groupId === 'g.slow' ? new Promise(() => {}) : Promise.resolve(topics.map((topic) => ({ topic, partitions: [{ partition: 0, offset: topic.endsWith('urgent') ? '10' : '7' }] }))),
};

describe('backlog page', () => {
  it('answers within the budget and marks a subscription it could not read as incomplete', async () => {
    const started = Date.now();
    const page = await readBacklogPage([sub('fast'), sub('slow')], {
      // No cluster to open a reader on: the oldest age of a lagging partition stays unknown.
      kafka: {} as Kafka,
      admin,
      pull: {} as PullStore,
      rooms: new Map([[room.id, room]]),
      deadline: Date.now() + 300,
      concurrency: 2,
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(page[0]).toMatchObject({ lag: 3, complete: false, oldestUndeliveredAt: null });
    expect(page[0]?.partitions).toEqual([
      { lane: 'urgent', partition: 0, committed: '10', end: '10', lag: 0 },
      { lane: 'normal', partition: 0, committed: '7', end: '10', lag: 3 },
    ]);
    expect(page[1]).toEqual({ lag: null, partitions: [], queue: null, oldestUndeliveredAt: null, complete: false });
  });

  it('costs one offset fetch per group and one end-offset lookup per topic, whatever the page holds', async () => {
    const calls = { ends: 0, groups: 0 };
    const counting: BacklogAdmin = {
      fetchTopicOffsets: async (topic) => {
        calls.ends++;
        return admin.fetchTopicOffsets(topic);
      },
      fetchOffsets: async ({ topics }) => {
        calls.groups++;
        return topics.map((topic) => ({ topic, partitions: [{ partition: 0, offset: '10' }] }));
      },
    };
    const subs = Array.from({ length: 100 }, (_, i) => sub(`s${i}`));
    const page = await readBacklogPage(subs, { kafka: {} as Kafka, admin: counting, pull: {} as PullStore, rooms: new Map([[room.id, room]]), deadline: Date.now() + 2000, concurrency: 8 });
    expect(calls).toEqual({ ends: 2, groups: 100 });
    expect(page.every((b) => b.complete && b.lag === 0)).toBe(true);
  });
});
