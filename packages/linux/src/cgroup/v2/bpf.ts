/**
 * The bpf(2) calls the v2 device allowlist needs: load a BPF_PROG_TYPE_CGROUP_DEVICE
 * program, attach it to a group's directory, and find and detach the ones attached
 * before (a new allowlist replaces the old one). union bpf_attr is laid out by hand for
 * these four commands; pointers inside it point at memory koffi allocated.
 * @module
 */
import { closeSync, openSync, constants as fsc } from 'node:fs';
import { koffi } from '../../koffi.js';
import { vzError } from '@vzkit/core';
import { kernelError } from '../../errno.js';
import { libcHandle } from '../../syscalls.js';

/** bpf(2)'s number differs per architecture. */
const SYS_BPF = ({ x64: 321, arm64: 280 } as Record<string, number>)[process.arch];
const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_DETACH = 9;
const BPF_PROG_GET_FD_BY_ID = 13;
const BPF_PROG_QUERY = 16;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
const BPF_F_ALLOW_MULTI = 2;
const ATTR_SIZE = 128;

let syscall: ((...args: unknown[]) => unknown) | undefined;
const sys = () => (syscall ??= libcHandle().func('long syscall(long number, ...)') as (...args: unknown[]) => unknown);

/** bpf(cmd, attr): the result, or a kernel error naming `what`. */
function bpf(cmd: number, attr: Buffer, what: string): number {
  if (SYS_BPF === undefined) throw vzError('UNSUPPORTED', `${what}: no bpf(2) number known for ${process.arch}`);
  const rc = Number(sys()(SYS_BPF, 'int', cmd, 'void *', attr, 'unsigned int', ATTR_SIZE));
  if (rc < 0) throw kernelError('SYSTEM', what, koffi().errno());
  return rc;
}

/** Bytes copied into memory of koffi's, and that memory's address (for pointers inside bpf_attr). */
function pinned(bytes: Uint8Array): { ptr: unknown; addr: bigint } {
  const ptr = koffi().alloc('uint8_t', Math.max(1, bytes.length));
  koffi().encode(ptr, koffi().array('uint8_t', Math.max(1, bytes.length)), [...bytes]);
  return { ptr, addr: BigInt(koffi().address(ptr) as bigint) };
}

/** Loads the program; returns its fd. On refusal the verifier's log is in the error. */
export function loadDeviceProgram(program: Uint8Array): number {
  const insns = pinned(program);
  const license = pinned(Buffer.from('GPL\0'));
  const log = pinned(new Uint8Array(4096));
  try {
    const attr = Buffer.alloc(ATTR_SIZE);
    attr.writeUInt32LE(BPF_PROG_TYPE_CGROUP_DEVICE, 0);
    attr.writeUInt32LE(program.length / 8, 4);
    attr.writeBigUInt64LE(insns.addr, 8);
    attr.writeBigUInt64LE(license.addr, 16);
    attr.writeUInt32LE(1, 24); // log_level
    attr.writeUInt32LE(4096, 28); // log_size
    attr.writeBigUInt64LE(log.addr, 32);
    Buffer.from('vzkit_devices\0').copy(attr, 48); // prog_name (16 bytes)
    try {
      return bpf(BPF_PROG_LOAD, attr, 'load the device allowlist program');
    } catch (e) {
      const text = Buffer.from(koffi().decode(log.ptr, koffi().array('uint8_t', 4096)) as number[]).toString('utf8').replace(/\0.*$/s, '').trim();
      if (text) (e as Error).message += ` (verifier: ${text.split('\n').slice(-2).join(' ')})`;
      throw e;
    }
  } finally {
    for (const p of [insns, license, log]) koffi().free(p.ptr);
  }
}

/** Ids of the device programs attached to the group's directory fd. */
function attachedIds(dirFd: number): number[] {
  const ids = pinned(new Uint8Array(64 * 4));
  try {
    const attr = Buffer.alloc(ATTR_SIZE);
    attr.writeUInt32LE(dirFd, 0); // target_fd
    attr.writeUInt32LE(BPF_CGROUP_DEVICE, 4);
    attr.writeBigUInt64LE(ids.addr, 16); // prog_ids
    attr.writeUInt32LE(64, 24); // prog_cnt
    bpf(BPF_PROG_QUERY, attr, 'list the device programs of the group');
    const count = attr.readUInt32LE(24);
    const raw = Buffer.from(koffi().decode(ids.ptr, koffi().array('uint8_t', 64 * 4)) as number[]);
    return Array.from({ length: Math.min(count, 64) }, (_, i) => raw.readUInt32LE(i * 4));
  } finally {
    koffi().free(ids.ptr);
  }
}

function progFdById(id: number): number {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(id, 0);
  return bpf(BPF_PROG_GET_FD_BY_ID, attr, `open device program ${id}`);
}

function attach(dirFd: number, progFd: number): void {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(dirFd, 0);
  attr.writeUInt32LE(progFd, 4);
  attr.writeUInt32LE(BPF_CGROUP_DEVICE, 8);
  attr.writeUInt32LE(BPF_F_ALLOW_MULTI, 12);
  bpf(BPF_PROG_ATTACH, attr, 'attach the device allowlist program');
}

function detach(dirFd: number, progFd: number): void {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(dirFd, 0);
  attr.writeUInt32LE(progFd, 4);
  attr.writeUInt32LE(BPF_CGROUP_DEVICE, 8);
  bpf(BPF_PROG_DETACH, attr, 'detach the old device allowlist program');
}

/**
 * Makes `program` the group's device allowlist: the new one is attached first (with
 * several attached, a device must pass all of them, so the moment between is never
 * wider than either list), then the ones attached before are detached. The kernel
 * keeps an attached program alive by itself: no fd or pin is left behind.
 */
export function replaceDeviceProgram(dir: string, program: Uint8Array): void {
  const dirFd = openSync(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    const old = attachedIds(dirFd);
    const progFd = loadDeviceProgram(program);
    try {
      attach(dirFd, progFd);
    } finally {
      closeSync(progFd);
    }
    for (const id of old) {
      const fd = progFdById(id);
      try {
        detach(dirFd, fd);
      } finally {
        closeSync(fd);
      }
    }
  } finally {
    closeSync(dirFd);
  }
}

/** The device programs attached to a group (for tests and checks). */
export function attachedDevicePrograms(dir: string): number[] {
  const dirFd = openSync(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    return attachedIds(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
