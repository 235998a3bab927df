import type { SourceLine } from '../object/types.ts';

/**
 * A fault of the program under test: a value on the run result (the packet gets XDP_ABORTED),
 * never an exception. The kernel's verifier would have refused most of these programs; we
 * stop where the kernel would have had undefined behaviour and say exactly where.
 */
export type VmFaultKind =
  | 'out-of-bounds' // access outside every region (incl. NULL page, guards, map handles)
  | 'read-only' // write to .rodata / a read-only map value
  | 'ctx-access' // context access other than an aligned u32 load of a readable field
  | 'budget' // instruction budget exhausted (endless loop)
  | 'call-depth' // more than 8 nested bpf-to-bpf frames
  | 'bad-helper-arg'; // a helper got a pointer/map argument the verifier would have refused

export interface VmFault {
  kind: VmFaultKind;
  /** Instruction slot index of the faulting instruction (in `program`). */
  pc: number;
  /** Program (function symbol) whose image holds `pc`; differs from the entry after a tail call. */
  program: string;
  /** Virtual address of the access (0 when not a memory fault). */
  addr: number;
  /** Access size in bytes (0 when not a memory fault). */
  size: number;
  /** Region name at or near `addr` ('stack[0]', 'packet', 'null', 'unmapped (after …)'). */
  region: string;
  line?: SourceLine;
  /** Human-readable one-liner. */
  message: string;
}

/** translate() result codes. */
export const FaultCode = { OK: 0, OUT_OF_BOUNDS: 1, READ_ONLY: 2, CTX: 3 } as const;

export function faultKindOf(code: number): VmFaultKind {
  return code === FaultCode.READ_ONLY ? 'read-only' : code === FaultCode.CTX ? 'ctx-access' : 'out-of-bounds';
}
