// Where the local infrastructure lives and how to reach it.
//
// Ports, folders and the environment overrides sit in this one module so the CLI, the
// in-process API (start/test scripts) and the compose test all agree on them. Local servers
// use non-default ports so they never collide with a developer's own Kafka/Postgres/Redis.
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const INFRA_SRC = join(ROOT, 'infra');
export const LOCAL = join(ROOT, '.local', 'infra');
export const HOST = '127.0.0.1';

/** Host ports of the local stack; infra/compose.yaml publishes the same ones. */
export const PORTS = {
  kafka: 19092,
  kafkaController: 19093,
  /** A second broker listener, SASL_SSL (PLAIN), for testing the production client settings. */
  kafkaSasl: 19094,
  registry: 18081,
  registryManagement: 19000,
  postgres: 15432,
  redis: 16379,
  prometheus: 19090,
  grafana: 13000,
} as const;

export const VERSIONS = {
  kafka: '4.3.1',
  registry: '3.3.3',
  postgres: '15',
  redis: '7',
} as const;

export const COMPONENT_NAMES = ['postgres', 'redis', 'kafka', 'registry', 'prometheus'] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];

export function isComponentName(s: string): s is ComponentName {
  return (COMPONENT_NAMES as readonly string[]).includes(s);
}

/** Credentials of the local broker's SASL_SSL listener (a local test stack, not a secret). */
export const KAFKA_SASL_USER = { username: 'roomcast', password: 'roomcast-local-sasl' } as const;

/** Folder holding one component's data, logs and pid file. */
export function componentDir(name: ComponentName): string {
  return join(LOCAL, name);
}

export type InfraEndpoints = {
  kafkaBrokers: string[];
  registryUrl: string;
  databaseUrl: string;
  redisUrl: string;
  prometheusUrl: string;
};

/** Environment variable that points a component at existing infrastructure instead. */
export const ENV_VARS: Record<ComponentName, string> = {
  kafka: 'ROOMCAST_KAFKA_BROKERS',
  registry: 'ROOMCAST_REGISTRY_URL',
  postgres: 'ROOMCAST_DATABASE_URL',
  redis: 'ROOMCAST_REDIS_URL',
  prometheus: 'ROOMCAST_PROMETHEUS_URL',
};

export const DEFAULT_ENDPOINTS: InfraEndpoints = {
  kafkaBrokers: [`${HOST}:${PORTS.kafka}`],
  registryUrl: `http://${HOST}:${PORTS.registry}/apis/ccompat/v7`,
  databaseUrl: `postgresql://roomcast:roomcast@${HOST}:${PORTS.postgres}/roomcast`,
  redisUrl: `redis://${HOST}:${PORTS.redis}`,
  prometheusUrl: `http://${HOST}:${PORTS.prometheus}`,
};

/** True when the environment names existing infrastructure for this component. */
export function isExternal(name: ComponentName, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env[ENV_VARS[name]]?.trim());
}

export function infraEndpoints(env: NodeJS.ProcessEnv = process.env): InfraEndpoints {
  const pick = (name: ComponentName, fallback: string): string => env[ENV_VARS[name]]?.trim() || fallback;
  const brokers = pick('kafka', DEFAULT_ENDPOINTS.kafkaBrokers.join(','));
  return {
    kafkaBrokers: brokers.split(',').map((b) => b.trim()).filter(Boolean),
    registryUrl: pick('registry', DEFAULT_ENDPOINTS.registryUrl).replace(/\/+$/, ''),
    databaseUrl: pick('postgres', DEFAULT_ENDPOINTS.databaseUrl),
    redisUrl: pick('redis', DEFAULT_ENDPOINTS.redisUrl),
    prometheusUrl: pick('prometheus', DEFAULT_ENDPOINTS.prometheusUrl).replace(/\/+$/, ''),
  };
}

/** Splits "host:port" (or a URL's authority) with a default port. */
export function hostPort(authority: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(authority);
  return { host: m?.[1] ?? HOST, port: m?.[2] ? Number(m[2]) : defaultPort };
}
