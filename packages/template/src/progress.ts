/**
 * Progress of long template work, as one-line messages (`retrieving packages (40)`) that
 * `vztmpl` prints after the template's name and `vzctl create` logs. A debootstrap run
 * says one `I:` line per package and step, several hundred in all; the reporter passes on
 * the first line of each stage, every tenth of the way (every 25 packages where the total
 * is not known yet) and the last, so a build shows a few dozen lines.
 */

/** Receives progress messages. */
export type Progress = (message: string) => void;

/** Drops progress. */
export const silentProgress: Progress = () => {};

/** Passes on stage changes and every tenth of a counted stage. */
export class StageReporter {
  private stage: string | undefined;
  private last: string | undefined;

  constructor(private readonly report: Progress) {}

  /** A stage without counts (`resolving dependencies`): reported once when it begins. */
  enter(stage: string): void {
    if (stage === this.stage) return;
    this.stage = stage;
    this.last = stage;
    this.report(stage);
  }

  /** `n` of `total` (undefined: not known) things of `stage` are done. */
  count(stage: string, n: number, total?: number): void {
    const step = total === undefined ? 25 : Math.max(1, Math.ceil(total / 10));
    const first = stage !== this.stage;
    this.stage = stage;
    const message = `${stage} (${total === undefined ? n : `${n}/${total}`})`;
    if ((first || n % step === 0 || n === total) && message !== this.last) {
      this.last = message;
      this.report(message);
    }
  }
}

/**
 * Turns debootstrap's `I:` lines into progress: package lists, dependency resolution,
 * retrieving (count only: debootstrap does not say how many it will fetch), extracting,
 * then — in the second stage, against the number retrieved — unpacking and configuring
 * (in two rounds, the required packages and then the rest, each unpacked then configured).
 * It also keeps the last `E:` line, the reason of a failure.
 */
export class DebootstrapProgress {
  private retrieved = 0;
  private extracted = 0;
  private unpacked = 0;
  private configured = 0;
  private readonly reporter: StageReporter;
  /** The last `E:` line, without the prefix. */
  lastError: string | undefined;

  constructor(report: Progress) {
    this.reporter = new StageReporter(report);
  }

  /** Packages retrieved so far: what the second stage unpacks and configures. */
  get packages(): number {
    return this.retrieved;
  }

  /** Feeds one line of debootstrap's output. */
  line(text: string): void {
    const r = this.reporter;
    const total = this.retrieved || undefined;
    let m: RegExpExecArray | null;
    if ((m = /^E: (.*)$/.exec(text))) this.lastError = m[1];
    else if (/^I: Retrieving (InRelease|Release|Release\.gpg|Packages)\b/.test(text)) r.enter('retrieving package lists');
    else if (/^I: Resolving dependencies\b/.test(text)) r.enter('resolving dependencies');
    else if (/^I: Retrieving \S+ \S+$/.test(text)) r.count('retrieving packages', ++this.retrieved);
    // The first stage extracts the required packages only, a part of those retrieved: no total.
    else if (/^I: Extracting \S+\.\.\.$/.test(text)) r.count('extracting packages', ++this.extracted);
    else if (/^I: Installing core packages\b/.test(text)) r.enter('installing core packages');
    // Per package: `I: Unpacking adduser...`; a stage: `I: Unpacking required packages...`.
    else if (/^I: Unpacking \S+\.\.\.$/.test(text)) r.count('unpacking packages', capped(++this.unpacked, total), total);
    else if (/^I: Configuring \S+\.\.\.$/.test(text)) r.count('configuring packages', capped(++this.configured, total), total);
    else if (/^I: Base system installed successfully/.test(text)) r.enter(`base system installed (${this.retrieved || this.unpacked} packages)`);
  }
}

// dpkg configures a few packages twice (triggers): the count never passes the total.
function capped(n: number, total: number | undefined): number {
  return total === undefined ? n : Math.min(n, total);
}
