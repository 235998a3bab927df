import { instructionFormatter } from '../isa/disasm.ts';
import { HELPER_NAMES } from '../isa/helper-ids.ts';
import type { SourceLine } from '../object/types.ts';
import { actionName } from '../replay/annotate.ts';
import type { ProgramImage } from '../vm/verify.ts';
import type { TraceHook, Vm } from '../vm/vm.ts';
import type { XdpProgram, XdpResult } from '../xdp/xdp-program.ts';
import { formatMapBytes, hex, mapOfHandle, readBytes, regValue } from './vm-view.ts';

/**
 * Per-instruction trace of one packet through the reference interpreter, as events:
 * every executed instruction (slot, disassembly, source line where it changes, registers it
 * changed old → new), helper calls (arguments, return value), map operations (key, value,
 * BTF-formatted) and memory stores (region, address, bytes). Built entirely on the VM's
 * per-instruction hook: an instruction's effects are read when the next one starts (or at
 * `end()`), so the VM needs no other hook.
 *
 * JSON keys follow bpftool's linum listing where they overlap (`src`, `file`, `line_num`, `line_col`).
 */

export type TraceEvent =
  | { type: 'packet'; packet: number; program: string; len: number }
  | { type: 'insn'; packet: number; program: string; pc: number; insn: string; func?: string; src?: string; file?: string; line_num?: number; line_col?: number; regs?: Record<string, [string, string]> }
  | { type: 'call'; packet: number; pc: number; helper: string; id: number; args: string[]; ret: string }
  | { type: 'map'; packet: number; pc: number; op: 'lookup' | 'update' | 'delete'; map: string; key: string; value?: string; flags?: number; ret: string }
  | { type: 'store'; packet: number; pc: number; region: string; at: string; addr: string; size: number; bytes: string }
  | { type: 'exit'; packet: number; action: number; insns: number; exitInsn: number; fault?: string; notRun?: string };

/** Arguments each common helper takes (others print r1..r5). */
const HELPER_ARITY: Readonly<Record<number, number>> = {
  1: 2, 2: 4, 3: 2, 5: 0, 6: 5, 7: 0, 8: 0, 12: 3, 23: 2, 28: 5, 44: 2, 51: 3, 54: 2, 65: 2, 69: 4,
};

interface Pending {
  image: ProgramImage;
  pc: number;
  L: Int32Array;
  H: Int32Array;
  event: TraceEvent & { type: 'insn' };
  call?: { id: number; args: string[]; map?: { name: string; op: 'lookup' | 'update' | 'delete'; key: string; value?: string; flags?: number; valueSize: number; specIndex: number } };
  store?: { addr: number; size: number; region: string; at: string };
}

const STORE_OPS = new Set([0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb]);

function storeSize(code: number): number {
  if (code === 0xc3) return 4;
  if (code === 0xdb) return 8;
  const s = code & 0x18;
  return s === 0x00 ? 4 : s === 0x08 ? 2 : s === 0x10 ? 1 : 8;
}

export class Tracer {
  readonly hook: TraceHook;
  private readonly vm: Vm;
  private readonly program: XdpProgram;
  private readonly emit: (e: TraceEvent) => void;
  private readonly texts = new Map<ProgramImage, (string | undefined)[]>();
  private readonly format: (image: ProgramImage, pc: number) => string;
  private pending: Pending | undefined;
  private lastLine: SourceLine | undefined;
  private lastImage: ProgramImage | undefined;
  private readonly funcStarts = new Map<ProgramImage, Map<number, string>>();
  private packetId = 0;
  /** Instructions seen for the current packet. */
  count = 0;

  constructor(program: XdpProgram, emit: (e: TraceEvent) => void) {
    this.program = program;
    this.vm = program.vm;
    this.emit = emit;
    const maps = program.object.maps;
    const formatters = new Map<ProgramImage, (insns: ProgramImage['spec']['insns'], pc: number) => string>();
    this.format = (image, pc) => {
      let cache = this.texts.get(image);
      if (cache === undefined) { cache = []; this.texts.set(image, cache); }
      let fmt = formatters.get(image);
      if (fmt === undefined) {
        const names = new Map(image.funcs.map((f) => [f.insn, f.name]));
        fmt = instructionFormatter({ helperNames: true, mapName: (i) => maps[i]?.name, funcName: (target) => names.get(target) });
        formatters.set(image, fmt);
      }
      return (cache[pc] ??= fmt(image.spec.insns, pc));
    };
    this.hook = (pc, image, L, H) => {
      if (this.pending !== undefined) this.finish(L, H);
      this.start(pc, image, L, H);
    };
  }

