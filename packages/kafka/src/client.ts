/**
 * The one doorway to Kafka. Everything else asks this module for a producer, a consumer or
 * topic administration, so the client library can be measured and swapped in one place.
 */
import { connect, isIP } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { Logger } from '@roomcast/core';
import { type ICustomPartitioner, type ISocketFactory, type ITopicConfig, Kafka, type KafkaConfig, logLevel, Partitioners, type Producer } from 'kafkajs';

/** How the client reaches the brokers beyond plain TCP: TLS (optionally with a private CA) and SASL. */
export interface KafkaSecurity {
  /** TLS to the brokers; `ca`: PEM certificates to trust instead of the system's. */
  tls?: { ca?: string } | undefined;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | undefined;
}

/** Replicas of a topic and how many must hold a record before acks=all acknowledges it. */
export interface TopicReplicas {
  replicationFactor: number;
  minInsyncReplicas: number;
}

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  security?: KafkaSecurity | undefined;
  /**
   * Replication of the topics ensureTopics creates, for a cluster of `brokers` brokers (it may
   * throw when its settings do not fit the cluster). Unset: the brokers' defaults.
   */
  topicReplicas?: ((brokers: number) => TopicReplicas) | undefined;
}

/** The topicReplicas of each client createKafka made. */
const replicasOf = new WeakMap<Kafka, (brokers: number) => TopicReplicas>();

function securityConfig(s: KafkaSecurity | undefined): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  if (!s) return {};
  const out: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (s.tls) out.ssl = s.tls.ca ? { ca: [s.tls.ca], rejectUnauthorized: true } : true;
  if (s.sasl) out.sasl = { mechanism: s.sasl.mechanism, username: s.sasl.username, password: s.sasl.password } as KafkaConfig['sasl'];
  return out;
}

export type { Producer, Consumer, EachBatchPayload, EachMessagePayload, KafkaMessage, IHeaders, Message, RecordMetadata, TopicMessages } from 'kafkajs';

function bridgeLogger(logger: Logger): KafkaConfig['logCreator'] {
  return () => ({ level, log }) => {
    const { message, ...fields } = log;
    const entry = { component: 'kafka', namespace: fields.namespace, error: fields.error };
    if (level === logLevel.ERROR) logger.error(`kafka: ${message}`, entry);
    else if (level === logLevel.WARN) logger.warn(`kafka: ${message}`, entry);
  };
}

let openConnections = 0;

/** TCP connections to Kafka brokers open in this process (every client createKafka made), for the metrics. */
export function kafkaConnections(): number {
  return openConnections;
}

/** Opens broker sockets as the client's default does (TLS with SNI for host names, keep-alive) and counts them until they close. */
const countingSockets: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl ? connectTls({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect) : connect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  openConnections++;
  socket.once('close', () => openConnections--);
  return socket;
};

export function createKafka(options: KafkaOptions): Kafka {
  const kafka = new Kafka({
    brokers: options.brokers,
    clientId: options.clientId,
    logLevel: logLevel.WARN,
    logCreator: bridgeLogger(options.logger),
    retry: { initialRetryTime: 100, retries: 8 },
    socketFactory: countingSockets,
    ...securityConfig(options.security),
  });
  if (options.topicReplicas) replicasOf.set(kafka, options.topicReplicas);
  return kafka;
}

/**
 * kafkajs's default partitioner (murmur2 for keys, as the Java client; round robin without a
 * key) that also writes the partition it chose onto the message. The produce batcher reads it
 * to hand each caller its own offset, and a retry of the same request keeps the same partition.
 */
export const stampingPartitioner: ICustomPartitioner = () => {
  const inner = Partitioners.DefaultPartitioner();
  return (args) => {
    const partition = inner(args);
    args.message.partition = partition;
    return partition;
  };
};

/**
 * Errors after which the broker will refuse every further record of this producer id: its
 * sequence numbers no longer match what a partition leader holds (seen when a produce request
 * timed out while too few replicas were in sync, then the brokers came back).
 */
const LOST_SEQUENCE_ERRORS = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING']);

/** True when `err` (or what it wraps) says the producer id's sequence is lost. */
export function lostProducerSequence(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { type, cause, originalError } = e as { type?: unknown; cause?: unknown; originalError?: unknown };
    if (typeof type === 'string' && LOST_SEQUENCE_ERRORS.has(type)) return true;
    e = cause ?? originalError;
  }
  return false;
}

/**
 * A producer that acknowledges only after all in-sync replicas have the record (acks=all is
 * passed on each send) and that de-duplicates its own retries (idempotent; kafkajs requires one
 * request in flight for that). Keys are placed with the murmur2 partitioner that the Java client
 * uses, so other clients agree on partitions.
 *
 * kafkajs never renews its producer id, so after a send fails with a lost sequence it would fail
 * every later send for good. This one fails that send (the caller was not acknowledged and may
 * retry) and replaces the underlying producer, which gets a new id, before the next one — as the
 * Java client bumps its epoch.
 */
