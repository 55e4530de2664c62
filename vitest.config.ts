import { defineConfig } from 'vitest/config';

// Tests import the workspace packages from source (the `source` export condition),
// so they run without a build; integration tests that need the native launcher build it first.
const resolve = { conditions: ['source'] };
// Tests run in Vite's server (ssr) environment, which ignores `resolve.conditions`; its
// own list replaces Vite's defaults, so they are repeated after `source`.
const ssr = { resolve: { conditions: ['source', 'module', 'node', 'development|production'] } };

export default defineConfig({
  resolve,
  ssr,
  test: {
    // The summary reporter closes each run with `N passed, N failed, N skipped` over the
    // projects run and applies CI's skip policy (test-support/ci-skips.ts).
    reporters: ['default', './test-support/summary-reporter.ts'],
    projects: [
      {
        resolve,
        ssr,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
          exclude: ['**/*.it.test.ts', '**/*.vm.test.ts', '**/node_modules/**'],
        },
      },
      {
        resolve,
        ssr,
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.it.test.ts', 'examples/*/test/**/*.it.test.ts', 'bench/test/**/*.it.test.ts'],
          // The OS templates the tests use, made before any test enters a namespace of its own.
          globalSetup: ['./test-support/templates-setup.ts'],
          // Real VEs on a 2-core machine: one file at a time keeps timings honest and
          // avoids two files fighting over the same lxcfs or cgroup parent.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve,
        ssr,
        test: {
          // Tests that need a kernel this host does not run (cgroup v2): they run inside
          // the QEMU guest of scripts/vm (scripts/run-vm-tests.sh, after the main run) and
          // skip themselves elsewhere. `pnpm test` leaves this project out.
          name: 'vm',
          include: ['packages/*/test/**/*.vm.test.ts'],
          fileParallelism: false,
          // One module cache for all files: each file's own transform of the shared
          // packages cost about a minute in the emulated guest.
          isolate: false,
          // The guest emulates its CPU (TCG): everything is 5-20x slower.
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
