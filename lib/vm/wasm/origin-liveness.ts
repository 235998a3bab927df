import type { ProgramImage } from '../verify.ts';

/**
 * Which registers' verdict origins (Vm.origin) can still reach r0's origin at an `exit`, per
 * instruction: a backward liveness fixpoint over the origin moves the interpreter makes
 * (mov of a register copies its origin; mov of an immediate, lddw, loads and helper calls
 * (r0) set a new one; every other instruction leaves origins alone). The compiler skips the
 * origin update of an instruction whose destination origin is dead after it: no exit can
 * report it. Only r0's origin at exit is read (XdpProgram.run's verdictInsn), so the others are
 * left unspecified by the compiled engine. A bpf-to-bpf call or callx keeps every origin live.
 *
 * Returns live-out bit masks (bit r = register r) per pc.
 */
export function originLiveOut(image: ProgramImage): Uint16Array {
  const n = image.length;
  const liveIn = new Uint16Array(n);
  const liveOut = new Uint16Array(n);
  const ALL = 0x7ff;
  for (let changed = true; changed;) {
    changed = false;
    for (let pc = n - 1; pc >= 0; pc--) {
      const op = image.op[pc]!, d = image.dst[pc]!, s = image.src[pc]!, cls = op & 7;
      if (pc > 0 && image.op[pc - 1] === 0x18) continue; // an lddw's second slot (op 0)
      const at = (to: number): number => (to >= 0 && to < n ? liveIn[to]! : 0);
      let out = 0, inn: number;
      if (op === 0x95) inn = 1;
      else if ((op === 0x85 && s !== 0) || op === 0x8d) inn = ALL;
      else {
        if (op === 0x18) out = at(pc + 2);
        else if (op === 0x05) out = at(pc + image.off[pc]! + 1);
        else if (op === 0x06) out = at(pc + image.imm[pc]! + 1);
        else if ((cls === 5 || cls === 6) && op !== 0x85) out = at(pc + image.off[pc]! + 1) | at(pc + 1);
        else out = at(pc + 1);
        const bit = 1 << d;
        if (op === 0x85) inn = out & ~1;
        else if ((cls === 7 || cls === 4) && (op & 0xf0) === 0xb0) {
          if ((op & 0x08) !== 0) inn = d === s ? out : (out & ~bit) | (out & bit ? 1 << s : 0);
          else inn = out & ~bit;
        } else if (op === 0x18 || cls === 1) inn = out & ~bit;
        else inn = out;
      }
      if (inn !== liveIn[pc] || out !== liveOut[pc]) { liveIn[pc] = inn; liveOut[pc] = out; changed = true; }
    }
  }
  return liveOut;
}
