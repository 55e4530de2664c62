/**
 * Progress of long template work, as one-line messages (`retrieving packages (40/149)`)
 * that `vztmpl` prints after the template's name and `vzctl create` logs. A Debian build
 * prints a line or more per package and step, over a thousand in all; the reporter passes
 * on the first line of each stage, every tenth of the way (every 25 packages where the
 * total is not known yet) and the last, so a build shows a few dozen lines.
 */

/** Receives progress messages. */
export type Progress = (message: string) => void;

/** Drops progress. */
export const silentProgress: Progress = () => {};

/**
 * Passes on stage changes and every tenth of a counted stage. Counted stages may
 * interleave (dpkg unpacks and sets up one package after another): each keeps its own
 * pace rather than being reported again at every switch.
 */
export class StageReporter {
  private stage: string | undefined;
  private readonly lastOf = new Map<string, string>();

  constructor(private readonly report: Progress) {}

  /** A stage without counts (`resolving dependencies`): reported once when it begins. */
  enter(stage: string): void {
    if (stage === this.stage) return;
    this.stage = stage;
    this.report(stage);
  }

  /** `n` of `total` (undefined: not known) things of `stage` are done. */
  count(stage: string, n: number, total?: number): void {
    const step = total === undefined ? 25 : Math.max(1, Math.ceil(total / 10));
    this.stage = stage;
    const message = `${stage} (${total === undefined ? n : `${n}/${total}`})`;
    const last = this.lastOf.get(stage);
    if ((last === undefined || n % step === 0 || n === total) && message !== last) {
      this.lastOf.set(stage, message);
      this.report(message);
    }
  }
}

/**
 * Turns mmdebstrap's `--verbose` output into progress: its `I:` lines name the stages
 * (package lists, downloading, extracting, installing the essential packages, then the
 * rest inside the new system), apt's `N newly installed` lines give the number of
 * packages, and apt's and dpkg's per-package lines (`Get:`, `Unpacking`, `Setting up`)
 * count against it. It also keeps the first `E:` line and, for a mirror that cannot be
 * reached, apt's reason.
 */
export class MmdebstrapProgress {
  private total = 0;
  private retrieved = 0;
  private unpacked = 0;
  private configured = 0;
  private downloading = false;
  private readonly reporter: StageReporter;
  /** The first `E:` line, without the prefix. */
  firstError: string | undefined;
  /** apt could not fetch from the mirror: the URL and why (`Temporary failure resolving 'x'`). */
  fetchError: { url: string; reason: string } | undefined;

  constructor(report: Progress) {
    this.reporter = new StageReporter(report);
  }

  /** Packages installed in all (apt's `newly installed` counts). */
  get packages(): number {
    return this.total;
  }

  /** Feeds one line of mmdebstrap's output. */
  line(text: string): void {
    const r = this.reporter;
    const total = this.total || undefined;
    let m: RegExpExecArray | null;
    if ((m = /^E: (.*)$/.exec(text))) {
      this.firstError ??= m[1];
      const fetch = /^Failed to fetch (\S+)\s+(.*)$/.exec(m[1]!);
      if (fetch && !this.fetchError) this.fetchError = { url: fetch[1]!, reason: fetch[2]!.trim() };
    } else if (/^I: running apt-get update\b/.test(text)) r.enter('retrieving package lists');
    else if (/^I: downloading packages\b/.test(text)) {
      this.downloading = true;
      r.enter('resolving dependencies');
    } else if ((m = /^\d+ upgraded, (\d+) newly installed\b/.exec(text))) this.total += Number(m[1]);
    // A package, not an index: `Get:7 URI SUITE/COMPONENT ARCH NAME ARCH VERSION [SIZE]`.
    else if (this.downloading && /^Get:\d+ \S+ \S+ \S+ \S+ \S+ \S+ \[/.test(text)) r.count('retrieving packages', capped(++this.retrieved, total), total);
    else if (/^I: extracting archives\b/.test(text)) r.enter('extracting packages');
    else if (/^I: installing essential packages\b/.test(text)) r.enter('installing essential packages');
    else if (/^I: installing remaining packages\b/.test(text)) r.enter('installing the other packages');
    else if (/^Unpacking \S+ /.test(text)) r.count('unpacking packages', capped(++this.unpacked, total), total);
    else if (/^Setting up \S+ /.test(text)) r.count('configuring packages', capped(++this.configured, total), total);
    else if (/^I: success\b/.test(text)) r.enter(`base system installed (${this.total} packages)`);
  }
}

// dpkg sets a few packages up twice (triggers): the count never passes the total.
function capped(n: number, total: number | undefined): number {
  return total === undefined ? n : Math.min(n, total);
}
