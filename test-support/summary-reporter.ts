/**
 * Vitest reporter that closes every run with `N passed, N failed, N skipped` summed
 * over all projects, lists what failed and which skips CI accepted, and enforces the
 * skip policy under `CI=true` (see ci-skips.ts). Listed after the default reporter.
 *
 * With `VZKIT_TEST_SUMMARY=<file>` (set by .ci/run) it also writes the counts there as
 * `key=value` lines and leaves the closing line to .ci/run, which must print it last.
 * With `VZKIT_FILE_TIMES=<file>` it appends one `seconds<TAB>project<TAB>file` line per
 * test file (its tests and hooks, set-up and import), from which .ci/run lists the slowest.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import type { Reporter, SerializedError, TestModule, TestRunEndReason, Vitest } from 'vitest/node';
import { type CiSkip, ciSkips } from './ci-skips.js';
import { closingLine, summarizeRun } from './summary.js';

export default class SummaryReporter implements Reporter {
  private vitest: Vitest | undefined;
  private readonly allow: readonly CiSkip[];

  /** `allow` replaces ci-skips.ts (the reporter's own self-check uses it). */
  constructor(options: { allow?: readonly CiSkip[] } = {}) {
    this.allow = options.allow ?? ciSkips;
  }

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    const ci = process.env.CI === 'true' || process.env.CI === '1';
    const s = summarizeRun(modules, unhandled, reason, { ci, allow: this.allow });
    const out: string[] = [''];
    if (s.failures.length > 0) out.push('Failures:', ...s.failures.map((f) => `  ${f}`));
    if (s.allowedSkips.length > 0) {
      out.push('Skips allowed under CI (test-support/ci-skips.ts):', ...s.allowedSkips.map((k) => `  ${k.name} — ${k.reason}`));
    }
    if (s.unusedAllowances.length > 0) {
      out.push('ci-skips.ts entries that matched no skip (remove them):', ...s.unusedAllowances.map((a) => `  ${String(a.match)}`));
    }
    if (s.files === 0) out.push('vitest found no test files.');

    const times = process.env.VZKIT_FILE_TIMES;
    if (times && modules.length > 0) appendFileSync(times, modules.map(fileTime).join(''));
    const file = process.env.VZKIT_TEST_SUMMARY;
    if (file) {
      writeFileSync(file, `passed=${s.passed}\nfailed=${s.failed}\nskipped=${s.skipped}\nfiles=${s.files}\n`);
    } else {
      out.push(closingLine(s));
    }
    const log = this.vitest?.logger;
    for (const line of out) log ? log.log(line) : console.log(line);
    // Vitest already fails the run for failed tests and errors; refused skips are ours.
    if (s.failed > 0) process.exitCode = 1;
  }
}

function fileTime(m: TestModule): string {
  const d = m.diagnostic();
  const ms = d.duration + d.setupDuration + d.collectDuration + d.prepareDuration + d.environmentSetupDuration;
  return `${(ms / 1000).toFixed(1)}\t${m.project.name}\t${m.relativeModuleId}\n`;
}
