import { defineConfig } from 'vitest/config';

// `npm run test:cluster`: broker-fault tests on the local three-node Kafka cluster
// (`*.cluster.test.ts`). Not part of `npm test`: they kill and restart brokers for a few
// minutes. The global setup starts the cluster (and what else is missing) through scripts/infra.
export default defineConfig({
  test: {
    name: 'cluster',
    include: ['test/cluster/**/*.cluster.test.ts'],
    globalSetup: ['test/cluster/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    // One file at a time: they share, and kill, the same brokers.
    fileParallelism: false,
  },
});
