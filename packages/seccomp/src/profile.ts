/**
 * The default seccomp profile: system calls a VE's root must never make, because they
 * act on the whole machine and no namespace confines them, or because they are the
 * known ways to reach past one. The VE keeps CAP_SYS_ADMIN (a full distribution's init
 * needs it), so capabilities alone do not stop these. Everything else is allowed: a VE
 * runs a whole system, not one program, so this is a deny list, not Docker's allow list.
 */

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
  { name: 'lookup_dcookie', why: 'host-wide profiling' },
  { name: 'nfsservctl', why: 'obsolete kernel NFS server control' },
  { name: 'uselib', why: 'obsolete, only ever used in exploits' },
  { name: 'vm86', why: 'obsolete, only ever used in exploits' },
  { name: 'vm86old', why: 'obsolete, only ever used in exploits' },
  { name: '_sysctl', why: 'obsolete binary sysctl, bypasses /proc/sys' },
];
