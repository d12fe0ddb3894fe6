import { describe, expect, it } from 'vitest';
import { PORTS } from './config.ts';
import { kafkaNodesOption } from './index.ts';
import { CLUSTER_BROKERS, CLUSTER_NODES } from './kafka-cluster.ts';

describe('the three-node cluster layout', () => {
  it('gives each node its own client and controller port, none of the single stack', () => {
    expect(CLUSTER_BROKERS).toEqual(['127.0.0.1:29092', '127.0.0.1:29192', '127.0.0.1:29292']);
    const ports = CLUSTER_NODES.flatMap((n) => n.component.ports);
    expect(new Set(ports).size).toBe(6);
    expect(ports.filter((p) => (Object.values(PORTS) as number[]).includes(p))).toEqual([]);
    expect(new Set(CLUSTER_NODES.map((n) => n.component.dir)).size).toBe(3);
    expect(CLUSTER_NODES.map((n) => n.component.name)).toEqual(['kafka-1', 'kafka-2', 'kafka-3']);
  });

  it('accepts --kafka-nodes 1 or 3 only', () => {
    expect(kafkaNodesOption(undefined)).toBe(1);
    expect(kafkaNodesOption('1')).toBe(1);
    expect(kafkaNodesOption('3')).toBe(3);
    expect(() => kafkaNodesOption('2')).toThrow(/must be 1 .* or 3/);
    expect(() => kafkaNodesOption('')).toThrow();
  });
});
