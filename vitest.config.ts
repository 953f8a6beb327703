import { defineConfig } from 'vitest/config';

// Two suites: fast unit tests beside the code, and integration suites under test/
// that start real servers, a real Docker daemon and real kubectl. The integration
// suite runs one file at a time because its files share the machine's daemons.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['core/**/*.test.ts', 'renderer/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
