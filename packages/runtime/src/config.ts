/**
 * Settings shared by every Roomcast process. Services extend this spec with their own; the
 * composition root (`main.ts`) loads it from the environment once. `.env.example` is generated
 * from these specs (scripts/env-example.ts), so help texts double as documentation.
 */
import { type ConfigOf, type ConfigSpec, type MasterKey, masterKey, masterKeyProblem, portCheck, postgresUrlCheck } from '@roomcast/core';

const DAY_MS = 24 * 60 * 60 * 1000;

export const commonConfigSpec = {
  ROOMCAST_HOST: { kind: 'string', default: '127.0.0.1', help: 'Address the HTTP server listens on.' },
  ROOMCAST_PORT: { kind: 'int', default: '8080', check: portCheck, help: 'HTTP port (0 picks a free one).' },
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

export const controlPlaneConfigSpec = {
  ...databaseConfigSpec,
  ...encryptionConfigSpec,
  ROOMCAST_BOOTSTRAP_ADMIN_KEY: {
    kind: 'secret',
    optional: true,
    check: (v) => (v.length >= 32 ? undefined : 'must be at least 32 characters'),
    help: 'The first global admin API key; registered (hashed) at start. Generate one with `openssl rand -base64 32`.',
  },
  ROOMCAST_PUBLIC_BASE_URL: {
    kind: 'url',
    optional: true,
    check: (v) => {
      const u = new URL(v);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must be an http or https URL';
      return u.username || u.password || u.search || u.hash ? 'must not carry credentials, a query or a fragment' : undefined;
    },
    help: 'The URL clients reach this deployment at (https://roomcast.example.org, a path prefix allowed), written into GovStack configuration and event-type OpenAPI documents. Unset: the address the process listens on (the request Host header is never used).',
  },
  ROOMCAST_APPLY_PER_HOUR: {
    kind: 'int',
    default: '10',
    check: (v) => (v >= 1 && v <= 100_000 ? undefined : 'must be between 1 and 100000'),
    help: 'Anonymous member applications (POST /api/admin/v1/members/apply) accepted per client network (IPv4 address, IPv6 /64) per hour; more answer 429 member.apply_limited.',
  },
  ROOMCAST_APPLY_MAX_PENDING: {
    kind: 'int',
    default: '200',
    check: (v) => (v >= 1 && v <= 1_000_000 ? undefined : 'must be between 1 and 1000000'),
    help: 'Anonymous member applications are refused (429 member.apply_limited) while this many members await a decision.',
  },
  ROOMCAST_DEFAULT_PARTITIONS: {
    kind: 'int',
    default: '3',
    check: (v) => (v >= 1 && v <= 1000 ? undefined : 'must be between 1 and 1000'),
    help: 'Partitions of a new room topic (more partitions = more delivery parallelism).',
  },
} satisfies ConfigSpec;

export const ingressConfigSpec = {
  ...encryptionConfigSpec,
  ROOMCAST_BODY_LIMIT_BYTES: {
    kind: 'int',
    default: String(1024 * 1024),
    check: (v) => (v >= 1024 && v <= 64 * 1024 * 1024 ? undefined : 'must be between 1 KiB and 64 MiB'),
    help: 'Largest accepted publish request body, in bytes.',
  },
  ROOMCAST_PUBLISH_MAX_DEPTH: {
    kind: 'int',
    default: '32',
    check: (v) => (v >= 1 && v <= 256 ? undefined : 'must be between 1 and 256'),
    help: 'Deepest nesting of objects and arrays accepted in a published event (the event object is level 1).',
  },
  ROOMCAST_PUBLISH_MAX_STRING_LENGTH: {
    kind: 'int',
    default: String(64 * 1024),
    check: (v) => (v >= 16 && v <= 64 * 1024 * 1024 ? undefined : 'must be between 16 and 67108864'),
    help: 'Longest string value or property name accepted in a published event, in characters (UTF-16 code units).',
  },
  ROOMCAST_VALIDATION_INLINE_COST: {
    kind: 'int',
    default: '50000',
    check: (v) => (v >= 0 && v <= 100_000_000 ? undefined : 'must be between 0 and 100000000'),
    help: "Largest validation cost (the schema's unfolded size × the event's values and characters) checked on the event loop; costlier validations run in a worker thread with a time budget (decision 0021). 0 sends every validation to the workers.",
  },
  ROOMCAST_VALIDATION_WORKERS: {
    kind: 'int',
    default: '1',
    check: (v) => (v >= 1 && v <= 64 ? undefined : 'must be between 1 and 64'),
    help: 'Worker threads for costly schema validations (started when first needed).',
  },
  ROOMCAST_VALIDATION_BUDGET_MS: {
    kind: 'int',
    default: '200',
    check: (v) => (v >= 10 && v <= 10_000 ? undefined : 'must be between 10 and 10000'),
    help: 'Longest one costly validation may run in a worker; past it the worker is restarted and the publish refused with 422 publish.validation_too_costly.',
  },
  ROOMCAST_VALIDATION_MAX_QUEUE: {
    kind: 'int',
    default: '256',
    check: (v) => (v >= 1 && v <= 100_000 ? undefined : 'must be between 1 and 100000'),
    help: 'Costly validations waiting or running at once; beyond it publishes answer 503 publish.validation_busy.',
  },
  ROOMCAST_VALIDATION_PER_PUBLISHER: {
    kind: 'int',
    default: '64',
    check: (v) => (v >= 1 && v <= 100_000 ? undefined : 'must be between 1 and 100000'),
    help: 'Costly validations one publisher may have waiting or running at once; beyond it its publishes answer 503 publish.validation_busy. Workers serve the waiting publishers round-robin.',
  },
  ROOMCAST_PUBLISH_BYTES_PER_SEC: {
    kind: 'int',
    default: String(4 * 1024 * 1024),
    check: (v) => (v >= 0 ? undefined : 'must be 0 (no budget) or more'),
    help: 'Request body bytes per second one publisher may have parsed by one ingress process (single and batch publishes); beyond it 429 publish.rate_limited. Protects the shared event loop from a publisher sending the largest bodies non-stop. 0 disables it.',
  },
  ROOMCAST_PUBLISH_BYTES_BURST: {
    kind: 'int',
    default: String(8 * 1024 * 1024),
    check: (v) => (v >= 1024 ? undefined : 'must be at least 1024'),
    help: 'Bucket size of the byte budget: body bytes a publisher may send at once before the rate applies. Keep it at least ROOMCAST_PUBLISH_BATCH_BODY_LIMIT_BYTES.',
  },
  ROOMCAST_PUBLISH_TIMEOUT_MS: {
    kind: 'int',
    default: '5000',
    check: (v) => (v >= 100 && v <= 120_000 ? undefined : 'must be between 100 and 120000'),
    help: 'Longest wait for Kafka to acknowledge a publish; after it the caller gets 503 publish.kafka_unavailable with Retry-After and should retry with the same event id.',
  },
  ROOMCAST_PUBLISH_BATCH_MAX_ITEMS: {
    kind: 'int',
    default: '500',
    check: (v) => (v >= 1 && v <= 10_000 ? undefined : 'must be between 1 and 10000'),
    help: 'Most events accepted in one batch publish request.',
  },
  ROOMCAST_PUBLISH_BATCH_BODY_LIMIT_BYTES: {
    kind: 'int',
    default: String(8 * 1024 * 1024),
    check: (v) => (v >= 1024 && v <= 256 * 1024 * 1024 ? undefined : 'must be between 1 KiB and 256 MiB'),
    help: 'Largest accepted batch publish request body, in bytes.',
  },
  ROOMCAST_DEDUP_WINDOW_MS: {
    kind: 'int',
    default: String(DAY_MS),
    check: (v) => (v >= 1000 && v <= 30 * DAY_MS ? undefined : 'must be between one second (1000) and 30 days'),
    help: 'How long a publisher-chosen event id is remembered per room and publisher: a replay within it answers the original result. Event status and cancel do not depend on it (they read the message log).',
  },
  ROOMCAST_RATE_PUBLISHER_PER_SEC: {
    kind: 'int',
    default: '10000',
    check: (v) => (v >= 0 ? undefined : 'must be 0 (no limit) or more'),
    help: 'Events per second one publisher may sustain into one ingress deployment (token bucket in Redis); 0 disables the limit.',
  },
  ROOMCAST_RATE_PUBLISHER_BURST: {
    kind: 'int',
    default: '20000',
    check: (v) => (v >= 1 ? undefined : 'must be at least 1'),
    help: "Bucket size of a publisher's limit: events accepted at once before the rate applies.",
  },
  ROOMCAST_RATE_ROOM_PER_SEC: {
    kind: 'int',
    default: '50000',
    check: (v) => (v >= 0 ? undefined : 'must be 0 (no limit) or more'),
    help: 'Events per second one room may receive from all its publishers together; 0 disables the limit.',
  },
  ROOMCAST_RATE_ROOM_BURST: {
    kind: 'int',
    default: '100000',
    check: (v) => (v >= 1 ? undefined : 'must be at least 1'),
    help: "Bucket size of a room's limit.",
  },
  ROOMCAST_PUBLISH_LINGER_MS: {
    kind: 'int',
    default: '2',
    check: (v) => (v >= 0 && v <= 100 ? undefined : 'must be between 0 and 100'),
    help: 'How long a publish waits for concurrent ones to share its Kafka produce request, in milliseconds (0: only those arriving in the same tick).',
  },
  ROOMCAST_PUBLISH_BATCH_MAX_RECORDS: {
    kind: 'int',
    default: '1000',
    check: (v) => (v >= 1 && v <= 100_000 ? undefined : 'must be between 1 and 100000'),
    help: 'Most events in one Kafka produce request; a full batch is sent without waiting for the linger.',
  },
  ROOMCAST_PUBLISH_BATCH_MAX_BYTES: {
    kind: 'int',
    default: String(768 * 1024),
    check: (v) => (v >= 1024 && v <= 64 * 1024 * 1024 ? undefined : 'must be between 1 KiB and 64 MiB'),
    help: "Most bytes in one Kafka produce request (keep below the broker's message.max.bytes, 1 MiB by default); a larger single event is sent alone.",
  },
  ROOMCAST_PUBLISH_MAX_RECORD_BYTES: {
    kind: 'int',
    default: String(1024 * 1024),
    check: (v) => (v >= 4096 && v <= 64 * 1024 * 1024 ? undefined : 'must be between 4 KiB and 64 MiB'),
    help: "Largest Kafka record one event may become (payload after encryption, key, headers); a larger event is refused with 413 publish.event_too_large, in a batch for that item only. Keep it at or below the room topics' max.message.bytes (the broker's message.max.bytes, 1048588 by default).",
  },
  ROOMCAST_PUBLISH_QUEUE_MAX_RECORDS: {
    kind: 'int',
    default: '10000',
    check: (v) => (v >= 1 ? undefined : 'must be at least 1'),
    help: 'Events that may wait for the next produce request while one is in flight; beyond that a publish is answered 503 at once.',
  },
  ROOMCAST_PUBLISH_QUEUE_MAX_BYTES: {
    kind: 'int',
    default: String(64 * 1024 * 1024),
    check: (v) => (v >= 1024 ? undefined : 'must be at least 1 KiB'),
    help: 'Bytes of events that may wait for the next produce request; beyond that a publish is answered 503 at once.',
  },
  ROOMCAST_INGRESS_WORKERS: {
    kind: 'int',
    optional: true,
    check: (v) => (v >= 1 && v <= 256 ? undefined : 'must be between 1 and 256'),
    help: 'Worker processes of a standalone ingress (services/ingress), sharing its port (node:cluster); unset: one per CPU (os.availableParallelism()); 1: a single process. The all-in-one process (services/all, npm start) always runs one.',
  },
} satisfies ConfigSpec;

/** Push delivery (the dispatcher). */
export const dispatcherConfigSpec = {
  ...encryptionConfigSpec,
  ROOMCAST_DISPATCH_WINDOW_RECORDS: {
    kind: 'int',
    default: '5000',
    check: (v) => (v >= 16 && v <= 1_000_000 ? undefined : 'must be between 16 and 1000000'),
    help: 'Per push subscription and process: events fetched and not final yet (queued, in flight, waiting for a retry) beyond which fetching pauses.',
  },
  ROOMCAST_DISPATCH_WINDOW_BYTES: {
    kind: 'int',
    default: String(64 * 1024 * 1024),
    check: (v) => (v >= 1024 * 1024 ? undefined : 'must be at least 1 MiB'),
    help: 'Per push subscription and process: bytes of event payloads held in memory beyond which fetching pauses.',
  },
  ROOMCAST_DISPATCH_COMMIT_INTERVAL_MS: {
    kind: 'int',
    default: '200',
    check: (v) => (v >= 10 && v <= 60_000 ? undefined : 'must be between 10 and 60000'),
    help: 'Pause between offset commits of a push subscription; a crash redelivers at most this much of final work.',
  },
  ROOMCAST_DISPATCH_SESSION_TIMEOUT_MS: {
    kind: 'int',
    default: '30000',
    check: (v) => (v >= 6000 && v <= 300_000 ? undefined : 'must be between 6000 and 300000 (the broker default bounds)'),
    help: "Kafka consumer session timeout of a push subscription: how long a crashed dispatcher's partitions wait before another process takes them over.",
  },
  ROOMCAST_DISPATCH_CONNECTIONS: {
    kind: 'int',
    default: '256',
    check: (v) => (v >= 1 && v <= 10_000 ? undefined : 'must be between 1 and 10000'),
    help: 'Most open HTTP connections per push endpoint origin.',
  },
} satisfies ConfigSpec;

export function dispatcherSettings(config: ConfigOf<typeof dispatcherConfigSpec>) {
  return {
    limits: {
      windowRecords: config.ROOMCAST_DISPATCH_WINDOW_RECORDS,
      windowBytes: config.ROOMCAST_DISPATCH_WINDOW_BYTES,
      commitIntervalMs: config.ROOMCAST_DISPATCH_COMMIT_INTERVAL_MS,
      sessionTimeoutMs: config.ROOMCAST_DISPATCH_SESSION_TIMEOUT_MS,
    },
    connections: config.ROOMCAST_DISPATCH_CONNECTIONS,
  };
}

/** Live streams of the pull service (SSE and WebSocket): heartbeats, buffers, limits. */
export const streamConfigSpec = {
  ROOMCAST_STREAM_HEARTBEAT_SECONDS: {
    kind: 'int',
    default: '15',
    check: (v) => (v >= 1 && v <= 300 ? undefined : 'must be between 1 and 300'),
    help: 'A live stream sends a heartbeat (an SSE comment line, a WebSocket heartbeat message) after this many seconds without an event.',
  },
  ROOMCAST_STREAM_BUFFER_EVENTS: {
    kind: 'int',
    default: '1000',
    check: (v) => (v >= 10 && v <= 100_000 ? undefined : 'must be between 10 and 100000'),
    help: 'Events held per stream for a client that reads slower than events arrive; when full, the stream stops reading Kafka.',
  },
  ROOMCAST_STREAM_BUFFER_BYTES: {
    kind: 'int',
    default: String(4 * 1024 * 1024),
    check: (v) => (v >= 64 * 1024 && v <= 256 * 1024 * 1024 ? undefined : 'must be between 64 KiB and 256 MiB'),
    help: 'Bytes of events held per stream at most (with ROOMCAST_STREAM_BUFFER_EVENTS, whichever is reached first).',
  },
  ROOMCAST_STREAM_SLOW_READER_SECONDS: {
    kind: 'int',
    default: '30',
    check: (v) => (v >= 1 && v <= 3600 ? undefined : 'must be between 1 and 3600'),
    help: "A stream whose buffer stayed full this long (the client reads too slowly) is disconnected with reason slow_reader; it may reconnect with its last event id.",
  },
  ROOMCAST_STREAM_MAX_PER_SUBSCRIPTION: {
    kind: 'int',
    default: '4',
    check: (v) => (v >= 1 && v <= 1000 ? undefined : 'must be between 1 and 1000'),
    help: 'Concurrent streams of one subscription on one pull process; one more is refused with 429 stream.limit_reached.',
  },
  ROOMCAST_STREAM_MAX_OPEN: {
    kind: 'int',
    default: '500',
    check: (v) => (v >= 1 && v <= 100_000 ? undefined : 'must be between 1 and 100000'),
    help: 'Concurrent streams on one pull process (each holds its own Kafka connection); one more is refused with 429 stream.limit_reached.',
  },
  ROOMCAST_STREAM_MAX_SECONDS: {
    kind: 'int',
    default: '3600',
    check: (v) => (v >= 1 && v <= 604_800 ? undefined : 'must be between 1 and 604800'),
    help: 'A live stream ends (reason max_duration) after this many seconds, or sooner if the client asked with maxSeconds; clients resume with their last event id, nothing missed.',
  },
} satisfies ConfigSpec;

/** Pull queues (services/pull): leases, the per-subscription buffer in Redis, offset commits. */
export const pullConfigSpec = {
  ...encryptionConfigSpec,
  ROOMCAST_PULL_LEASE_SECONDS: {
    kind: 'int',
    default: '30',
    check: (v) => (v >= 1 && v <= 43_200 ? undefined : 'must be between 1 and 43200'),
    help: 'Lease (visibility timeout) of an event handed out by GovStack pull, and the default of the lease route: not confirmed within it, the event is handed out again.',
  },
  ROOMCAST_PULL_BUFFER_EVENTS: {
    kind: 'int',
    default: '1000',
    check: (v) => (v >= 10 && v <= 1_000_000 ? undefined : 'must be between 10 and 1000000'),
    help: 'Events of one pull subscription held in Redis at most (available, leased or delayed); feeding from Kafka pauses while the buffer is full.',
  },
  ROOMCAST_PULL_COMMIT_INTERVAL_MS: {
    kind: 'int',
    default: '1000',
    check: (v) => (v >= 100 && v <= 60_000 ? undefined : 'must be between 100 and 60000'),
    help: 'How often a pull process commits its partitions’ offsets past the acknowledged (or dead-lettered) events.',
  },
} satisfies ConfigSpec;
