/**
 * Versions of the dependencies every process shares — PostgreSQL, Redis, Kafka, the schema
 * registry — sampled by the control plane only (one process is enough; they are the same for
 * all). Each answer is bounded in time; one that fails or is late is null, never an error.
 */
import type { PrismaClient } from '@roomcast/db';
import type { Kafka } from '@roomcast/kafka';
import type { Redis } from '@roomcast/redis';

const TIMEOUT_MS = 2_000;

function within<T>(p: Promise<T>): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), TIMEOUT_MS);
  });
  return Promise.race([p.catch(() => null), late]).finally(() => clearTimeout(timer));
}

/** The `redis_version` line of INFO server. */
export function redisVersionOf(info: string): string | null {
  return /^redis_version:(\S+)/m.exec(info)?.[1] ?? null;
}

/**
 * Where a registry tells its version: Apicurio's system info beside its Confluent-compatible
 * API (…/apis/ccompat/v7 → …/apis/registry/v3/system/info), otherwise Confluent's
 * /v1/metadata/version.
 */
export function registryVersionUrl(registryUrl: string): string {
  const at = registryUrl.indexOf('/apis/ccompat/');
  return at >= 0 ? `${registryUrl.slice(0, at)}/apis/registry/v3/system/info` : `${registryUrl.replace(/\/+$/, '')}/v1/metadata/version`;
}

export function dependencyVersions(o: { db: PrismaClient; redis: Redis; kafka: Kafka; registryUrl: string }): () => Promise<Record<string, unknown>> {
  const postgres = async () => {
    const rows = await o.db.$queryRaw<Array<{ server_version: string }>>`SHOW server_version`;
    return { version: rows[0]?.server_version ?? null };
  };
  const redis = async () => ({ version: redisVersionOf(await o.redis.info('server')) });
  const kafka = async () => {
    // The Kafka protocol names no release version; the cluster's id and size are what it tells.
    const admin = o.kafka.admin();
    await admin.connect();
    try {
      const c = await admin.describeCluster();
      return { version: null, clusterId: c.clusterId, brokers: c.brokers.length, controller: c.controller };
    } finally {
      await admin.disconnect();
    }
  };
  const registry = async () => {
    const res = await fetch(registryVersionUrl(o.registryUrl), { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!res.ok) return { version: null };
    const body = (await res.json()) as { version?: unknown; name?: unknown };
    return { version: typeof body.version === 'string' ? body.version : null, ...(typeof body.name === 'string' ? { name: body.name } : {}) };
  };
  return async () => {
    const [pg, rd, kf, rg] = await Promise.all([within(postgres()), within(redis()), within(kafka()), within(registry())]);
    return { postgres: pg, redis: rd, kafka: kf, registry: rg };
  };
}
