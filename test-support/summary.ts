/**
 * Turns a finished vitest run into the numbers CI reports: `N passed, N failed, N skipped`
 * over every project. Kept apart from the reporter so the rules are in one place:
 *
 * - a failed test counts once;
 * - a test file that fails to load, or a suite or file whose hook throws, counts once
 *   (the tests it kept from running are not counted again, as skipped or otherwise);
 * - an unhandled error counts once, as does a file that never finished;
 * - under CI a skip not allowed by `ci-skips.ts` counts as failed, not skipped.
 */
import type { SerializedError, TestCase, TestModule, TestRunEndReason, TestSuite } from 'vitest/node';
import type { CiSkip } from './ci-skips.js';

export interface AllowedSkip {
  name: string;
  reason: string;
}

export interface RunSummary {
  passed: number;
  failed: number;
  skipped: number;
  /** Test files that ran, per project (a file in two projects counts twice). */
  files: number;
  /** One line per failure, for people. */
  failures: string[];
  /** Skips that CI accepted, with the allow-list's reason. */
  allowedSkips: AllowedSkip[];
  /** Allow-list entries that matched no skipped test in this run. */
  unusedAllowances: CiSkip[];
}

export interface SummaryOptions {
  /** Enforce the skip policy (CI=true). */
  ci: boolean;
  allow: readonly CiSkip[];
}

export function summarizeRun(
  modules: ReadonlyArray<TestModule>,
  unhandled: ReadonlyArray<SerializedError>,
  reason: TestRunEndReason,
  options: SummaryOptions,
): RunSummary {
  const s: RunSummary = { passed: 0, failed: 0, skipped: 0, files: modules.length, failures: [], allowedSkips: [], unusedAllowances: [] };
  const used = new Set<CiSkip>();
  const fail = (line: string) => {
    s.failed++;
    s.failures.push(line);
  };

  for (const m of modules) {
    const where = `[${m.project.name}] ${m.relativeModuleId}`;
    const state = m.state();
    if (state === 'queued' || state === 'pending') fail(`${where}: did not finish (${state})`);

    // A hook or import error leaves the tests below it "skipped" although they were
    // meant to run; the error is the failure, those tests are not skips.
    const broken = new Set<TestModule | TestSuite>();
    for (const owner of [m, ...m.children.allSuites()]) {
      const errors = owner.errors();
      if (errors.length === 0) continue;
      broken.add(owner);
      const label = owner.type === 'module' ? where : `${where} > ${owner.fullName}`;
      const what = owner.type === 'module' && owner.children.size === 0 ? 'failed to load' : 'hook failed';
      fail(`${label}: ${what}: ${firstLine(errors[0]!)}${errors.length > 1 ? ` (+${errors.length - 1} more)` : ''}`);
    }

    for (const t of m.children.allTests()) {
      const result = t.result();
      const name = `${where} > ${t.fullName}`;
      switch (result.state) {
        case 'passed':
          s.passed++;
          break;
        case 'failed':
          fail(`${name}: ${result.errors[0] ? firstLine(result.errors[0]) : 'failed'}`);
          break;
        case 'pending':
          fail(`${name}: did not finish`);
          break;
        case 'skipped': {
          if (t.options.mode === 'run' && result.note === undefined && underBroken(t, broken)) break;
          if (!options.ci) {
            s.skipped++;
            break;
          }
          const entry = allowance(t, result.note, options.allow);
          if (entry) {
            used.add(entry);
            s.skipped++;
            s.allowedSkips.push({ name, reason: entry.reason });
          } else {
            const how = t.options.mode === 'todo' ? 'todo' : result.note ? `skipped: ${result.note}` : 'skipped';
            fail(`${name}: ${how} — not allowed under CI (add it to test-support/ci-skips.ts with a reason, or make it run)`);
          }
          break;
        }
      }
    }
  }

  for (const e of unhandled) fail(`unhandled error: ${firstLine(e)}`);
  if (reason === 'interrupted') fail('the run was interrupted');
  // Vitest's own verdict covers cases the counts cannot see (no test files without
  // --passWithNoTests); never let the closing line say less than vitest does.
  if (reason === 'failed' && s.failed === 0) fail(s.files === 0 ? 'no test files found' : 'vitest marked the run as failed');
  s.unusedAllowances = options.ci ? options.allow.filter((a) => !used.has(a)) : [];
  return s;
}

/** The closing line CI and people read. */
export function closingLine(s: Pick<RunSummary, 'passed' | 'failed' | 'skipped'>): string {
  return `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`;
}

function underBroken(t: TestCase, broken: Set<TestModule | TestSuite>): boolean {
  for (let p: TestSuite | TestModule = t.parent; ; p = p.parent) {
    if (broken.has(p)) return true;
    if (p.type === 'module') return false;
  }
}

function allowance(t: TestCase, note: string | undefined, allow: readonly CiSkip[]): CiSkip | undefined {
  const subjects = [`${t.module.relativeModuleId} > ${t.fullName}`, ...(note ? [note] : [])];
  return allow.find((a) => subjects.some((x) => (typeof a.match === 'string' ? x.includes(a.match) : x.search(a.match) >= 0)));
}

function firstLine(e: { message?: string; name?: string }): string {
  const msg = (e.message ?? String(e)).split('\n')[0]!.trim();
  return e.name && e.name !== 'Error' && e.name !== 'AssertionError' ? `${e.name}: ${msg}` : msg;
}