  /** Call before running packet `packetId` (with `hook` installed). */
  begin(packetId: number, len: number): void {
    this.packetId = packetId;
    this.pending = undefined;
    this.lastLine = undefined;
    this.lastImage = undefined;
    this.count = 0;
    this.emit({ type: 'packet', packet: packetId, program: this.program.program.name, len });
  }

  /** Call after the run: flushes the last instruction and emits the exit event. */
  end(result: XdpResult): void {
    if (this.pending !== undefined) this.finish(this.vm.L, this.vm.H);
    this.pending = undefined;
    const exit: TraceEvent = { type: 'exit', packet: this.packetId, action: result.action, insns: result.insns, exitInsn: result.exitInsn };
    if (result.fault !== undefined) exit.fault = result.fault.message;
    if (result.notRun !== undefined) exit.notRun = result.notRun;
    this.emit(exit);
  }

  private start(pc: number, image: ProgramImage, L: Int32Array, H: Int32Array): void {
    this.count++;
    const event: TraceEvent & { type: 'insn' } = { type: 'insn', packet: this.packetId, program: image.name, pc, insn: this.format(image, pc) };
    let starts = this.funcStarts.get(image);
    if (starts === undefined) { starts = new Map(image.funcs.map((f) => [f.insn, f.name])); this.funcStarts.set(image, starts); }
    const func = starts.get(pc) ?? (image !== this.lastImage ? image.name : undefined);
    if (func !== undefined) event.func = func;
    this.lastImage = image;
    const line = image.lines[pc];
    const last = this.lastLine;
    if (line !== undefined && (last === undefined || last.line !== line.line || last.file !== line.file || last.col !== line.col)) {
      if (last === undefined || last.line !== line.line || last.file !== line.file) {
        event.src = line.text.trimStart();
        event.file = line.file;
        event.line_num = line.line;
        event.line_col = line.col;
      }
      this.lastLine = line;
    }
    const p: Pending = { image, pc, L: L.slice(), H: H.slice(), event };
    const code = image.op[pc]!;
    if (code === 0x85 && image.src[pc] === 0) p.call = this.startCall(image.imm[pc]!, L, H);
    else if (STORE_OPS.has(code)) {
      const d = image.dst[pc]!;
      const size = storeSize(code);
      if (H[d] === 0) {
        const addr = (L[d]! >>> 0) + image.off[pc]!;
        p.store = { addr, size, ...this.where(addr) };
      }
    }
    this.pending = p;
  }

  private startCall(id: number, L: Int32Array, H: Int32Array): Pending['call'] {
    const arity = HELPER_ARITY[id] ?? 5;
    const args = Array.from({ length: arity }, (_, k) => `0x${regValue(L, H, k + 1).toString(16)}`);
    const call: NonNullable<Pending['call']> = { id, args };
    if (id >= 1 && id <= 3 && H[1] === 0) {
      const m = mapOfHandle(this.vm, L[1]!);
      if (m !== undefined) {
        const op = id === 1 ? 'lookup' : id === 2 ? 'update' : 'delete';
        const keyBytes = H[2] === 0 ? readBytes(this.vm, L[2]! >>> 0, m.spec.keySize) : undefined;
        const key = keyBytes === undefined ? '?' : formatMapBytes(this.program.object, m.spec, 'key', keyBytes);
        call.map = { name: m.spec.name, op, key, valueSize: m.spec.valueSize, specIndex: m.index };
        if (id === 2) {
          const v = H[3] === 0 ? readBytes(this.vm, L[3]! >>> 0, m.spec.valueSize) : undefined;
          call.map.value = v === undefined ? '?' : formatMapBytes(this.program.object, m.spec, 'value', v);
          call.map.flags = L[4]! >>> 0;
        }
      }
    }
    return call;
  }

