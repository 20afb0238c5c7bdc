import { defineConfig } from 'vitest/config';
import { ReliabilityReporter } from './test/helpers/reliabilityReporter.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    globalSetup: ['test/helpers/globalSetup.ts'],
    pool: 'forks',
    reporters: ['default', new ReliabilityReporter()],
  },
});
