import { formatBtfValue, stringifyFormatted } from '../object/btf-format.ts';
import type { MapSpec, ObjectSpec, SourceLine } from '../object/types.ts';
import { MAP_HANDLE_BASE, MAP_HANDLE_STRIDE } from '../vm/memory.ts';
import type { VmMap } from '../vm/maps/vm-map.ts';
import type { Vm } from '../vm/vm.ts';
import type { EvalEnv } from './expr.ts';

/** Read-only views of a stopped VM shared by the tracer and breakpoints (no I/O, no state). */

export function hex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += bytes[i]!.toString(16).padStart(2, '0');
  return s;
}

/** 64-bit register value as an unsigned bigint. */
export function regValue(L: Int32Array, H: Int32Array, r: number): bigint {
  return (BigInt(H[r]! >>> 0) << 32n) | BigInt(L[r]! >>> 0);
}

export function hexValue(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** Key or value bytes as BTF-formatted JSON text where BTF describes the type, else hex. */
export function formatMapBytes(object: ObjectSpec, spec: MapSpec, which: 'key' | 'value', bytes: Uint8Array): string {
  const typeId = which === 'key' ? spec.btfKeyTypeId : spec.btfValueTypeId;
  if (object.btf !== undefined && typeId !== undefined && typeId !== 0) {
    try {
      return stringifyFormatted(formatBtfValue(object.btf, typeId, bytes));
    } catch {
      // fall through to hex: a BTF type we cannot format is not worth failing a trace for
    }
  }
  return hex(bytes);
}

/** The map behind a map-handle register value, if it is one. */
export function mapOfHandle(vm: Vm, value: number): VmMap | undefined {
  const i = ((value >>> 0) - MAP_HANDLE_BASE) / MAP_HANDLE_STRIDE;
  return Number.isInteger(i) && i >= 0 && i < vm.maps.length ? vm.maps[i] : undefined;
}

/** Copy `size` bytes at `addr` if every byte is inside a region, else undefined. */
export function readBytes(vm: Vm, addr: number, size: number): Uint8Array | undefined {
  if (!Number.isSafeInteger(addr) || addr < 0 || size <= 0) return undefined;
  for (const r of vm.mem.regions) if (addr >= r.start && addr + size <= r.end) return vm.mem.u8.slice(addr, addr + size);
  return undefined;
}

function leBytes(v: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size && i < 8; i++) out[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

function leValue(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = Math.min(bytes.length, 8) - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

export function findMap(vm: Vm, name: string): VmMap | undefined {
  return vm.maps.find((m) => m.spec.name === name) ?? vm.maps.find((m) => m.spec.section === name);
}

/** Look `key` (an integer, little-endian at the key size) up without side effects on LRU order where avoidable. */
export function lookupValue(vm: Vm, map: VmMap, key: bigint): Uint8Array | undefined {
  const a = map.lookup(leBytes(key, map.spec.keySize));
  return a === 0 ? undefined : vm.mem.u8.slice(a, a + map.spec.valueSize);
}

/** Expression environment over the VM's current registers, memory, packet and maps. */
export function vmEnv(vm: Vm, L: Int32Array, H: Int32Array): EvalEnv {
  return {
    reg: (n) => regValue(L, H, n),
    load: (addr, size) => {
      if (addr > 0xffffffffn) return undefined;
      const b = readBytes(vm, Number(addr), size);
      return b === undefined ? undefined : leValue(b);
    },
    pkt: (offset, size) => {
      const p = vm.packet;
      if (offset > 0xffffffffn) return undefined;
      const a = p.data + Number(offset);
      if (a + size > p.dataEnd) return undefined;
      let v = 0n;
      for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(vm.mem.u8[a + i]!);
      return v;
    },
    map: (name, key) => {
      const m = findMap(vm, name);
      if (m === undefined) return undefined;
      const b = lookupValue(vm, m, key);
      return b === undefined ? 0n : leValue(b);
    },
  };
}

/** `file:line` of a source line as users read it (leading `./` dropped). */
export function lineLabel(line: SourceLine | undefined): string {
  return line === undefined ? '?' : `${line.file.replace(/^\.\//, '')}:${line.line}`;
}
