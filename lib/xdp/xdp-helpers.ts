import type { HelperDef } from '../vm/helpers/helper-def.ts';
import { DevMap } from '../vm/maps/dev-map.ts';
import { DevMapHash, TargetArrayMap } from '../vm/maps/redirect-maps.ts';
import type { VmMap } from '../vm/maps/vm-map.ts';
import { CTX_ADDR } from '../vm/memory.ts';
import type { Vm } from '../vm/vm.ts';
import { BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, XdpAction } from './constants.ts';
import { adjustHead, adjustMeta, adjustTail, ownFrags } from './xdp-buffer.ts';
import { deviceMtu } from './xdp-devices.ts';

/** XDP-only helpers: buffer adjustments and redirects (recorded, never performed). */

function ctxArg(vm: Vm): boolean {
  if (vm.L[1] === CTX_ADDR && vm.H[1] === 0) return true;
  vm.setFault('bad-helper-arg', vm.L[1]! >>> 0, 0, 'r1 is not the xdp_md context');
  return false;
}

function xdpAdjustHead(vm: Vm): void {
  if (ctxArg(vm)) vm.ret(adjustHead(vm, vm.L[2]!));
}

function xdpAdjustMeta(vm: Vm): void {
  if (ctxArg(vm)) vm.ret(adjustMeta(vm, vm.L[2]!));
}

function xdpAdjustTail(vm: Vm): void {
  if (ctxArg(vm)) vm.ret(adjustTail(vm, vm.L[2]!));
}

function xdpGetBuffLen(vm: Vm): void {
  if (ctxArg(vm)) vm.ret(vm.packet.dataEnd - vm.packet.data + vm.packet.frags.length);
}

/** Byte `i` of the whole frame (linear part, then fragments) is read/written through these. */
function frameCopy(vm: Vm, offset: number, buf: Uint8Array, store: boolean): void {
  const p = vm.packet, u8 = vm.mem.u8;
  const linear = p.dataEnd - p.data;
  let i = 0;
  for (; i < buf.length && offset + i < linear; i++) {
    if (store) u8[p.data + offset + i] = buf[i]!; else buf[i] = u8[p.data + offset + i]!;
  }
  if (i === buf.length) return;
  const frags = store ? ownFrags(vm) : p.frags;
  for (; i < buf.length; i++) {
    const f = offset + i - linear;
    if (store) frags[f] = buf[i]!; else buf[i] = frags[f]!;
  }
}

/**
 * bpf_xdp_load_bytes / bpf_xdp_store_bytes(ctx, offset, buf, len) over the whole frame
 * (linear part and fragments, as bpf_xdp_copy_buf): offset or len > 0xffff → -EFAULT,
 * offset + len past the frame → -EINVAL, else 0.
 */
function xdpLoadStore(vm: Vm, store: boolean): void {
  if (!ctxArg(vm)) return;
  const offset = vm.L[2]! >>> 0, len = vm.L[4]! >>> 0;
  const buf = vm.argBytes(3, len, !store);
  if (buf === undefined) return;
  if (offset > 0xffff || len > 0xffff) { vm.ret(-14); return; }
  const p = vm.packet;
  if (offset + len > p.dataEnd - p.data + p.frags.length) { vm.ret(-22); return; }
  // The helper's buffer may overlap the packet: copy through a temporary.
  const tmp = store ? buf.slice() : new Uint8Array(len);
  frameCopy(vm, offset, tmp, store);
  if (!store) buf.set(tmp);
  vm.ret(0);
}

function xdpLoadBytes(vm: Vm): void {
  xdpLoadStore(vm, false);
}

function xdpStoreBytes(vm: Vm): void {
  xdpLoadStore(vm, true);
}

/** L2 header length the kernel adds to a device's (L3) MTU: loopback and Ethernet alike. */
const HARD_HEADER_LEN = 14;

/**
 * bpf_check_mtu(ctx, ifindex, *mtu_len, len_diff, flags), XDP variant: flags → -EINVAL;
 * ifindex 0 = the receiving device; unknown device → -ENODEV. Checks (*mtu_len ? *mtu_len + 14
 * : data_end − data) + len_diff against mtu + 14 (linear part only, as the kernel), writes the
 * device MTU to *mtu_len and returns 0 (BPF_MTU_CHK_RET_SUCCESS) or 1 (FRAG_NEEDED). Devices:
 * see deviceMtu() — the test run's receiving device is loopback, MTU 65536.
 */
