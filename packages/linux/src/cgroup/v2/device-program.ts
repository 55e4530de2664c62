/**
 * The device allowlist of a cgroup v2 group: v2 has no devices.allow file, so the
 * kernel asks a BPF_PROG_TYPE_CGROUP_DEVICE program at every open and mknod of a device
 * node. The program is built here from the rules (as runc's devicefilter does) and is
 * pure data: what it allows is tested on its bytes, without a kernel.
 *
 * The program sees struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; },
 * access_type = (access << 16) | type, type 1 block / 2 char, access bits mknod 1,
 * read 2, write 4. It returns 1 to allow.
 * @module
 */
import type { DeviceRule } from '@vzkit/core';

const DEV_BLOCK = 1;
const DEV_CHAR = 2;
const ACC_MKNOD = 1;
const ACC_READ = 2;
const ACC_WRITE = 4;

// Instruction classes and operations (linux/bpf_common.h, linux/bpf.h).
const LDX_MEM_W = 0x61;
const ALU64_AND_K = 0x57;
const ALU64_RSH_K = 0x77;
const ALU64_MOV_K = 0xb7;
const ALU64_MOV_X = 0xbf;
const JMP_JNE_K = 0x55;
const JMP_EXIT = 0x95;

/** One 8-byte instruction: opcode, dst and src registers, offset, immediate. */
function insn(code: number, dst: number, src: number, off: number, imm: number): number[] {
  const b = Buffer.alloc(8);
  b.writeUInt8(code, 0);
  b.writeUInt8((src << 4) | dst, 1);
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm, 4);
  return [...b];
}

/** `rwm` → the access bits it allows. */
export function accessBits(access: string): number {
  return (access.includes('m') ? ACC_MKNOD : 0) | (access.includes('r') ? ACC_READ : 0) | (access.includes('w') ? ACC_WRITE : 0);
}

/**
 * The program for `rules`: r2 = type, r3 = access, r4 = major, r5 = minor; one block per
 * rule that returns 1 when everything matches and jumps to the next block otherwise;
 * 0 (deny) at the end.
 */
export function deviceProgram(rules: readonly DeviceRule[]): Uint8Array {
  const out: number[][] = [
    insn(LDX_MEM_W, 2, 1, 0, 0),
    insn(ALU64_AND_K, 2, 0, 0, 0xffff),
    insn(LDX_MEM_W, 3, 1, 0, 0),
    insn(ALU64_RSH_K, 3, 0, 0, 16),
    insn(LDX_MEM_W, 4, 1, 4, 0),
    insn(LDX_MEM_W, 5, 1, 8, 0),
  ];
  for (const rule of rules) {
    const block: Array<(skip: number) => number[]> = [];
    block.push((skip) => insn(JMP_JNE_K, 2, 0, skip, rule.type === 'b' ? DEV_BLOCK : DEV_CHAR));
    if (rule.major !== '*') block.push((skip) => insn(JMP_JNE_K, 4, 0, skip, rule.major as number));
    if (rule.minor !== '*') block.push((skip) => insn(JMP_JNE_K, 5, 0, skip, rule.minor as number));
    // The access asked for must lie within the rule's: (r3 & ~allowed) == 0.
    const denied = ~accessBits(rule.access) & (ACC_MKNOD | ACC_READ | ACC_WRITE);
    const tail = [insn(ALU64_MOV_K, 0, 0, 0, 1), insn(JMP_EXIT, 0, 0, 0, 0)];
    const accessCheck = [
      insn(ALU64_MOV_X, 1, 3, 0, 0),
      insn(ALU64_AND_K, 1, 0, 0, denied),
    ];
    const size = block.length + accessCheck.length + 1 + tail.length;
    block.forEach((make, i) => out.push(make(size - i - 1)));
    out.push(...accessCheck, insn(JMP_JNE_K, 1, 0, tail.length, 0), ...tail);
  }
  out.push(insn(ALU64_MOV_K, 0, 0, 0, 0), insn(JMP_EXIT, 0, 0, 0, 0));
  return Uint8Array.from(out.flat());
}

/**
 * Runs a program of deviceProgram's shape on one request (a tiny interpreter of the
 * opcodes above), so that tests check what it allows rather than its bytes.
 */
export function runDeviceProgram(program: Uint8Array, req: { type: 'c' | 'b'; major: number; minor: number; access: string }): number {
  const regs = new Array<number>(11).fill(0);
  const ctx = [((accessBits(req.access) << 16) | (req.type === 'b' ? DEV_BLOCK : DEV_CHAR)) >>> 0, req.major, req.minor];
  const view = Buffer.from(program);
  for (let pc = 0; pc * 8 < view.length; pc++) {
    const code = view.readUInt8(pc * 8);
    const dst = view.readUInt8(pc * 8 + 1) & 0xf;
    const src = view.readUInt8(pc * 8 + 1) >> 4;
    const off = view.readInt16LE(pc * 8 + 2);
    const imm = view.readInt32LE(pc * 8 + 4);
    switch (code) {
      case LDX_MEM_W: regs[dst] = ctx[off / 4]!; break;
      case ALU64_AND_K: regs[dst] = (regs[dst]! & imm) >>> 0; break;
      case ALU64_RSH_K: regs[dst] = regs[dst]! >>> imm; break;
      case ALU64_MOV_K: regs[dst] = imm; break;
      case ALU64_MOV_X: regs[dst] = regs[src]!; break;
      case JMP_JNE_K: if (regs[dst] !== imm) pc += off; break;
      case JMP_EXIT: return regs[0]!;
      default: throw new Error(`opcode ${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('the program ran off its end');
}
