/**
 * Builds the connections every Roomcast process shares — Kafka, Redis, the schema registry,
 * a metrics registry and the readiness checks over them — from already-validated settings,
 * and closes them in reverse order on shutdown.
 */
import type { Logger } from '@roomcast/core';
import { readFileSync } from 'node:fs';
import { createKafka, type Kafka, type KafkaNames, type KafkaSecurity, kafkaConnections, kafkaNames, probeKafka } from '@roomcast/kafka';
import { createRedis, type KeyUsage, keyUsage, probeRedis, type Redis, type RedisKeys, redisKeys } from '@roomcast/redis';
import { createRegistry, type Registry as SchemaRegistry } from '@roomcast/registry';
import { type ContractKeys, contractKeys, DEVELOPMENT_ROUTING_KEY, followContract, type RoutingFollower } from '@roomcast/routing';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { type ReplicationSettings, replicationSettingsProblems, topicReplicationFor } from './replication.ts';
import { STOP_MESSAGE } from './workers.ts';

export interface RuntimeSettings {
  kafkaBrokers: string[];
  registryUrl: string;
  redisUrl: string;
  namePrefix: string;
  clientId: string;
  /** Signs (the first) and verifies (all) the routing contract. */
  routingKeys: Buffer[];
  registryAuth?: RegistryAuth | undefined;
  kafkaSecurity?: KafkaSecurity | undefined;
  /** Replication of the topics this process creates (replication.ts); unset settings follow the cluster. */
  replication?: ReplicationSettings | undefined;
}

type ReplicationConfig = { ROOMCAST_TOPIC_REPLICATION_FACTOR?: number | undefined; ROOMCAST_TOPIC_MIN_INSYNC_REPLICAS?: number | undefined };

/** The replication settings from the config, or a ConfigError when min ISR exceeds the factor. */
export function replicationOf(config: ReplicationConfig): ReplicationSettings {
  const settings = { replicationFactor: config.ROOMCAST_TOPIC_REPLICATION_FACTOR, minInsyncReplicas: config.ROOMCAST_TOPIC_MIN_INSYNC_REPLICAS };
  const problems = replicationSettingsProblems(settings);
  if (problems.length > 0) throw Object.assign(new Error(`Invalid configuration (${problems.length} problem):\n- ${problems.join('\n- ')}`), { name: 'ConfigError' });
  return settings;
}

type KafkaSecurityConfig = {
  ROOMCAST_KAFKA_TLS?: boolean | undefined;
  ROOMCAST_KAFKA_TLS_CA_FILE?: string | undefined;
  ROOMCAST_KAFKA_SASL_MECHANISM?: string | undefined;
  ROOMCAST_KAFKA_SASL_USERNAME?: string | undefined;
  ROOMCAST_KAFKA_SASL_PASSWORD?: string | undefined;
};

/** TLS and SASL for Kafka from the config (the CA file is read here), or a ConfigError when half set. */
export function kafkaSecurityOf(config: KafkaSecurityConfig): KafkaSecurity | undefined {
  const problem = (m: string) => Object.assign(new Error(m), { name: 'ConfigError' });
  const out: KafkaSecurity = {};
  if (config.ROOMCAST_KAFKA_TLS || config.ROOMCAST_KAFKA_TLS_CA_FILE) {
    let ca: string | undefined;
    if (config.ROOMCAST_KAFKA_TLS_CA_FILE) {
      try {
        ca = readFileSync(config.ROOMCAST_KAFKA_TLS_CA_FILE, 'utf8');
      } catch (err) {
        throw problem(`ROOMCAST_KAFKA_TLS_CA_FILE=${config.ROOMCAST_KAFKA_TLS_CA_FILE} cannot be read: ${(err as Error).message}`);
      }
    }
    out.tls = ca ? { ca } : {};
  }
  const { ROOMCAST_KAFKA_SASL_MECHANISM: mechanism, ROOMCAST_KAFKA_SASL_USERNAME: username, ROOMCAST_KAFKA_SASL_PASSWORD: password } = config;
  if (mechanism || username || password) {
    if (!mechanism || !username || !password) throw problem('ROOMCAST_KAFKA_SASL_MECHANISM, ROOMCAST_KAFKA_SASL_USERNAME and ROOMCAST_KAFKA_SASL_PASSWORD go together');
    out.sasl = { mechanism: mechanism as NonNullable<KafkaSecurity['sasl']>['mechanism'], username, password };
  }
  return out.tls || out.sasl ? out : undefined;
}

export type RegistryAuth = { username: string; password: string } | { token: string };

