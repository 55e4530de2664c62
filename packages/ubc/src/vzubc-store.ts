/**
 * What `vzubc -r` and `-i` compare with: the fail counters and held values of the last
 * run, kept per user in one state file, `<dir>/ubc.json`. The directory is OpenVZ's
 * /tmp/vzubc.store with the user's uid appended (`-rd`/`-id` choose another); it is made
 * 0700 and refused when it is a link or belongs to someone else, since it sits in a
 * directory everyone may write to.
 */
import { join } from 'node:path';
import { vzError, type HostFs } from '@vzkit/core';

/** failcnt and held by CTID, then by beancounter. */
export interface UbcSnapshot {
  failcnt: Record<string, Record<string, number>>;
  held: Record<string, Record<string, number>>;
}

export const STATE_FILE = 'ubc.json';

/** The default store of this user under a vzkit root ('' for the real system). */
export function defaultStoreDir(prefix: string, uid: number): string {
  return join(prefix || '/', 'tmp', `vzubc.store.${uid}`);
}

export class UbcStore {
  constructor(private readonly fs: HostFs, readonly dir: string, private readonly uid: number) {}

  /** Makes the directory (0700) or checks the one there is; fails with exit 1 as vzubc does. */
  async prepare(): Promise<void> {
    let st = await this.fs.stat(this.dir);
    if (!st) {
      await this.fs.mkdir(this.dir, { recursive: true, mode: 0o700 }).catch((e: unknown) => {
        throw vzError('SYSTEM', `cannot make the store directory ${this.dir}: ${e instanceof Error ? e.message : String(e)}`, { exit: 1 });
      });
      st = await this.fs.stat(this.dir);
    }
    if (!st || st.type !== 'dir' || st.uid !== this.uid || (st.mode & 0o022) !== 0) {
      throw vzError('PERMISSION', `the store directory ${this.dir} is not a directory of its own user that others cannot write to`, {
        exit: 1, hint: 'remove it, or choose another with -rd DIR',
      });
    }
  }

  async read(): Promise<UbcSnapshot> {
    const empty: UbcSnapshot = { failcnt: {}, held: {} };
    const text = await this.fs.readFile(join(this.dir, STATE_FILE)).catch(() => undefined);
    if (text === undefined) return empty;
    try {
      const v = JSON.parse(text) as Partial<UbcSnapshot>;
      return { failcnt: v.failcnt ?? {}, held: v.held ?? {} };
    } catch {
      // A torn or foreign file: as if there had been no earlier run.
      return empty;
    }
  }

  async write(snapshot: UbcSnapshot): Promise<void> {
    const tmp = join(this.dir, `${STATE_FILE}.${process.pid}`);
    await this.fs.writeFile(tmp, JSON.stringify(snapshot), { mode: 0o600 });
    await this.fs.rename(tmp, join(this.dir, STATE_FILE));
  }
}
