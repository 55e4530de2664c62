import { defineConfig } from 'vitest/config';

// Tests import the workspace packages from source (the `source` export condition),
// so they run without a build; integration tests that need the native launcher build it first.
const resolve = { conditions: ['source'] };

export default defineConfig({
  resolve,
  test: {
    projects: [
      {
        resolve,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
          exclude: ['**/*.it.test.ts', '**/*.vm.test.ts', '**/node_modules/**'],
        },
      },
      {
        resolve,
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.it.test.ts', 'examples/*/test/**/*.it.test.ts', 'bench/test/**/*.it.test.ts'],
          // Real VEs on a 2-core machine: one file at a time keeps timings honest and
          // avoids two files fighting over the same lxcfs or cgroup parent.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
