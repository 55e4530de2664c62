/** Capability numbers (linux/capability.h) by the names vzctl uses (lower case, no CAP_). */
export const CAPABILITIES: Readonly<Record<string, number>> = {
  chown: 0, dac_override: 1, dac_read_search: 2, fowner: 3, fsetid: 4, kill: 5, setgid: 6, setuid: 7,
  setpcap: 8, linux_immutable: 9, net_bind_service: 10, net_broadcast: 11, net_admin: 12, net_raw: 13,
  ipc_lock: 14, ipc_owner: 15, sys_module: 16, sys_rawio: 17, sys_chroot: 18, sys_ptrace: 19, sys_pacct: 20,
  sys_admin: 21, sys_boot: 22, sys_nice: 23, sys_resource: 24, sys_time: 25, sys_tty_config: 26, mknod: 27,
  lease: 28, audit_write: 29, audit_control: 30, setfcap: 31, mac_override: 32, mac_admin: 33, syslog: 34,
  wake_alarm: 35, block_suspend: 36, audit_read: 37, perfmon: 38, bpf: 39, checkpoint_restore: 40,
};

/**
 * Off by default: what reaches past the VE into the host's kernel or hardware — modules,
 * raw I/O, the clock, MAC policy, the kernel log, wake-ups and suspend, audit rules, BPF
 * and perf. OpenVZ and LXC drop the same core (module, rawio, time, mac_*); sys_boot
 * stays: reboot() in a PID namespace ends only the VE's init.
 */
export const DEFAULT_OFF: readonly string[] = [
  'sys_module', 'sys_rawio', 'sys_time', 'mac_admin', 'mac_override', 'syslog', 'wake_alarm', 'block_suspend',
  'audit_control', 'bpf', 'perfmon',
];

/**
 * Off by default in a VE of the host root as well: there CAP_SYS_PTRACE counts in the
 * host's user namespace, where it overrides what keeps a process private to its own
 * (not dumpable: vzkit's launcher while it enters the VE, setuid programs), so it is the
 * one capability that would let the VE's root reach into the launcher. Full
 * distributions run without it (the Debian VE of packages/cli/test/debian.it.test.ts);
 * root inside keeps ptrace of its own dumpable processes. An unprivileged VE keeps it:
 * there it counts only in the VE's own user namespace.
 */
export const HOST_ROOT_OFF: readonly string[] = ['sys_ptrace'];

/** `SYS_TIME`, `cap_sys_time`, `sys_time` → `sys_time`; undefined when unknown. */
export function capName(raw: string): string | undefined {
  const n = raw.trim().toLowerCase().replace(/^cap_/, '');
  return n in CAPABILITIES ? n : undefined;
}
