import type { MapSpec } from '../../object/types.ts';
import { Errno, keyIndex, UpdateFlag, type VmMap } from './vm-map.ts';

/**
 * PROG_ARRAY: slot → program (function) name. Programs cannot look it up (the verifier
 * refuses), only bpf_tail_call through it. Host-side values are u32 indexes into the
 * object's program list (what `values` are when dumped); `setProgram` takes a name.
 */
export class ProgArrayMap implements VmMap {
  readonly spec: MapSpec;
  readonly index: number;
  readonly slots = new Map<number, string>();
  private readonly programNames: readonly string[];

  constructor(spec: MapSpec, index: number, programNames: readonly string[]) {
    this.spec = spec;
    this.index = index;
    this.programNames = programNames;
    for (const s of spec.initialSlots ?? []) if (s.key < spec.maxEntries) this.slots.set(s.key, s.name);
  }

  lookup(_key: Uint8Array): number {
    return 0;
  }

  setProgram(key: number, name: string | undefined): number {
    if (key >= this.spec.maxEntries) return -Errno.E2BIG;
    if (name === undefined) this.slots.delete(key);
    else this.slots.set(key, name);
    return 0;
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if ((flags & ~UpdateFlag.F_LOCK) > UpdateFlag.EXIST) return -Errno.EINVAL;
    const i = keyIndex(key);
    if (i >= this.spec.maxEntries) return -Errno.E2BIG;
    if ((flags & 3) === UpdateFlag.NOEXIST) return -Errno.EEXIST;
    const name = this.programNames[keyIndex(value)];
    if (name === undefined) return -Errno.EINVAL;
    this.slots.set(i, name);
    return 0;
  }

  delete(key: Uint8Array): number {
    const i = keyIndex(key);
    if (i >= this.spec.maxEntries) return -Errno.EINVAL;
    return this.slots.delete(i) ? 0 : -Errno.ENOENT;
  }

  entries(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    for (const [k, name] of [...this.slots].sort((a, b) => a[0] - b[0])) {
      const key = new Uint8Array(4), value = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, k, true);
      new DataView(value.buffer).setUint32(0, Math.max(0, this.programNames.indexOf(name)), true);
      out.push([key, value]);
    }
    return out;
  }
}