function checkMtu(vm: Vm): void {
  if (!ctxArg(vm)) return;
  if (vm.L[5] !== 0 || vm.H[5] !== 0) { vm.ret(-22); return; }
  const mtuLen = vm.argBytes(3, 4, true);
  if (mtuLen === undefined) return;
  const ifindex = vm.L[2]! >>> 0;
  const mtu = deviceMtu(vm, ifindex === 0 ? vm.ifindex : ifindex);
  if (mtu === undefined) { vm.ret(-19); return; }
  const dv = new DataView(mtuLen.buffer, mtuLen.byteOffset, 4);
  const given = dv.getUint32(0, true);
  let len = given !== 0 ? (given + HARD_HEADER_LEN) | 0 : vm.packet.dataEnd - vm.packet.data;
  len = (len + vm.L[4]!) | 0;
  dv.setUint32(0, mtu, true);
  vm.ret(len > mtu + HARD_HEADER_LEN ? 1 : 0);
}

/** bpf_redirect(ifindex, flags): any flag → XDP_ABORTED; the ifindex is not validated. */
function redirect(vm: Vm): void {
  if (vm.L[2] !== 0 || vm.H[2] !== 0) { vm.ret(XdpAction.ABORTED); return; }
  vm.redirect = { ifindex: vm.L[1]! >>> 0, flags: 0 };
  vm.ret(XdpAction.REDIRECT);
}

/** Whether a redirect map has a target under `key` (DEVMAP, DEVMAP_HASH, CPUMAP, XSKMAP; other maps: a value). */
function hasTarget(m: VmMap, key: number): boolean {
  if (m instanceof DevMap || m instanceof DevMapHash || m instanceof TargetArrayMap) return m.has(key);
  if (key >= m.spec.maxEntries) return false;
  const k = new Uint8Array(Math.max(4, m.spec.keySize));
  new DataView(k.buffer).setUint32(0, key, true);
  return m.lookup(k) !== 0;
}

/**
 * bpf_redirect_map(map, key, flags): flags outside the action mask (3) — plus BPF_F_BROADCAST |
 * BPF_F_EXCLUDE_INGRESS for DEVMAP / DEVMAP_HASH — → XDP_ABORTED; BROADCAST → XDP_REDIRECT
 * without a lookup; a key without a target → flags & 3 (the fallback action).
 */
function redirectMap(vm: Vm): void {
  const m = vm.mapArg(1);
  if (m === undefined) return;
  const flags = vm.L[3]! >>> 0;
  const devices = m instanceof DevMap || m instanceof DevMapHash;
  const allowed = 3 | (devices ? BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS : 0);
  if (vm.H[3] !== 0 || (flags & ~allowed) !== 0) { vm.ret(XdpAction.ABORTED); return; }
  const key = vm.L[2]! >>> 0;
  if (!(devices && (flags & BPF_F_BROADCAST)) && !(vm.H[2] === 0 && hasTarget(m, key))) { vm.ret(flags & 3); return; }
  vm.redirect = { map: m.spec.name, key, flags };
  vm.ret(XdpAction.REDIRECT);
}

export const XDP_HELPERS: readonly HelperDef[] = [
  { id: 23, name: 'redirect', fn: redirect },
  { id: 44, name: 'xdp_adjust_head', fn: xdpAdjustHead },
  { id: 51, name: 'redirect_map', fn: redirectMap },
  { id: 54, name: 'xdp_adjust_meta', fn: xdpAdjustMeta },
  { id: 65, name: 'xdp_adjust_tail', fn: xdpAdjustTail },
  { id: 163, name: 'check_mtu', fn: checkMtu },
  { id: 188, name: 'xdp_get_buff_len', fn: xdpGetBuffLen },
  { id: 189, name: 'xdp_load_bytes', fn: xdpLoadBytes },
  { id: 190, name: 'xdp_store_bytes', fn: xdpStoreBytes },
];