/** The registry's credentials from the config, or a ConfigError when they are half set. */
export function registryAuthOf(config: { ROOMCAST_REGISTRY_USERNAME?: string | undefined; ROOMCAST_REGISTRY_PASSWORD?: string | undefined; ROOMCAST_REGISTRY_TOKEN?: string | undefined }): RegistryAuth | undefined {
  const { ROOMCAST_REGISTRY_USERNAME: username, ROOMCAST_REGISTRY_PASSWORD: password, ROOMCAST_REGISTRY_TOKEN: token } = config;
  const problem = (m: string) => Object.assign(new Error(m), { name: 'ConfigError' });
  if (token && (username || password)) throw problem('Set either ROOMCAST_REGISTRY_TOKEN or ROOMCAST_REGISTRY_USERNAME/ROOMCAST_REGISTRY_PASSWORD, not both');
  if (token) return { token };
  if (username || password) {
    if (!username || !password) throw problem('ROOMCAST_REGISTRY_USERNAME and ROOMCAST_REGISTRY_PASSWORD go together');
    return { username, password };
  }
  return undefined;
}

export interface Runtime {
  logger: Logger;
  kafka: Kafka;
  redis: Redis;
  registry: SchemaRegistry;
  names: KafkaNames;
  keys: RedisKeys;
  /** Records API-key use (throttled) for the control plane's key lists. */
  keyUsage: KeyUsage;
  metrics: Registry;
  /** The routing contract's signing keys (packages/routing/src/signing.ts). */
  contractKeys: ContractKeys;
  checks: Record<string, () => Promise<void>>;
  onClose(fn: () => Promise<void>): void;
  close(): Promise<void>;
}

const METRIC_PREFIX = 'roomcast_';
const SUMMED_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * The process's metrics registry with prom-client's default process and Node.js metrics, minus
 * the three gauges it names `*_total` (`roomcast_nodejs_active_{handles,requests,resources}_total`),
 * which `promtool check metrics` refuses: a gauge must not look like a counter. They only add up
 * the by-type gauges of the same name without the suffix, so `sum(roomcast_nodejs_active_handles)`
 * gives the same count. It adds `roomcast_kafka_connections`.
 */
export function processMetrics(): Registry {
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: METRIC_PREFIX });
  for (const name of SUMMED_GAUGES) metrics.removeSingleMetric(`${METRIC_PREFIX}${name}`);
  new Gauge({
    name: `${METRIC_PREFIX}kafka_connections`,
    help: 'TCP connections to Kafka brokers open in this process (producers, consumers, admin clients)',
    registers: [metrics],
    collect() {
      this.set(kafkaConnections());
    },
  });
  return metrics;
}

export function createRuntime(settings: RuntimeSettings, logger: Logger): Runtime {
  const kafka = createKafka({
    brokers: settings.kafkaBrokers,
    clientId: settings.clientId,
    logger,
    security: settings.kafkaSecurity,
    topicReplicas: topicReplicationFor(settings.replication ?? {}),
  });
  const redis = createRedis({ url: settings.redisUrl });
  redis.on('error', (err) => logger.warn('redis connection error', { error: err }));
  const registry = createRegistry({ url: settings.registryUrl, auth: settings.registryAuth });
  const metrics = processMetrics();
  const closers: Array<() => Promise<void>> = [async () => void (await redis.quit().catch(() => redis.disconnect()))];
  const keys = redisKeys(settings.namePrefix);

  return {
    logger,
    kafka,
    redis,
    registry,
    names: kafkaNames(settings.namePrefix),
    keys,
    keyUsage: keyUsage(redis, keys, { onError: (err) => logger.warn('API key use not recorded', { error: err }) }),
    metrics,
    contractKeys: contractKeys(settings.routingKeys[0] ?? DEVELOPMENT_ROUTING_KEY, settings.routingKeys.slice(1)),
    checks: {
      kafka: () => probeKafka(kafka),
      registry: () => registry.probe(),
      redis: () => probeRedis(redis),
    },
    onClose: (fn) => void closers.push(fn),
    async close() {
      for (const fn of closers.reverse()) {
        await fn().catch((err: unknown) => logger.warn('shutdown step failed', { error: err }));
      }
    },
  };
}

/**
 * Runs `stop` once on SIGINT/SIGTERM; a second signal, or a stop that outlasts `graceMs`
 * (e.g. a consumer group stuck in a rebalance), exits at once. Uncommitted offsets are safe
 * to abandon: their records are delivered again after the restart.
 */
