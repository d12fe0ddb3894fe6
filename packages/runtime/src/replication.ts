/**
 * How many copies of each topic Roomcast keeps: the replication factor and min.insync.replicas
 * it creates room and internal topics with (ROOMCAST_TOPIC_REPLICATION_FACTOR and
 * ROOMCAST_TOPIC_MIN_INSYNC_REPLICAS). Unset, they follow the cluster: RF 3 / min ISR 2 on three
 * brokers or more — one broker may fail without losing an acknowledged record or refusing
 * writes — and 1 / 1 on a smaller cluster. The producer writes with acks=all, so a record is
 * acknowledged only once min ISR replicas hold it; below that Kafka refuses the write and the
 * ingress answers 503.
 */

export interface ReplicationSettings {
  replicationFactor?: number | undefined;
  minInsyncReplicas?: number | undefined;
}

export interface TopicReplication {
  replicationFactor: number;
  minInsyncReplicas: number;
}

export const RF_SETTING = 'ROOMCAST_TOPIC_REPLICATION_FACTOR';
export const MIN_ISR_SETTING = 'ROOMCAST_TOPIC_MIN_INSYNC_REPLICAS';

/** The replication factor used when none is set: 3 on a cluster of at least three brokers, else 1. */
export function defaultReplicationFactor(brokers: number): number {
  return brokers >= 3 ? 3 : 1;
}

/** min.insync.replicas used when none is set: one copy fewer than the factor, at least 1 and at most 2. */
export function defaultMinInsyncReplicas(replicationFactor: number): number {
  return Math.max(1, Math.min(2, replicationFactor - 1));
}

/** Problems of the settings on their own (no cluster needed): min ISR above an explicit factor. */
export function replicationSettingsProblems(s: ReplicationSettings): string[] {
  if (s.replicationFactor !== undefined && s.minInsyncReplicas !== undefined && s.minInsyncReplicas > s.replicationFactor) {
    return [
      `${MIN_ISR_SETTING}=${s.minInsyncReplicas} is above ${RF_SETTING}=${s.replicationFactor}: no write could ever be acknowledged. Lower ${MIN_ISR_SETTING} (or unset it: one less than the replication factor, at most 2).`,
    ];
  }
  return [];
}

/** The settings applied to a cluster of `brokers` brokers, or every reason they cannot be. */
export function resolveReplication(s: ReplicationSettings, brokers: number): { ok: true; value: TopicReplication } | { ok: false; problems: string[] } {
  const problems = replicationSettingsProblems(s);
  const replicationFactor = s.replicationFactor ?? defaultReplicationFactor(brokers);
  const minInsyncReplicas = s.minInsyncReplicas ?? defaultMinInsyncReplicas(replicationFactor);
  if (replicationFactor > brokers) {
    problems.push(
      `${RF_SETTING}=${replicationFactor} needs at least ${replicationFactor} brokers, but the Kafka cluster has ${brokers}: topics could not be created. Lower ${RF_SETTING} (or unset it to follow the cluster), or add brokers.`,
    );
  }
  if (s.replicationFactor === undefined && minInsyncReplicas > replicationFactor) {
    problems.push(
      `${MIN_ISR_SETTING}=${minInsyncReplicas} is above the replication factor ${replicationFactor} used for a cluster of ${brokers} broker${brokers === 1 ? '' : 's'}: no write could ever be acknowledged. Lower ${MIN_ISR_SETTING}, or set ${RF_SETTING}.`,
    );
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: { replicationFactor, minInsyncReplicas } };
}

/** resolveReplication for topic creation: throws with every problem when the settings do not fit. */
export function topicReplicationFor(s: ReplicationSettings): (brokers: number) => TopicReplication {
  return (brokers) => {
    const r = resolveReplication(s, brokers);
    if (!r.ok) throw Object.assign(new Error(r.problems.join(' ')), { name: 'ReplicationError' });
    return r.value;
  };
}
