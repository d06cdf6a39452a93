import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { '@': path.resolve(import.meta.dirname) } },
  test: {
    include: ['lib/**/*.test.ts', 'sandbox/**/*.test.ts', 'tests/integration/**/*.test.ts', 'inngest/**/*.test.ts', 'scripts/**/*.test.ts', 'tests/security/**/*.test.ts', 'tests/stripe-compat/**/*.test.ts'],
    globalSetup: ['tests/helpers/global-setup.ts'],
    setupFiles: ['tests/helpers/setup-database.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      // The suite drives the API far faster than any merchant's server would (hundreds of racing
      // requests with one key); request limits are configured out of the way here, as an operator
      // would for a load test. tests/security/rate-limits.test.ts sets its own limits and proves them.
      API_RATE_LIMIT_READS_PER_SECOND: '100000',
      API_RATE_LIMIT_WRITES_PER_SECOND: '100000',
      PAY_RATE_LIMIT_PER_MINUTE: '1000000',
      CALLBACK_RATE_LIMIT_PER_SECOND: '1000000',
    },
  },
});
