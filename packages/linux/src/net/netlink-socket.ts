/**
 * A NETLINK_ROUTE socket through koffi: socket(2), bind(2), send(2), recv(2), with
 * request/ack and dump exchanges matched by sequence number. Kernel errors become
 * VzErrors naming the errno and what was being done. All calls are synchronous: each is
 * one short syscall, and {@link openRtnl} must not yield while the thread sits in
 * another network namespace.
 * @module
 */
import type { LibraryHandle } from 'koffi';
import { koffi } from '../koffi.js';
import { libcHandle } from '../syscalls.js';
import { closeSync, openSync } from 'node:fs';
import { vzError } from '@vzkit/core';
import { errnoMessage, errnoName, kernelError, nodeFsError } from '../errno.js';
import {
  AF_NETLINK, NETLINK_EXT_ACK, NETLINK_ROUTE, NLM_F, NLMSG, SOL_NETLINK,
  decodeDone, decodeError, encodeMessage, parseMessages, type NlMessage,
} from './netlink-codec.js';

/** socket(2) type flags (linux/net.h, asm/fcntl.h). */
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
/** setsockopt(2) (asm-generic/socket.h). */
const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_RCVTIMEO = 20;
/** recv(2) flags (linux/socket.h). */
const MSG_TRUNC = 0x20;
/** setns(2) namespace type (linux/sched.h). */
export const CLONE_NEWNET = 0x40000000;

const EINTR = 4;
const RECV_BUFFER = 64 * 1024;
/** How long a reply may take before the exchange fails with EAGAIN. */
const RECV_TIMEOUT_S = 5;

type CFunction = ReturnType<LibraryHandle['func']>;

interface NetLibc {
  socket: CFunction;
  bind: CFunction;
  send: CFunction;
  recv: CFunction;
  setsockopt: CFunction;
  setns: CFunction;
}

let libc: NetLibc | undefined;

function lib(): NetLibc {
  if (libc) return libc;
  const c = libcHandle();
  // Buffers go in as void *: no named koffi types (they are process-global).
  libc = {
    socket: c.func('int socket(int domain, int type, int protocol)'),
    bind: c.func('int bind(int fd, const void *addr, uint32_t len)'),
    send: c.func('long send(int fd, const void *buf, unsigned long len, int flags)'),
    recv: c.func('long recv(int fd, _Out_ void *buf, unsigned long len, int flags)'),
    setsockopt: c.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)'),
    setns: c.func('int setns(int fd, int nstype)'),
  };
  return libc;
}

function fail(what: string): never {
  throw kernelError('SYSTEM', what, koffi().errno());
}

function setsockoptInt(fd: number, level: number, name: number, value: number, what: string): void {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value);
  if ((lib().setsockopt(fd, level, name, b, 4) as number) < 0) fail(what);
}

/**
 * What a request is for, as the error message says it: `add address 198.18.0.1/32 to
 * venet0`. A function is called only when a message is needed (it may look names up).
 */
export type Doing = string | (() => string);

function say(what: Doing): string {
  return typeof what === 'string' ? what : what();
}

export interface RequestOptions {
  /** Extra NLM_F_* flags besides REQUEST|ACK (CREATE, EXCL, REPLACE...). */
  flags?: number;
  /** errno values that are not failures (e.g. ENOENT for an idempotent delete); the call returns that errno. */
  tolerate?: readonly string[];
}

/** A bound NETLINK_ROUTE socket. Not thread-safe; one exchange at a time, which the synchronous API guarantees. */
export class NetlinkSocket {
  #fd: number;
  #seq: number;
  readonly #buf = Buffer.alloc(RECV_BUFFER);

  constructor(fd: number) {
    this.#fd = fd;
    this.#seq = Math.floor(Date.now() / 1000) & 0x7fffffff;
  }

  get fd(): number {
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    closeSync(fd);
  }

