import { defineConfig } from 'vitest/config';

/**
 * The config `npm run mutation` hands to Stryker's vitest runner: only the unit tests that cover
 * the module under mutation (SLUICE_MUTATION_TESTS, comma-separated), without the global setup
 * that rewrites docs/reliability.md.
 */
const tests = (process.env.SLUICE_MUTATION_TESTS ?? '').split(',').filter((t) => t !== '');

export default defineConfig({
  test: {
    include: tests.length > 0 ? tests : ['test/unit/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    env: {
      DVC_NO_ANALYTICS: '1',
      AWS_EC2_METADATA_DISABLED: 'true',
      METADATA_SERVER_DETECTION: 'none',
      GCE_METADATA_HOST: '127.0.0.1:9',
    },
  },
});