export function createDurableProducer(kafka: Kafka): Producer {
  const make = () =>
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: stampingPartitioner,
      allowAutoTopicCreation: false,
    });
  let current = make();
  let connected = false;
  let renewing: Promise<void> | undefined;
  const renew = async (): Promise<void> => {
    const old = current;
    current = make();
    await old.disconnect().catch(() => {});
    if (connected) await current.connect();
  };
  const guarded =
    <A extends unknown[], R>(call: (p: Producer, ...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (renewing) await renewing.catch(() => {});
      try {
        return await call(current, ...args);
      } catch (err) {
        if (lostProducerSequence(err) && !renewing) {
          renewing = renew().finally(() => {
            renewing = undefined;
          });
        }
        throw err;
      }
    };
  const send = guarded((p, record: Parameters<Producer['send']>[0]) => p.send(record));
  const sendBatch = guarded((p, batch: Parameters<Producer['sendBatch']>[0]) => p.sendBatch(batch));
  const connect = async (): Promise<void> => {
    connected = true;
    await current.connect();
  };
  const disconnect = async (): Promise<void> => {
    connected = false;
    await renewing?.catch(() => {});
    await current.disconnect();
  };
  return new Proxy({} as Producer, {
    get(_, prop) {
      if (prop === 'send') return send;
      if (prop === 'sendBatch') return sendBatch;
      if (prop === 'connect') return connect;
      if (prop === 'disconnect') return disconnect;
      const value = (current as unknown as Record<string | symbol, unknown>)[prop];
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
}

export const ACKS_ALL = -1;

export interface TopicSpec {
  topic: string;
  partitions: number;
  retentionMs?: number;
  compacted?: boolean;
  /** The topic's max.message.bytes (largest record batch it accepts); unset: the broker's message.max.bytes. */
  maxMessageBytes?: number;
}

/**
 * max.message.bytes of internal topics that carry copies of published records with headers added
 * (dead letters): larger than any record the ingress accepts (ROOMCAST_PUBLISH_MAX_RECORD_BYTES,
 * 1 MiB by default) plus those headers, and than a whole flush of the producers writing them, so a
 * dead letter can never be refused for its size and stall the delivery that produced it.
 */
export const INTERNAL_TOPIC_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/**
 * Creates the topics that do not exist yet, with the client's replication (the brokers' defaults
 * when it has none); existing ones are left as they are.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const toCreate = specs.filter((s) => !existing.has(s.topic));
    const replicasFor = replicasOf.get(kafka);
    // Asked per creation, so a cluster that shrank below the factor is named, not a broker error.
    const replicas = replicasFor && toCreate.length > 0 ? replicasFor((await admin.describeCluster()).brokers.length) : undefined;
    const missing: ITopicConfig[] = toCreate
      .map((s) => ({
        topic: s.topic,
        numPartitions: s.partitions,
        replicationFactor: replicas?.replicationFactor ?? -1, // -1: the broker's default.replication.factor
        configEntries: [
          ...(replicas ? [{ name: 'min.insync.replicas', value: String(replicas.minInsyncReplicas) }] : []),
          ...(s.retentionMs !== undefined ? [{ name: 'retention.ms', value: String(s.retentionMs) }] : []),
          ...(s.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
          ...(s.maxMessageBytes !== undefined ? [{ name: 'max.message.bytes', value: String(s.maxMessageBytes) }] : []),
        ],
      }));
    if (missing.length > 0) {
      // createTopics answers false when another caller created them first: that is fine.
      await admin.createTopics({ topics: missing, waitForLeaders: false });
    }
    await waitForLeaders(admin, specs.map((s) => s.topic));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until every partition of the topics has a leader. A broker that has just started (or
 * is busy creating many topics) answers metadata with "does not host this topic-partition" for
 * a while; kafkajs's own wait gives up after a few retries, this one after `timeoutMs`.
 */
async function waitForLeaders(admin: ReturnType<Kafka['admin']>, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics });
      const ready = meta.length === topics.length && meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready) return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leader after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Deletes the topics that exist; missing ones are skipped, so repeating a deletion is harmless. */
export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  } finally {
    await admin.disconnect();
  }
}

/** Probes the cluster for /readyz: a metadata round trip through the admin client. */
export async function probeKafka(kafka: Kafka): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.describeCluster();
  } finally {
    await admin.disconnect();
  }
}

export { Kafka };

/**
 * One quick look at the brokers (a start-up check): connects without kafkajs's long retry
 * schedule, so an unreachable cluster is reported in seconds rather than after minutes.
 */
export async function probeBrokers(brokers: string[], timeoutMs: number, security?: KafkaSecurity): Promise<void> {
  await countBrokers(brokers, timeoutMs, security);
}

/** The number of brokers in the cluster's metadata, asked as quickly as probeBrokers. */
export async function countBrokers(brokers: string[], timeoutMs: number, security?: KafkaSecurity): Promise<number> {
  const kafka = new Kafka({
    brokers,
    clientId: 'roomcast-preflight',
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    authenticationTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    ...securityConfig(security),
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.describeCluster()).brokers.length;
  } finally {
    await admin.disconnect();
  }
}
