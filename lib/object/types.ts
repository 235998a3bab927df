import type { Instruction } from '../isa/instruction.ts';

/**
 * Plain-data description of a BPF object file, produced by `loadObject()` (object/load-object.ts)
 * and consumed by the VM. No VM state lives here. This file is the contract between the loader
 * and the engines: change it deliberately.
 */

/** Kernel map type numbers (enum bpf_map_type in include/uapi/linux/bpf.h). */
export const MapType = {
  UNSPEC: 0,
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  STACK_TRACE: 7,
  CGROUP_ARRAY: 8,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11,
  ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13,
  DEVMAP: 14,
  SOCKMAP: 15,
  CPUMAP: 16,
  XSKMAP: 17,
  SOCKHASH: 18,
  CGROUP_STORAGE: 19,
  REUSEPORT_SOCKARRAY: 20,
  PERCPU_CGROUP_STORAGE: 21,
  QUEUE: 22,
  STACK: 23,
  SK_STORAGE: 24,
  DEVMAP_HASH: 25,
  STRUCT_OPS: 26,
  RINGBUF: 27,
  INODE_STORAGE: 28,
  TASK_STORAGE: 29,
  BLOOM_FILTER: 30,
  USER_RINGBUF: 31,
  CGRP_STORAGE: 32,
  ARENA: 33,
} as const;
export type MapTypeNumber = (typeof MapType)[keyof typeof MapType];

/** Where a source line came from (BTF.ext line_info); `text` is the line itself as BTF stores it. */
export interface SourceLine {
  file: string;
  line: number;
  col: number;
  text: string;
}

export interface MapSpec {
  /** Map name as libbpf names it: the variable name for `.maps`/`maps`; `<obj8>.<sec>` style for global data is kept in `section`. */
  name: string;
  /** ELF section the definition came from: `.maps`, `maps`, `.data`, `.rodata`, `.bss`, `.rodata.foo`, … */
  section: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** BTF type ids of key and value, when BTF describes them. May be undefined. */
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  /** Global data: the section's initial bytes (zeros for .bss). Undefined for ordinary maps. */
  initialValue?: Uint8Array;
  /** True for `.rodata*` (and BPF_F_RDONLY_PROG maps): program writes fault. */
  readOnly: boolean;
  /** Map-in-map: the inner map's spec. */
  inner?: MapSpec;
  /** `.values` initialisers (PROG_ARRAY: program names; map-in-map: inner map names), by key. */
  initialSlots?: { key: number; name: string }[];
}

export interface ProgramSpec {
  /** Function symbol name (what `--prog` selects). */
  name: string;
  /** ELF section of the entry function, e.g. `xdp`, `xdp.frags`, `xdp/lb`. */
  section: string;
  /** True when libbpf's section rules make this an XDP program (`xdp`, `xdp.frags`, `xdp/…`). */
  isXdp: boolean;
  /** Section name says `xdp.frags`: the program accepts multi-buffer frames. */
  frags: boolean;
  /**
   * Linked instructions, slot-indexed: the entry function first, then every subprogram it
   * reaches (bpf-to-bpf calls and callbacks), like libbpf appends them. Relocations are
   * applied the way libbpf hands them to the kernel:
   *   - lddw map reference: `src = PseudoLd.MAP_FD`, `imm = index into ObjectSpec.maps`;
   *   - lddw map value (global data): `src = PseudoLd.MAP_VALUE`, `imm = map index`,
   *     `imm64` high half = byte offset into the value (so `imm64 >> 32n` is the offset);
   *   - calls: `src = PseudoCall.CALL`, `imm` = target - (pc + 1);
   *   - lddw of a function (callbacks): `src = PseudoLd.FUNC`, `imm` = target - (pc + 1).
   */
  insns: Instruction[];
  /** Functions laid out in `insns`: start slot and name, sorted by start. The first is the entry. */
  funcs: { insn: number; name: string }[];
  /** Source line per slot where BTF.ext has one (sparse: look back to the nearest defined entry). */
  lines: (SourceLine | undefined)[];
}

export interface ObjectSpec {
  /** Object name: file basename without `.o`/`.bpf.o` (libbpf's obj name). */
  name: string;
  license: string;
  programs: ProgramSpec[];
  /** Every map, including global-data maps; LDDW relocations index into this array. */
  maps: MapSpec[];
  /** Parsed BTF, if the object has a `.BTF` section. May be undefined. */
  btf?: import('./btf.ts').Btf;
}
