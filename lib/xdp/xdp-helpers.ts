import type { HelperDef } from '../vm/helpers/helper-def.ts';
import { DevMap } from '../vm/maps/dev-map.ts';
import { CTX_ADDR } from '../vm/memory.ts';
import type { Vm } from '../vm/vm.ts';
import { BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, XdpAction } from './constants.ts';
import { adjustHead, adjustMeta, adjustTail } from './xdp-buffer.ts';

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

/** bpf_redirect(ifindex, flags): any flag → XDP_ABORTED; the ifindex is not validated. */
function redirect(vm: Vm): void {
  if (vm.L[2] !== 0 || vm.H[2] !== 0) { vm.ret(XdpAction.ABORTED); return; }
  vm.redirect = { ifindex: vm.L[1]! >>> 0, flags: 0 };
  vm.ret(XdpAction.REDIRECT);
}

/**
 * bpf_redirect_map(map, key, flags): flags outside (action mask 3 | BROADCAST |
 * EXCLUDE_INGRESS) → XDP_ABORTED; BROADCAST → XDP_REDIRECT without a lookup; a missing key →
 * flags & 3 (the fallback action).
 */
function redirectMap(vm: Vm): void {
  const m = vm.mapArg(1);
  if (m === undefined) return;
  const flags = vm.L[3]! >>> 0;
  if (vm.H[3] !== 0 || (flags & ~(3 | BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS)) !== 0) { vm.ret(XdpAction.ABORTED); return; }
  const key = vm.L[2]! >>> 0;
  if (!(flags & BPF_F_BROADCAST) || !(m instanceof DevMap)) {
    const k = new Uint8Array(4);
    new DataView(k.buffer).setUint32(0, key, true);
    const found = vm.H[2] === 0 && key < m.spec.maxEntries && m.lookup(k.subarray(0, Math.max(4, m.spec.keySize))) !== 0;
    if (!found) { vm.ret(flags & 3); return; }
  }
  vm.redirect = { map: m.spec.name, key, flags };
  vm.ret(XdpAction.REDIRECT);
}

export const XDP_HELPERS: readonly HelperDef[] = [
  { id: 23, name: 'redirect', fn: redirect },
  { id: 44, name: 'xdp_adjust_head', fn: xdpAdjustHead },
  { id: 51, name: 'redirect_map', fn: redirectMap },
  { id: 54, name: 'xdp_adjust_meta', fn: xdpAdjustMeta },
  { id: 65, name: 'xdp_adjust_tail', fn: xdpAdjustTail },
  { id: 188, name: 'xdp_get_buff_len', fn: xdpGetBuffLen },
];