  /** Region name and a readable location (`fp-16`, `pkt+12`, `stats+8`) of an address. */
  private where(addr: number): { region: string; at: string } {
    const vm = this.vm;
    for (const r of vm.mem.regions) {
      if (addr < r.start || addr >= r.end) continue;
      if (r.kind === 'stack') return { region: r.name, at: `fp${addr - r.end}` };
      if (r.kind === 'packet') return { region: 'packet', at: `pkt${addr >= vm.packet.data ? '+' : ''}${addr - vm.packet.data}` };
      return { region: r.name, at: `${r.name}+${addr - r.start}` };
    }
    return { region: vm.mem.regionNear(addr), at: `0x${addr.toString(16)}` };
  }

  private finish(L: Int32Array, H: Int32Array): void {
    const p = this.pending!;
    this.pending = undefined;
    const e = p.event;
    for (let r = 0; r <= 10; r++) {
      if (p.L[r] === L[r] && p.H[r] === H[r]) continue;
      (e.regs ??= {})[`r${r}`] = [`0x${regValue(p.L, p.H, r).toString(16)}`, `0x${regValue(L, H, r).toString(16)}`];
    }
    this.emit(e);
    const packet = this.packetId, pc = p.pc;
    if (p.call !== undefined) {
      const c = p.call;
      const ret = `0x${regValue(L, H, 0).toString(16)}`;
      this.emit({ type: 'call', packet, pc, helper: `bpf_${HELPER_NAMES[c.id] ?? `helper_${c.id}`}`, id: c.id, args: c.args, ret });
      if (c.map !== undefined) {
        const m = c.map;
        const ev: TraceEvent & { type: 'map' } = { type: 'map', packet, pc, op: m.op, map: m.name, key: m.key, ret };
        if (m.op === 'lookup') {
          const spec = this.vm.maps[m.specIndex]!.spec;
          const v = H[0] === 0 && L[0] !== 0 ? readBytes(this.vm, L[0]! >>> 0, m.valueSize) : undefined;
          if (v !== undefined) ev.value = formatMapBytes(this.program.object, spec, 'value', v);
        } else if (m.value !== undefined) ev.value = m.value;
        if (m.flags !== undefined) ev.flags = m.flags;
        this.emit(ev);
      }
    }
    if (p.store !== undefined && this.vm.fault?.pc !== pc) {
      const s = p.store;
      const bytes = readBytes(this.vm, s.addr, s.size);
      if (bytes !== undefined) this.emit({ type: 'store', packet, pc, region: s.region, at: s.at, addr: `0x${s.addr.toString(16)}`, size: s.size, bytes: hex(bytes) });
    }
  }
}

/** Human text of one event (one or more lines, no trailing newline). */
export function formatTraceEvent(e: TraceEvent): string {
  switch (e.type) {
    case 'packet': return `#${e.packet} ${e.program} (${e.len} bytes)`;
    case 'insn': {
      const src = e.src !== undefined ? `; ${e.src} [${(e.file ?? '').replace(/^\.\//, '')}:${e.line_num ?? 0}]\n` : '';
      const regs = e.regs === undefined ? '' : Object.entries(e.regs).map(([r, [a, b]]) => `${r} ${a} → ${b}`).join(', ');
      const text = `${String(e.pc).padStart(5)}: ${e.insn}`;
      return `${e.func !== undefined ? `${e.func}:\n` : ''}${src}${regs === '' ? text : `${text.padEnd(48)} ${regs}`}`;
    }
    case 'call': return `       call ${e.helper}(${e.args.join(', ')}) = ${e.ret}`;
    case 'map': return `       map ${e.map} ${e.op} key ${e.key}${e.value !== undefined ? ` value ${e.value}` : e.op === 'lookup' ? ' → not found' : ''}${e.op !== 'lookup' ? ` → ${e.ret === '0x0' ? 'ok' : `error ${e.ret}`}` : ''}`;
    case 'store': return `       store ${e.size} bytes at ${e.at} [${e.region} ${e.addr}]: ${e.bytes.replace(/(..)(?!$)/g, '$1 ')}`;
    case 'exit': return e.notRun !== undefined ? `#${e.packet} not run: ${e.notRun}` : `#${e.packet} → ${actionName(e.action)} after ${e.insns} insns (exit insn ${e.exitInsn})${e.fault !== undefined ? ` fault: ${e.fault}` : ''}`;
  }
}
