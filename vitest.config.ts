import { defineConfig } from 'vitest/config';
import { ReliabilityReporter } from './test/helpers/reliabilityReporter.js';

/**
 * The test groups (see CONTRIBUTING.md, "Tests"). `npx vitest run` runs them all;
 * `npx vitest run --project unit` one of them. Only `oracle` and `compat` need real DVC, and they
 * fail (never skip) without it.
 */
const group = (name: string, extra: { setupFiles?: string[]; globalSetup?: string[] } = {}) => ({
  extends: true as const,
  test: {
    name,
    include: [`test/${name}/**/*.test.ts`],
    ...extra,
    globalSetup: ['test/helpers/globalSetup.ts', ...(extra.globalSetup ?? [])],
  },
});

const needsDvc = { setupFiles: ['test/helpers/requireDvc.ts'] };

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: 'forks',
    projects: [
      group('unit'),
      group('oracle', needsDvc),
      group('e2e'),
      group('compat', needsDvc),
      group('remote'),
      group('reliability', { globalSetup: ['test/helpers/reliabilitySetup.ts'] }),
      group('browser'),
    ],
    reporters: ['default', new ReliabilityReporter()],
  },
});
