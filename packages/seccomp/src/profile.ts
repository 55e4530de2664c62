/**
 * The default seccomp profile: system calls a VE's root must never make, because they
 * act on the whole machine and no namespace confines them, or because they are the
 * known ways to reach past one. The VE keeps CAP_SYS_ADMIN (a full distribution's init
 * needs it), so capabilities alone do not stop these. Everything else is allowed: a VE
 * runs a whole system, not one program, so this is a deny list, not Docker's allow list.
 */

import type { SeccompRule } from '@vzkit/core';

export interface DeniedCall {
  name: string;
  why: string;
}

export const DEFAULT_DENY: readonly DeniedCall[] = [
  { name: 'kexec_load', why: 'boots another kernel' },
  { name: 'kexec_file_load', why: 'boots another kernel' },
  { name: 'init_module', why: 'loads code into the host kernel' },
  { name: 'finit_module', why: 'loads code into the host kernel' },
  { name: 'delete_module', why: 'unloads host kernel modules' },
  { name: 'create_module', why: 'obsolete module call' },
  { name: 'query_module', why: 'obsolete module call' },
  { name: 'get_kernel_syms', why: 'obsolete module call' },
  { name: 'open_by_handle_at', why: 'opens files by handle, past the VE root (the "shocker" escape)' },
  { name: 'bpf', why: 'loads programs into the host kernel (CAP_SYS_ADMIN allows it)' },
  { name: 'perf_event_open', why: 'observes the host and other VEs' },
  { name: 'keyctl', why: 'the kernel keyrings are not per VE' },
  { name: 'add_key', why: 'the kernel keyrings are not per VE' },
  { name: 'request_key', why: 'the kernel keyrings are not per VE' },
  { name: 'swapon', why: 'changes the host\'s swap' },
  { name: 'swapoff', why: 'changes the host\'s swap' },
  { name: 'acct', why: 'host-wide process accounting' },
  { name: 'iopl', why: 'raw port I/O' },
  { name: 'ioperm', why: 'raw port I/O' },
  { name: 'userfaultfd', why: 'a common aid to kernel exploits' },
  // io_uring: its operations run in kernel workers that no seccomp filter sees, and it has
  // been the way into most recent kernel exploits; Docker's default profile refuses it too.
  { name: 'io_uring_setup', why: 'io_uring: I/O no seccomp filter sees, a frequent exploit path' },
  { name: 'io_uring_enter', why: 'io_uring: I/O no seccomp filter sees, a frequent exploit path' },
  { name: 'io_uring_register', why: 'io_uring: I/O no seccomp filter sees, a frequent exploit path' },
  { name: 'lookup_dcookie', why: 'host-wide profiling' },
  { name: 'nfsservctl', why: 'obsolete kernel NFS server control' },
  { name: 'uselib', why: 'obsolete, only ever used in exploits' },
  { name: 'vm86', why: 'obsolete, only ever used in exploits' },
  { name: 'vm86old', why: 'obsolete, only ever used in exploits' },
  { name: '_sysctl', why: 'obsolete binary sysctl, bypasses /proc/sys' },
];

// --- Nested user namespaces (NESTING=no, the default) ------------------------------------

/** linux/sched.h */
export const CLONE_NEWUSER = 0x10000000;

/** clone's flags are its first argument, except on s390, which swaps the first two. */
const CLONE_FLAGS_ARG = process.arch === 's390x' ? 1 : 0;

/**
 * What keeps a VE from making user namespaces of its own (Docker's default, and LXC's
 * without nesting). A new user namespace gives its maker every capability over the
 * namespaces it then creates, which opens kernel code (mounts of many filesystems,
 * netfilter, ...) to a VE's unprivileged users and is where many kernel exploits start.
 * A filter reads registers only: clone and unshare are refused by their flag, clone3
 * (flags in a struct) answers ENOSYS so that libc retries with clone. setns needs no
 * rule: without a nested user namespace there is none to enter (the VE's own is
 * refused with EINVAL, an ancestor's by the kernel's capability check).
 */
export const NESTING_RULES: ReadonlyArray<SeccompRule & { why: string }> = [
  { call: 'unshare', errno: 'EPERM', when: [{ arg: 0, bits: CLONE_NEWUSER }], why: 'a new user namespace' },
  { call: 'clone', errno: 'EPERM', when: [{ arg: CLONE_FLAGS_ARG, bits: CLONE_NEWUSER }], why: 'a child in a new user namespace' },
  { call: 'clone3', errno: 'ENOSYS', why: 'its flags are out of a filter\'s sight: libc falls back to clone' },
];
