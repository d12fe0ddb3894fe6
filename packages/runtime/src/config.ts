/**
 * Settings shared by every Roomcast process, and the groups several services include (master
 * keys, the control-plane database). Each service declares its own settings in its
 * `src/config.ts` and the composition root (`main.ts`) loads both from the environment once. `.env.example` is generated
 * from these specs (scripts/env-example.ts), so help texts double as documentation.
 */
import { type ConfigOf, type ConfigSpec, type MasterKey, masterKey, masterKeyProblem, parseClientId, portCheck, postgresUrlCheck } from '@roomcast/core';

const DAY_MS = 24 * 60 * 60 * 1000;

export const commonConfigSpec = {
  ROOMCAST_HOST: { kind: 'string', default: '127.0.0.1', help: 'Address the HTTP server listens on.' },
  ROOMCAST_PORT: { kind: 'int', default: '8080', check: portCheck, help: 'HTTP port (0 picks a free one).' },
  ROOMCAST_MONITORING_CLIENTS: {
    kind: 'list',
    optional: true,
    check: (v) => {
      const bad = v.filter((c) => parseClientId(c) === undefined);
      return bad.length > 0 ? `${bad.join(', ')}: use INSTANCE/CLASS/MEMBER/APPLICATION client ids` : undefined;
    },
    help: 'Client ids (INSTANCE/CLASS/MEMBER/APPLICATION, comma separated) of the central monitoring applications: their keys read the monitoring APIs (/api/v1/monitoring/environment…, /api/v1/monitoring/operational/…) as fully as the central admin, and nothing else of a central admin\'s. Unset: only the central admin sees everything.',
  },
  ROOMCAST_LOG_LEVEL: {
    kind: 'string',
    default: 'info',
    check: (v) => (['debug', 'info', 'warn', 'error', 'silent'].includes(v) ? undefined : 'must be debug, info, warn, error or silent'),
    help: 'Log level of the JSON logs on stdout.',
  },
  ROOMCAST_KAFKA_BROKERS: {
    kind: 'list',
    default: '127.0.0.1:19092',
    check: (v) => (v.every((b) => /^[^:\s]+:\d+$/.test(b)) ? undefined : 'each broker must be host:port'),
    help: 'Comma-separated Kafka bootstrap brokers (host:port). `npm run infra -- up` starts one on 127.0.0.1:19092.',
  },
  ROOMCAST_KAFKA_TLS: { kind: 'bool', default: 'false', help: 'Connect to the brokers over TLS (their SSL or SASL_SSL listener).' },
  ROOMCAST_KAFKA_TLS_CA_FILE: { kind: 'string', optional: true, help: "PEM CA certificate(s) to trust for the brokers' TLS certificates instead of the system's (implies ROOMCAST_KAFKA_TLS)." },
  ROOMCAST_KAFKA_SASL_MECHANISM: {
    kind: 'string',
    optional: true,
    check: (v) => (['plain', 'scram-sha-256', 'scram-sha-512'].includes(v) ? undefined : 'must be plain, scram-sha-256 or scram-sha-512'),
    help: 'SASL mechanism for the brokers (with ROOMCAST_KAFKA_SASL_USERNAME and _PASSWORD); use it with TLS so the password is not sent in clear.',
  },
  ROOMCAST_KAFKA_SASL_USERNAME: { kind: 'string', optional: true, help: 'SASL user for the brokers.' },
  ROOMCAST_KAFKA_SASL_PASSWORD: { kind: 'secret', optional: true, help: 'SASL password for the brokers.' },
  ROOMCAST_REGISTRY_URL: {
    kind: 'url',
    default: 'http://127.0.0.1:18081/apis/ccompat/v7',
    help: 'Base URL of a Confluent-compatible schema registry, including any path prefix.',
  },
  ROOMCAST_REGISTRY_USERNAME: { kind: 'string', optional: true, help: 'Basic-auth user of the schema registry (with ROOMCAST_REGISTRY_PASSWORD).' },
  ROOMCAST_REGISTRY_PASSWORD: { kind: 'secret', optional: true, help: 'Basic-auth password of the schema registry.' },
  ROOMCAST_REGISTRY_TOKEN: { kind: 'secret', optional: true, help: 'Bearer token for the schema registry (an OIDC access token or API key); instead of the user and password.' },
  ROOMCAST_REDIS_URL: {
    kind: 'url',
    default: 'redis://127.0.0.1:16379',
    check: (v) => (/^rediss?:\/\//i.test(v) ? undefined : 'must be a redis:// or rediss:// (TLS) URL'),
    help: 'Redis URL: redis://[user:password@]host:port[/db] (an ACL user and its password), or rediss://… for TLS.',
  },
  ROOMCAST_NAME_PREFIX: {
    kind: 'string',
    default: 'rc',
    check: (v) => (/^[A-Za-z0-9_-]{1,40}$/.test(v) ? undefined : 'use 1-40 letters, digits, _ or -'),
    help: 'Prefix of every Kafka topic, consumer group and Redis key, so several deployments can share a cluster.',
  },
  ROOMCAST_DEFAULT_PARTITIONS: {
    kind: 'int',
    default: '3',
    check: (v) => (v >= 1 && v <= 1000 ? undefined : 'must be between 1 and 1000'),
    help: 'Partitions of the topics a process creates: a new room topic (control plane; more partitions = more delivery parallelism), the dead-letter and delivery-log topics (dispatcher, log sink).',
  },
  ROOMCAST_TOPIC_REPLICATION_FACTOR: {
    kind: 'int',
    optional: true,
    check: (v) => (v >= 1 && v <= 32 ? undefined : 'must be between 1 and 32'),
    help: 'Replication factor of the topics Roomcast creates (room topics, urgent lanes, dead letters, delivery log, pull feeds). Unset: 3 when the cluster has at least 3 brokers, else 1. Checked against the cluster at start: more than its brokers stops the process.',
  },
  ROOMCAST_TOPIC_MIN_INSYNC_REPLICAS: {
    kind: 'int',
    optional: true,
    check: (v) => (v >= 1 && v <= 32 ? undefined : 'must be between 1 and 32'),
    help: 'min.insync.replicas of the topics Roomcast creates: replicas that must hold a publish (acks=all) before it is acknowledged; with fewer in sync, publishes answer 503. Unset: one less than the replication factor, between 1 and 2 (2 for the default factor 3). Must not exceed the replication factor.',
  },
  ROOMCAST_TOPIC_RETENTION_MS: {
    kind: 'int',
    default: String(7 * DAY_MS),
    check: (v) => (v >= DAY_MS ? undefined : 'must be at least one day (86400000) so the 24 h retry window fits'),
    help: 'Retention of room topics in milliseconds.',
  },
  ROOMCAST_METRICS_TOKEN: {
    kind: 'secret',
    optional: true,
    check: (v) => (v.length >= 16 ? undefined : 'must be at least 16 characters'),
    help: 'Bearer token Prometheus must present to read /metrics (scrape config `authorization: {credentials_file: …}`). Unset: /metrics is open — keep it on a private network then. Generate one with `openssl rand -base64 32`.',
  },
  ROOMCAST_ROUTING_KEY: {
    kind: 'secret',
    optional: true,
    check: (v) => (Buffer.from(v, 'base64').length >= 32 ? undefined : 'must be at least 32 bytes, base64 (openssl rand -base64 32)'),
    help: 'Key (base64, 32 bytes or more) of the HMAC that signs the routing contract in Redis; the same on the control plane and every data-plane process, so a write to Redis cannot grant access. Required outside development mode.',
  },
  ROOMCAST_PREVIOUS_ROUTING_KEYS: {
    kind: 'secret',
    optional: true,
    check: (v) => (v.split(',').every((k) => k.trim() === '' || Buffer.from(k.trim(), 'base64').length >= 32) ? undefined : 'each key must be at least 32 bytes, base64'),
    help: 'Routing-key rotation: earlier keys (comma-separated base64) still accepted when verifying, never used to sign. Roll the new ROOMCAST_ROUTING_KEY out to the data plane first (with the old one here), then to the control plane.',
  },
  ROOMCAST_DEV_MODE: {
    kind: 'bool',
    default: 'false',
    help: 'Development mode: allows http:// and loopback push endpoints. Never enable in production.',
  },
  ROOMCAST_TLS_CERT_FILE: {
    kind: 'string',
    optional: true,
    help: 'PEM server certificate (with its chain) of an additional HTTPS listener on ROOMCAST_TLS_PORT; set together with ROOMCAST_TLS_KEY_FILE. Unset: HTTP only.',
  },
  ROOMCAST_TLS_KEY_FILE: { kind: 'string', optional: true, help: 'PEM private key of ROOMCAST_TLS_CERT_FILE.' },
  ROOMCAST_TLS_PORT: { kind: 'int', default: '8443', check: portCheck, help: 'HTTPS port, used when ROOMCAST_TLS_CERT_FILE is set (0 picks a free one).' },
  ROOMCAST_TLS_CLIENT_CA_FILE: {
    kind: 'string',
    optional: true,
    help: "PEM CA certificate(s) signing client certificates (mTLS). When set, the HTTPS listener asks for a client certificate; a verified one whose subject CN or URI SAN is an approved application's client id authenticates as that application.",
  },
  ROOMCAST_HEARTBEAT_INTERVAL_MS: {
    kind: 'int',
    default: '10000',
    check: (v) => (v >= 200 && v <= 300_000 ? undefined : 'must be between 200 and 300000'),
    help: 'How often (ms) the process refreshes its entry in the process registry (Redis), with its latest environment sample.',
  },
  ROOMCAST_PROCESS_TTL_MS: {
    kind: 'int',
    default: '35000',
    check: (v) => (v >= 1000 && v <= 3_600_000 ? undefined : 'must be between 1000 and 3600000'),
    help: 'How long (ms) a registry entry outlives its last heartbeat: a process killed without stopping disappears from the registry (and from Prometheus discovery) after this. At least twice ROOMCAST_HEARTBEAT_INTERVAL_MS.',
  },
  ROOMCAST_ENVIRONMENT_SAMPLE_INTERVAL_MS: {
    kind: 'int',
    default: '60000',
    check: (v) => (v >= 200 && v <= 3_600_000 ? undefined : 'must be between 200 and 3600000'),
    help: 'How often (ms) the process samples its environment (host, OS, CPU load, memory, disk, uptime, connections, versions) for the environmental monitoring API; the control plane keeps each sample.',
  },
  ROOMCAST_DATA_DIR: { kind: 'string', optional: true, help: 'Directory whose file system the environment samples report (free and total bytes); default the working directory.' },
  ROOMCAST_ADVERTISE_URL: {
    kind: 'url',
    optional: true,
    help: 'The URL other processes and Prometheus reach this process at (its registry entry and discovery target); default the listening address, with the host name for a wildcard address (0.0.0.0).',
  },
} satisfies ConfigSpec;

const KEY_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

/** Previous master keys: `id:base64` pairs, comma-separated. */
function previousKeysProblem(v: string): string | undefined {
  for (const pair of v.split(',').filter((p) => p.trim() !== '')) {
    const [id, key, extra] = pair.trim().split(':');
    if (!id || !KEY_ID_RE.test(id) || key === undefined || extra !== undefined) return 'must be comma-separated id:base64 pairs';
    const problem = masterKeyProblem(key);
    if (problem) return `key ${id} ${problem}`;
  }
  return undefined;
}

/**
 * Encryption of classified payloads: the control plane wraps room data keys with the master key,
 * the ingress and the dispatcher unwrap them. Every process that handles classified events needs
 * the same keys. Optional: without one, classified event types cannot be created.
 */
export const encryptionConfigSpec = {
  ROOMCAST_MASTER_KEY: {
    kind: 'secret',
    optional: true,
    check: (v) => masterKeyProblem(v),
    help: 'Master key (32 bytes, base64) wrapping the per-room data keys that encrypt PHI, PII and CONFIDENTIAL payloads; required before such an event type can exist. Generate one with `openssl rand -base64 32`; `npm start` keeps one in .local/demo.',
  },
  ROOMCAST_MASTER_KEY_ID: {
    kind: 'string',
    default: 'mk1',
    check: (v) => (KEY_ID_RE.test(v) ? undefined : 'use 1-64 letters, digits, ., _ or -'),
    help: 'Id of ROOMCAST_MASTER_KEY, recorded with every data key it wraps. Give a new master key a new id.',
  },
  ROOMCAST_PREVIOUS_MASTER_KEYS: {
    kind: 'secret',
    optional: true,
    check: previousKeysProblem,
    help: 'Master-key rotation: earlier master keys as comma-separated id:base64 pairs. They only unwrap; the control plane re-wraps their data keys under ROOMCAST_MASTER_KEY at start (Kafka is not touched).',
  },
} satisfies ConfigSpec;

/** The configured master keys: the current one first, then previous ones (empty when none). */
export function masterKeysOf(config: ConfigOf<typeof encryptionConfigSpec>): MasterKey[] {
  if (!config.ROOMCAST_MASTER_KEY) return [];
  const previous = (config.ROOMCAST_PREVIOUS_MASTER_KEYS ?? '')
    .split(',')
    .filter((p) => p.trim() !== '')
    .map((p) => {
      const [id = '', key = ''] = p.trim().split(':');
      return masterKey(id, key);
    });
  return [masterKey(config.ROOMCAST_MASTER_KEY_ID, config.ROOMCAST_MASTER_KEY), ...previous.filter((m) => m.id !== config.ROOMCAST_MASTER_KEY_ID)];
}

export const databaseConfigSpec = {
  ROOMCAST_DATABASE_URL: {
    kind: 'url',
    default: 'postgresql://roomcast:roomcast@127.0.0.1:15432/roomcast',
    check: postgresUrlCheck,
    help: 'PostgreSQL URL of the control-plane database (postgresql://user:password@host:port/db; add ?sslmode=verify-full&sslrootcert=/path/ca.pem for TLS).',
  },
  ROOMCAST_DATABASE_SCHEMA: {
    kind: 'string',
    default: 'public',
    check: (v) => (/^[a-z_][a-z0-9_]{0,62}$/.test(v) ? undefined : 'must be a lower-case SQL identifier'),
    help: 'PostgreSQL schema holding the control-plane tables.',
  },
} satisfies ConfigSpec;