export function stopOnSignals(stop: () => Promise<void>, logger: Logger, graceMs = 20_000): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) {
      // A second signal exits at once; the primary's stop request (below) never forces.
      if (signal === 'primary') return;
      process.exit(1);
    }
    stopping = true;
    logger.info('shutting down', { signal });
    setTimeout(() => {
      logger.error('shutdown took too long; exiting', { graceMs });
      process.exit(1);
    }, graceMs).unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('shutdown failed', { error: err });
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => handler('SIGINT'));
  process.once('SIGTERM', () => handler('SIGTERM'));
  // A worker of runWorkers (workers.ts) is stopped by its primary over IPC.
  if (process.send) process.on('message', (m: unknown) => m === STOP_MESSAGE && handler('primary'));
}

/** Runs a composition root; a configuration error prints its list of problems and exits 2. */
export async function runMain(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof Error && err.name === 'ConfigError') {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    // A dependency that cannot be reached at start (preflight.ts): one line each, no stack.
    if (err instanceof Error && err.name === 'DependencyError') {
      process.stderr.write(`${err.message}\n`);
      process.exit(3);
    }
    throw err;
  }
}

/** Settings for createRuntime from the common config. */
export function runtimeSettings(
  config: {
    ROOMCAST_KAFKA_BROKERS: string[];
    ROOMCAST_REGISTRY_URL: string;
    ROOMCAST_REDIS_URL: string;
    ROOMCAST_NAME_PREFIX: string;
    ROOMCAST_DEV_MODE: boolean;
    ROOMCAST_ROUTING_KEY?: string | undefined;
    ROOMCAST_PREVIOUS_ROUTING_KEYS?: string | undefined;
    ROOMCAST_REGISTRY_USERNAME?: string | undefined;
    ROOMCAST_REGISTRY_PASSWORD?: string | undefined;
    ROOMCAST_REGISTRY_TOKEN?: string | undefined;
  } & KafkaSecurityConfig &
    ReplicationConfig,
  clientId: string,
): RuntimeSettings {
  return {
    kafkaBrokers: config.ROOMCAST_KAFKA_BROKERS,
    registryUrl: config.ROOMCAST_REGISTRY_URL,
    redisUrl: config.ROOMCAST_REDIS_URL,
    namePrefix: config.ROOMCAST_NAME_PREFIX,
    clientId,
    routingKeys: routingKeysOf(config),
    registryAuth: registryAuthOf(config),
    kafkaSecurity: kafkaSecurityOf(config),
    replication: replicationOf(config),
  };
}

/**
 * The routing contract's keys: ROOMCAST_ROUTING_KEY, then the previous ones. Without a key,
 * development mode signs with a well-known key (which protects nothing) and production refuses
 * to start: an unsigned contract would let a write to Redis grant access.
 */
export function routingKeysOf(config: { ROOMCAST_DEV_MODE: boolean; ROOMCAST_ROUTING_KEY?: string | undefined; ROOMCAST_PREVIOUS_ROUTING_KEYS?: string | undefined }): Buffer[] {
  const previous = (config.ROOMCAST_PREVIOUS_ROUTING_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '')
    .map((k) => Buffer.from(k, 'base64'));
  if (config.ROOMCAST_ROUTING_KEY) return [Buffer.from(config.ROOMCAST_ROUTING_KEY, 'base64'), ...previous];
  if (config.ROOMCAST_DEV_MODE) return [DEVELOPMENT_ROUTING_KEY, ...previous];
  throw Object.assign(
    new Error('ROOMCAST_ROUTING_KEY is required outside development mode: the same 32-byte base64 key on the control plane and every data-plane process signs the routing contract (openssl rand -base64 32)'),
    { name: 'ConfigError' },
  );
}

/** Follows the signed routing contract, counting refused (unverifiable) contracts in the metrics. */
export function followRouting(runtime: Runtime, logger: Logger): Promise<RoutingFollower> {
  const refused = new Counter({
    name: 'roomcast_routing_contract_refused_total',
    help: 'Routing contracts read from Redis whose signature did not verify (kept out; the process routes with the previous one)',
    registers: [runtime.metrics],
  });
  return followContract({ redis: runtime.redis, keys: runtime.keys, logger, signing: runtime.contractKeys, onRefused: () => refused.inc() });
}

/** Exports the routing-contract generation a process holds, so operators see stragglers. */
export function exportRoutingGeneration(metrics: Registry, routing: { current(): { contract: { generation: number } } }): void {
  new Gauge({
    name: 'roomcast_routing_generation',
    help: 'Generation of the routing contract this process routes with',
    registers: [metrics],
    // Across the workers of one service (workers.ts): the oldest generation any of them holds.
    aggregator: 'min',
    collect() {
      this.set(routing.current().contract.generation);
    },
  });
}
