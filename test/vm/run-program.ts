import type { Instruction } from '../../lib/isa/instruction.ts';
import { assembleText } from '../../lib/isa/assemble-text.ts';
import { decodeInstructions } from '../../lib/isa/instruction.ts';
import type { MapSpec, ObjectSpec } from '../../lib/object/types.ts';
import { toU64 } from '../../lib/vm/arith64.ts';
import { loadXdpProgram, type XdpLoadOptions, type XdpProgram, type XdpResult } from '../../lib/xdp/xdp-program.ts';

/**
 * Run hand-made instructions in the VM (test helper). Like the bpf_conformance harness, the
 * program starts with r1 = pointer to `mem` (the packet data) and r2 = its length: a 3-insn
 * prologue (`r2 = ctx->data_end; r1 = ctx->data; r2 -= r1`) is prepended, so fault and exit
 * instruction indexes are the test's own index + PROLOGUE.
 */
export const PROLOGUE = 3;

/** Engines every VM test runs on. */
export const ENGINES = ['interp', 'wasm'] as const;
export type Engine = (typeof ENGINES)[number];

/** runAsm bound to one engine (tests shadow `runAsm` with this inside their engine loop). */
export function onEngine(engine: Engine): typeof runAsm {
  return (insns, mem = [], options = {}) => runAsm(insns, mem, { ...options, engine });
}

export interface AsmRun {
  result: XdpResult;
  /** r0 as an unsigned 64-bit value. */
  r0: bigint;
  prog: XdpProgram;
}

export function programFrom(insns: Instruction[] | string, maps: MapSpec[] = [], options: XdpLoadOptions = {}): XdpProgram {
  const body = typeof insns === 'string' ? assembleText(insns) : insns;
  const prologue = decodeInstructions(Uint8Array.from([
    0x61, 0x12, 0x04, 0x00, 0, 0, 0, 0, // r2 = *(u32 *)(r1 + 4)
    0x61, 0x11, 0x00, 0x00, 0, 0, 0, 0, // r1 = *(u32 *)(r1 + 0)
    0x1f, 0x12, 0x00, 0x00, 0, 0, 0, 0, // r2 -= r1
  ]));
  const object: ObjectSpec = {
    name: 'test', license: 'GPL', maps,
    programs: [{ name: 'test', section: 'xdp', isXdp: true, frags: false, insns: [...prologue, ...body], funcs: [{ insn: 0, name: 'test' }], lines: [] }],
  };
  return loadXdpProgram(object, options);
}

export function runAsm(insns: Instruction[] | string, mem: Uint8Array | number[] = [], options: XdpLoadOptions & { maps?: MapSpec[] } = {}): AsmRun {
  const prog = programFrom(insns, options.maps ?? [], options);
  const bytes = Uint8Array.from(mem);
  const frame = new Uint8Array(Math.max(14, bytes.length));
  frame.set(bytes);
  const result = prog.run(frame);
  return { result, r0: toU64(prog.vm.L[0]!, prog.vm.H[0]!), prog };
}

export function hexBytes(text: string): number[] {
  return text.trim() === '' ? [] : text.trim().split(/\s+/).map((b) => parseInt(b, 16));
}
