/**
 * Which init system runs as the VE's PID 1, and how each one is asked to halt. Pure:
 * the inputs are what /proc tells about init (its `comm` and the target of its `exe`
 * link), so the rules are tested without a guest.
 */

export type InitSystem = 'systemd' | 'sysvinit' | 'busybox' | 'other';

/** What /proc says about a process; a field is undefined when it could not be read. */
export interface InitFacts {
  /** /proc/PID/comm without the newline. */
  comm: string | undefined;
  /** Target of /proc/PID/exe. */
  exe: string | undefined;
}

/**
 * glibc's SIGRTMIN is 34 (the kernel's 32 plus two signals NPTL keeps), and systemd
 * halts and powers off on SIGRTMIN+4.
 */
export const SYSTEMD_POWEROFF_SIGNAL = 34 + 4;

export type HaltMethod =
  /** Send a signal to init. */
  | { kind: 'signal'; signal: NodeJS.Signals | number }
  /** Run `telinit 0` inside the VE; if that fails, send `fallback` to init. */
  | { kind: 'telinit'; fallback: NodeJS.Signals };

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function detectInitSystem(facts: InitFacts): InitSystem {
  const comm = facts.comm?.trim();
  // The link of a replaced binary reads "/sbin/init (deleted)" (e.g. after a package upgrade).
  const exe = facts.exe?.replace(/ \(deleted\)$/, '');
  const exeName = exe === undefined ? undefined : basename(exe);
  if (comm === 'systemd' || exeName === 'systemd') return 'systemd';
  // /sbin/init is a symlink to busybox in busybox guests; the link resolves to the applet's binary.
  if (exeName !== undefined && /^busybox/.test(exeName)) return 'busybox';
  // sysvinit (and upstart) is a binary of its own named init; telinit speaks to both.
  if (exeName === 'init') return 'sysvinit';
  return 'other';
}

/**
 * systemd: SIGRTMIN+4 (poweroff). sysvinit: `telinit 0`, SIGINT if that cannot run.
 * busybox init and anything else: SIGUSR2, busybox's poweroff (a shell init can trap it).
 */
export function haltMethod(system: InitSystem): HaltMethod {
  switch (system) {
    case 'systemd':
      return { kind: 'signal', signal: SYSTEMD_POWEROFF_SIGNAL };
    case 'sysvinit':
      return { kind: 'telinit', fallback: 'SIGINT' };
    case 'busybox':
    case 'other':
      return { kind: 'signal', signal: 'SIGUSR2' };
  }
}

/** The wait for a clean halt: STOP_TIMEOUT seconds when set (0 = unset), else the caller's. */
export function stopTimeoutMs(stopTimeoutSeconds: number | undefined, callerMs: number): number {
  return stopTimeoutSeconds ? stopTimeoutSeconds * 1000 : callerMs;
}