  #nextSeq(): number {
    this.#seq = (this.#seq + 1) >>> 0 || 1;
    return this.#seq;
  }

  #send(msg: Uint8Array, what: Doing): void {
    if (this.#fd < 0) throw vzError('SYSTEM', `${say(what)}: the netlink socket is closed`);
    for (;;) {
      const n = Number(lib().send(this.#fd, msg, msg.length, 0));
      if (n >= 0) {
        if (n !== msg.length) throw vzError('SYSTEM', `${say(what)}: netlink send wrote ${n} of ${msg.length} bytes`);
        return;
      }
      const errno = koffi().errno();
      if (errno !== EINTR) throw kernelError('SYSTEM', `${say(what)}: netlink send`, errno);
    }
  }

  #recv(what: Doing): NlMessage[] {
    for (;;) {
      const n = Number(lib().recv(this.#fd, this.#buf, this.#buf.length, MSG_TRUNC));
      if (n < 0) {
        const errno = koffi().errno();
        if (errno === EINTR) continue;
        throw kernelError('SYSTEM', `${say(what)}: netlink recv`, errno);
      }
      if (n > this.#buf.length) throw vzError('SYSTEM', `${say(what)}: netlink reply of ${n} bytes does not fit ${this.#buf.length}`);
      // Copy: the buffer is reused by the next recv.
      return parseMessages(Uint8Array.from(this.#buf.subarray(0, n)));
    }
  }

  #kernelFailure(what: Doing, errno: number, extack?: string) {
    if (!extack) return kernelError('SYSTEM', say(what), errno);
    return vzError('SYSTEM', `${say(what)}: ${errnoName(errno)} (${errnoMessage(errno)}: ${extack})`, { errno: errnoName(errno) });
  }

  /**
   * Sends one request with NLM_F_REQUEST|NLM_F_ACK and waits for its ACK. Returns 0, or
   * the tolerated errno. Replies the kernel sends before the ACK (NLM_F_ECHO) are returned too.
   */
  request(type: number, family: Uint8Array, attrs: readonly Uint8Array[], what: Doing, opts: RequestOptions = {}): { errno: number; replies: NlMessage[] } {
    const seq = this.#nextSeq();
    this.#send(encodeMessage({ type, flags: NLM_F.REQUEST | NLM_F.ACK | (opts.flags ?? 0), seq }, family, attrs), what);
    const replies: NlMessage[] = [];
    for (;;) {
      for (const m of this.#recv(what)) {
        if (m.seq !== seq) continue; // a late answer to an abandoned exchange
        if (m.type !== NLMSG.ERROR) {
          replies.push(m);
          continue;
        }
        const e = decodeError(m);
        if (e.errno === 0) return { errno: 0, replies };
        if (opts.tolerate?.includes(errnoName(e.errno))) return { errno: e.errno, replies };
        throw this.#kernelFailure(what, e.errno, e.message);
      }
    }
  }

  /** Sends a GET request with NLM_F_DUMP (or the flags given) and collects the answers up to NLMSG_DONE. */
  dump(type: number, family: Uint8Array, attrs: readonly Uint8Array[], what: Doing, flags: number = NLM_F.DUMP): NlMessage[] {
    const seq = this.#nextSeq();
    this.#send(encodeMessage({ type, flags: NLM_F.REQUEST | flags, seq }, family, attrs), what);
    const out: NlMessage[] = [];
    for (;;) {
      for (const m of this.#recv(what)) {
        if (m.seq !== seq) continue;
        if (m.type === NLMSG.DONE) {
          const errno = decodeDone(m);
          if (errno > 0) throw this.#kernelFailure(what, errno);
          if (m.flags & NLM_F.DUMP_INTR) throw vzError('SYSTEM', `${say(what)}: the dump was interrupted by a concurrent change; try again`);
          return out;
        }
        if (m.type === NLMSG.ERROR) {
          const e = decodeError(m);
          if (e.errno !== 0) throw this.#kernelFailure(what, e.errno, e.message);
          return out;
        }
        if (m.type === NLMSG.NOOP) continue;
        out.push(m);
        // A single (non-dump) answer ends the exchange.
        if (!(m.flags & NLM_F.MULTI)) return out;
      }
    }
  }
}

function newSocket(): number {
  const fd = lib().socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE) as number;
  if (fd < 0) fail('open a netlink socket');
  try {
    // struct sockaddr_nl: u16 family, u16 pad, u32 pid (0: the kernel picks), u32 groups.
    const addr = Buffer.alloc(12);
    addr.writeUInt16LE(AF_NETLINK, 0);
    if ((lib().bind(fd, addr, addr.length) as number) < 0) fail('bind the netlink socket');
    setsockoptInt(fd, SOL_SOCKET, SO_SNDBUF, 32 * 1024, 'set SO_SNDBUF on the netlink socket');
    setsockoptInt(fd, SOL_SOCKET, SO_RCVBUF, 1024 * 1024, 'set SO_RCVBUF on the netlink socket');
    // struct timeval { long tv_sec; long tv_usec; }: a reply that never comes fails with EAGAIN.
    const tv = Buffer.alloc(16);
    tv.writeBigInt64LE(BigInt(RECV_TIMEOUT_S), 0);
    if ((lib().setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, tv.length) as number) < 0) fail('set SO_RCVTIMEO on the netlink socket');
    // The kernel's own explanation of a refusal; older kernels lack it, which is fine.
    try {
      setsockoptInt(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1, 'enable NETLINK_EXT_ACK');
    } catch {
      /* optional */
    }
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

function openNs(path: string, what: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    throw nodeFsError(e, what, path);
  }
}

/**
 * Runs fn with the calling thread in the network namespace of netnsFd, then moves the
 * thread back. fn must be synchronous (nothing else may run on this thread meanwhile).
 * Needs CAP_SYS_ADMIN. Node's other threads are not affected: setns(2) with
 * CLONE_NEWNET acts on the calling thread only.
 */
export function inNetns<T>(netns: { fd: number } | { path: string }, fn: () => T): T {
  // thread-self, not self: under worker threads the caller need not be the main thread.
  const home = openNs('/proc/thread-self/ns/net', 'open the current network namespace');
  let target = -1;
  try {
    target = 'fd' in netns ? netns.fd : openNs(netns.path, 'open the network namespace');
    const where = 'path' in netns ? netns.path : `fd ${netns.fd}`;
    if ((lib().setns(target, CLONE_NEWNET) as number) < 0) throw kernelError('SYSTEM', `enter network namespace ${where}`, koffi().errno(), 'path' in netns ? netns.path : undefined);
    try {
      return fn();
    } finally {
      if ((lib().setns(home, CLONE_NEWNET) as number) < 0) {
        // The thread would stay in the wrong namespace: nothing after this can be trusted.
        const e = kernelError('SYSTEM', 'return to the original network namespace', koffi().errno());
        process.emitWarning(e.message);
        throw e;
      }
    }
  } finally {
    if ('path' in netns && target >= 0) closeSync(target);
    closeSync(home);
  }
}

export interface OpenRtnlOptions {
  /** A network namespace file (/proc/PID/ns/net, /run/netns/NAME): the socket is made there and keeps acting there. */
  netnsPath?: string;
  /** The same as an open fd (not closed). */
  netnsFd?: number;
}

/**
 * A NETLINK_ROUTE socket, in the caller's network namespace or the one given. A socket
 * keeps the namespace it was created in, so the thread returns home at once.
 */
export function openRtnl(opts: OpenRtnlOptions = {}): NetlinkSocket {
  if (opts.netnsFd !== undefined) return new NetlinkSocket(inNetns({ fd: opts.netnsFd }, newSocket));
  if (opts.netnsPath !== undefined) return new NetlinkSocket(inNetns({ path: opts.netnsPath }, newSocket));
  return new NetlinkSocket(newSocket());
}
