/**
 * Loop devices through their ioctls (linux/loop.h), as mount(8)'s `-o loop` does: a free
 * device from /dev/loop-control, the image attached with LO_FLAGS_AUTOCLEAR, then the
 * mount. Autoclear makes the kernel detach the device when its last user goes — the
 * filesystem at unmount, or our own descriptor when the mount failed or vzctl died before
 * mounting — so no path leaves a device behind. losetup cannot ask for autoclear.
 */
import { closeSync, openSync, constants as fsc } from 'node:fs';
import { constants } from 'node:os';
import { koffi } from './koffi.js';
import { kernelError } from './errno.js';
import { libcHandle } from './syscalls.js';

/** ioctl requests and flags of linux/loop.h. */
const LOOP = { SET_FD: 0x4c00, SET_STATUS64: 0x4c04, SET_CAPACITY: 0x4c07, CONFIGURE: 0x4c0a, CTL_GET_FREE: 0x4c82 } as const;
const LO_FLAGS = { READ_ONLY: 1, AUTOCLEAR: 4, DIRECT_IO: 16 } as const;
const { EBUSY, EINVAL, ENOTTY } = constants.errno;

/** struct loop_info64 (232 bytes): where lo_flags and lo_file_name[64] are; loop_config wraps it. */
const INFO = { size: 232, flags: 52, fileName: 56 } as const;
/** struct loop_config: fd, block_size, loop_info64 at 8, 64 reserved bytes. */
const CONFIG_SIZE = 8 + INFO.size + 64;

type CFunction = ReturnType<ReturnType<typeof libcHandle>['func']>;
let ioctlFn: CFunction | undefined;

/** ioctl(2) with a pointer or integer argument: its result, or minus the errno. */
function ioctlRaw(fd: number, request: number, arg: Buffer | number): number {
  ioctlFn ??= libcHandle().func('int ioctl(int fd, unsigned long request, ...)');
  const rc = (typeof arg === 'number' ? ioctlFn(fd, request, 'unsigned long', arg) : ioctlFn(fd, request, 'void *', arg)) as number;
  return rc < 0 ? -koffi().errno() : rc;
}

/** The errno of a failed ioctl, 0 on success. */
function ioctl(fd: number, request: number, arg: Buffer | number): number {
  const rc = ioctlRaw(fd, request, arg);
  return rc < 0 ? -rc : 0;
}

function loopInfo(file: string, flags: number): Buffer {
  const info = Buffer.alloc(INFO.size);
  info.writeUInt32LE(flags, INFO.flags);
  // The kernel shows this name in sysfs and losetup; it keeps 63 bytes.
  info.write(file.slice(-63), INFO.fileName, 'utf8');
  return info;
}

/** A free loop device number (the kernel adds one when all are taken). */
function freeLoop(): number {
  const ctl = openSync('/dev/loop-control', fsc.O_RDWR);
  try {
    const n = ioctlRaw(ctl, LOOP.CTL_GET_FREE, 0);
    if (n < 0) throw kernelError('MOUNT_FAILED', 'loop-control: get a free loop device', -n, '/dev/loop-control');
    return n;
  } finally {
    closeSync(ctl);
  }
}

/**
 * Binds `fileFd` to the open device: LOOP_CONFIGURE (5.8+), without direct I/O if the
 * kernel refuses it, else the older LOOP_SET_FD + LOOP_SET_STATUS64.
 */
function configure(devFd: number, fileFd: number, file: string, flags: number): number {
  const plain = flags & ~LO_FLAGS.DIRECT_IO;
  for (const f of flags === plain ? [flags] : [flags, plain]) {
    const cfg = Buffer.alloc(CONFIG_SIZE);
    cfg.writeUInt32LE(fileFd, 0);
    loopInfo(file, f).copy(cfg, 8);
    const errno = ioctl(devFd, LOOP.CONFIGURE, cfg);
    if (errno !== EINVAL && errno !== ENOTTY) return errno;
  }
  const set = ioctl(devFd, LOOP.SET_FD, fileFd);
  if (set !== 0) return set;
  return ioctl(devFd, LOOP.SET_STATUS64, loopInfo(file, plain));
}

/** An image attached to a loop device, held open until {@link AttachedLoop.release}. */
export interface AttachedLoop {
  device: string;
  /** Drops our hold: with nothing else using it, the kernel detaches the device. */
  release(): void;
}

/** Attaches `file` to a free loop device with autoclear (read-only with `readOnly`). */
export function attachLoop(file: string, opts: { readOnly?: boolean } = {}): AttachedLoop {
  const fileFd = openSync(file, (opts.readOnly ? fsc.O_RDONLY : fsc.O_RDWR));
  try {
    // Direct I/O keeps the image's blocks out of the host's page cache (the filesystem on
    // it has its own): about twice the write throughput here. The kernel drops it by
    // itself where the backing filesystem cannot.
    const flags = LO_FLAGS.AUTOCLEAR | LO_FLAGS.DIRECT_IO | (opts.readOnly ? LO_FLAGS.READ_ONLY : 0);
    // Another process may take the same free device between the two calls: try the next.
    for (let attempt = 0; ; attempt++) {
      const n = freeLoop();
      const device = `/dev/loop${n}`;
      const devFd = openSync(device, (opts.readOnly ? fsc.O_RDONLY : fsc.O_RDWR));
      const errno = configure(devFd, fileFd, file, flags);
      if (errno === 0) return { device, release: () => closeSync(devFd) };
      closeSync(devFd);
      if (errno !== EBUSY || attempt >= 20) throw kernelError('MOUNT_FAILED', `attach ${file} to ${device}`, errno, file);
    }
  } finally {
    closeSync(fileFd);
  }
}

/** LOOP_SET_CAPACITY: the device takes the backing file's current size. */
export function refreshLoopCapacity(device: string): void {
  const fd = openSync(device, fsc.O_RDONLY);
  try {
    const errno = ioctl(fd, LOOP.SET_CAPACITY, 0);
    if (errno !== 0) throw kernelError('SYSTEM', `resize loop device ${device}`, errno, device);
  } finally {
    closeSync(fd);
  }
}
