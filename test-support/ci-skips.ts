/**
 * The skips CI accepts. Under `CI=true` a skipped test (`test.skip`, `test.todo`,
 * `ctx.skip()`, `skipIf`) fails the run unless an entry here matches it: a skip hides
 * a gap in what CI proves, so each one must say why it cannot run here.
 *
 * `match` is tested against `<file> > <suite> > <test>` (file relative to the repo,
 * e.g. `packages/quota/test/project.it.test.ts > xfs > enforces the soft limit`) and
 * against the note given to `ctx.skip(note)`. A string matches as a substring.
 * Keep the list short and remove an entry as soon as its tests run; the summary
 * names entries that matched nothing.
 *
 * Example:
 *   { match: /needs the guest kernel/, reason: 'project quota needs CONFIG_QUOTA; runs in ../shared/vm' },
 */
export interface CiSkip {
  match: RegExp | string;
  reason: string;
}

export const ciSkips: readonly CiSkip[] = [];
