import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, `*.test.ts` beside the code) and `integration`
// (`*.int.test.ts`, real Kafka, registry, PostgreSQL and Redis started by scripts/infra).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
          // *.cluster.test.ts run on the three-node cluster: vitest.cluster.config.ts.
          exclude: ['**/*.int.test.ts', '**/*.cluster.test.ts', '**/node_modules/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['packages/*/src/**/*.int.test.ts', 'services/*/src/**/*.int.test.ts', 'test/**/*.int.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Files run in parallel processes; each isolates itself (own topics, groups, Redis
          // prefix and database schema). Two at a time suits a 2-core machine.
          maxWorkers: 2,
        },
      },
    ],
  },
});
