// Runs the fixtures through the real SummaryReporter: two projects, one file in both,
// an allow-list with one entry that matches and one that does not.
import { defineConfig } from 'vitest/config';
import SummaryReporter from '../summary-reporter.js';

const only = process.env.SELF_CHECK_INCLUDE;

export default defineConfig({
  test: {
    reporters: ['default', new SummaryReporter({ allow: [{ match: /needs the guest kernel/, reason: 'guest only' }, { match: 'matches nothing', reason: 'stale' }] })],
    projects: [
      { test: { name: 'one', include: [only ?? 'fixtures/*.fixture.ts'] } },
      { test: { name: 'two', include: [only ?? 'fixtures/module-hook.fixture.ts'] } },
    ],
  },
});
