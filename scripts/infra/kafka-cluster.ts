// A three-node KRaft cluster (each node broker and controller) beside the single broker, for
// replication and broker-fault tests: `npm run infra -- up --kafka-nodes 3`.
//
// Node n (1..3) listens on 127.0.0.1:29n92 (clients; n counted from 0) and 29n93 (controller),
// keeps its data, logs and pid under .local/infra/kafka-cluster/node-n, and is built by the same
// factory as the single broker, from infra/kafka/cluster.properties. The three nodes are formatted
// with one cluster id, kept in .local/infra/kafka-cluster/cluster-id. The cluster is never taken
// from ROOMCAST_KAFKA_BROKERS: asking for it means this local one.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Component } from './component.ts';
import { ensureDown, ensureUp } from './component.ts';
import { DEFAULT_ENDPOINTS, HOST, LOCAL } from './config.ts';
import type { Log } from './install.ts';
import { kafkaNode } from './kafka.ts';

export const CLUSTER_DIR = join(LOCAL, 'kafka-cluster');
export const CLUSTER_SIZE = 3;

export interface ClusterNode {
  /** Kafka node.id, also the broker id in metadata. */
  id: number;
  broker: string;
  controller: string;
  component: Component;
}

const clientPort = (id: number): number => 29_092 + (id - 1) * 100;
const controllerPort = (id: number): number => clientPort(id) + 1;
const voters = (): string =>
  Array.from({ length: CLUSTER_SIZE }, (_, i) => `${i + 1}@${HOST}:${controllerPort(i + 1)}`).join(',');

/** One id for the three nodes' storage, made once (a Kafka cluster id is 16 random bytes, base64url). */
function clusterId(): string {
  const file = join(CLUSTER_DIR, 'cluster-id');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  let id = randomBytes(16).toString('base64url');
  while (id.startsWith('-')) id = randomBytes(16).toString('base64url');
  mkdirSync(CLUSTER_DIR, { recursive: true });
  writeFileSync(file, `${id}\n`);
  return id;
}

export const CLUSTER_NODES: ClusterNode[] = Array.from({ length: CLUSTER_SIZE }, (_, i) => {
  const id = i + 1;
  return {
    id,
    broker: `${HOST}:${clientPort(id)}`,
    controller: `${HOST}:${controllerPort(id)}`,
    component: kafkaNode({
      name: `kafka-${id}`,
      dir: join(CLUSTER_DIR, `node-${id}`),
      template: 'cluster.properties',
      vars: () => ({ NODE_ID: String(id), VOTERS: voters(), KAFKA_PORT: String(clientPort(id)), CONTROLLER_PORT: String(controllerPort(id)) }),
      ports: [clientPort(id), controllerPort(id)],
      address: () => `${HOST}:${clientPort(id)}`,
      probeAt: () => ({ host: HOST, port: clientPort(id) }),
      // Three JVMs beside the single broker on a small machine.
      heap: { minMb: 192, maxMb: 384 },
      clusterId,
    }),
  };
});

/** Bootstrap list of the cluster (ROOMCAST_KAFKA_BROKERS for processes that use it). */
export const CLUSTER_BROKERS: string[] = CLUSTER_NODES.map((n) => n.broker);

export function clusterNode(id: number): ClusterNode {
  const node = CLUSTER_NODES.find((n) => n.id === id);
  if (!node) throw new Error(`kafka cluster has no node ${id}`);
  return node;
}

/**
 * Starts the nodes that are not running, together: a node answers clients only once a majority
 * of the controllers has elected a leader, so starting them one by one would wait on itself.
 */
export async function clusterUp(log: Log, ids: number[] = CLUSTER_NODES.map((n) => n.id)): Promise<void> {
  const ep = { ...DEFAULT_ENDPOINTS, kafkaBrokers: CLUSTER_BROKERS };
  const results = await Promise.allSettled(
    ids.map(async (id) => {
      const t0 = performance.now();
      const { component } = clusterNode(id);
      const { state, pid } = await ensureUp(component, ep, log);
      log(`${component.name.padEnd(10)} ${(state === 'started' ? 'ready' : 'running').padEnd(8)} ${clusterNode(id).broker.padEnd(22)} (pid ${pid}, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }),
  );
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : []));
  if (errors.length > 0) throw new Error(`kafka cluster up failed:\n  ${errors.join('\n  ')}`);
}

/** Stops the given nodes (default: all) with SIGTERM, SIGKILL after 30 s. */
export async function clusterDown(log: Log, ids: number[] = CLUSTER_NODES.map((n) => n.id)): Promise<void> {
  await Promise.all(
    ids.map(async (id) => {
      const { component } = clusterNode(id);
      const r = await ensureDown(component);
      log(`${component.name.padEnd(10)} stopped  ${''.padEnd(22)} ${r ? `(pid ${r.pid}${r.how === 'killed' ? ', SIGKILL after timeout' : ''})` : '(was not running)'}`);
    }),
  );
}
