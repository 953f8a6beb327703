import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

// Three suites: fast unit tests beside the code, renderer tests (Vue components and
// stores in a simulated DOM), and integration suites under test/ that start real
// servers, a real Docker daemon, real kubectl and a real browser. The integration suite
// runs one file at a time because its files share the machine's daemons.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['core/**/*.test.ts', 'electron/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        plugins: [vue()],
        test: {
          name: 'renderer',
          include: ['renderer/**/*.test.ts'],
          environment: 'happy-dom',
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
