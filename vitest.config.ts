import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One pair of emulators (DynamoDB Local, fauxqs) for the whole run; each integration test file
    // starts its own platform in its own namespace of tables and queues on them.
    globalSetup: ['test/setup/global-setup.ts'],
    // Log lines are shown for failing tests only (RD_TEST_LOGS=1 shows all).
    setupFiles: ['test/setup/quiet-logs.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores here: more parallel files only make each slower.
    maxWorkers: 2,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
