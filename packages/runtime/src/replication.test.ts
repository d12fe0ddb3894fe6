import { describe, expect, it } from 'vitest';
import { defaultMinInsyncReplicas, replicationSettingsProblems, resolveReplication, topicReplicationFor } from './replication.ts';

describe('topic replication defaults', () => {
  it('follows the cluster when unset: 3 / 2 on three brokers or more, 1 / 1 below', () => {
    expect(resolveReplication({}, 1)).toEqual({ ok: true, value: { replicationFactor: 1, minInsyncReplicas: 1 } });
    expect(resolveReplication({}, 2)).toEqual({ ok: true, value: { replicationFactor: 1, minInsyncReplicas: 1 } });
    expect(resolveReplication({}, 3)).toEqual({ ok: true, value: { replicationFactor: 3, minInsyncReplicas: 2 } });
    expect(resolveReplication({}, 7)).toEqual({ ok: true, value: { replicationFactor: 3, minInsyncReplicas: 2 } });
  });

  it('derives min ISR from an explicit factor: one copy fewer, between 1 and 2', () => {
    expect([1, 2, 3, 4, 5].map(defaultMinInsyncReplicas)).toEqual([1, 1, 2, 2, 2]);
    expect(resolveReplication({ replicationFactor: 2 }, 3)).toEqual({ ok: true, value: { replicationFactor: 2, minInsyncReplicas: 1 } });
    expect(resolveReplication({ replicationFactor: 5 }, 5)).toEqual({ ok: true, value: { replicationFactor: 5, minInsyncReplicas: 2 } });
  });

  it('keeps explicit values that fit', () => {
    expect(resolveReplication({ replicationFactor: 3, minInsyncReplicas: 3 }, 3)).toEqual({ ok: true, value: { replicationFactor: 3, minInsyncReplicas: 3 } });
    expect(resolveReplication({ minInsyncReplicas: 1 }, 3)).toEqual({ ok: true, value: { replicationFactor: 3, minInsyncReplicas: 1 } });
  });
});

describe('topic replication validation', () => {
  it('refuses a factor above the number of brokers, naming the setting', () => {
    const r = resolveReplication({ replicationFactor: 3 }, 1);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems).toEqual([expect.stringContaining('ROOMCAST_TOPIC_REPLICATION_FACTOR=3 needs at least 3 brokers, but the Kafka cluster has 1')]);
  });

  it('refuses min ISR above an explicit factor without asking the cluster', () => {
    expect(replicationSettingsProblems({ replicationFactor: 2, minInsyncReplicas: 3 })).toEqual([expect.stringContaining('ROOMCAST_TOPIC_MIN_INSYNC_REPLICAS=3 is above ROOMCAST_TOPIC_REPLICATION_FACTOR=2')]);
    expect(replicationSettingsProblems({ replicationFactor: 3, minInsyncReplicas: 3 })).toEqual([]);
    expect(replicationSettingsProblems({ minInsyncReplicas: 3 })).toEqual([]);
  });

  it('refuses min ISR above the factor the cluster size gives', () => {
    const r = resolveReplication({ minInsyncReplicas: 2 }, 1);
    expect(!r.ok && r.problems).toEqual([expect.stringContaining('ROOMCAST_TOPIC_MIN_INSYNC_REPLICAS=2 is above the replication factor 1 used for a cluster of 1 broker')]);
  });

  it('reports every problem at once', () => {
    const r = resolveReplication({ replicationFactor: 4, minInsyncReplicas: 5 }, 3);
    expect(!r.ok && r.problems).toHaveLength(2);
  });

  it('throws the problems when topics are created with settings that do not fit', () => {
    expect(() => topicReplicationFor({ replicationFactor: 3 })(2)).toThrow(/ROOMCAST_TOPIC_REPLICATION_FACTOR=3 needs at least 3 brokers/);
    expect(topicReplicationFor({})(3)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
  });
});
