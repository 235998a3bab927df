import { CTX_ADDR, PACKET_PAGE_ADDR, PACKET_PAGE_SIZE } from '../vm/memory.ts';
import type { Vm } from '../vm/vm.ts';
import { ETH_HLEN, MAX_LINEAR, MAX_META_LEN, PAGE_SIZE, SKB_SHARED_INFO_SIZE, XDP_FRAME_SIZE, XDP_PACKET_HEADROOM, XdpMd } from './constants.ts';

/**
 * The XDP packet buffer as the kernel's BPF_PROG_TEST_RUN lays it out (see
 * shared/kernel-facts.md): a zeroed 4096-byte page, the frame at offset 256, the first 40
 * bytes never claimable, the last 320 bytes reserved for skb_shared_info, so at most 3520
 * linear bytes. A longer frame keeps its first 3520 bytes linear and the rest as fragments
 * (as the kernel does even for programs without xdp.frags); the fragments are carried to the
 * output and count for bpf_xdp_adjust_tail (which shrinks them first and grows the last one
 * within its 4096-byte page, like the kernel).
 *
 * Page bytes outside the frame are zeroed when a window move (adjust_head/meta/tail) first
 * exposes them in a run (lowWater/highWater: the lowest/highest byte exposed so far), so new
 * head or tail bytes read as zero like in a fresh kernel page, and a plain run zeroes nothing.
 */

const HARD_START = PACKET_PAGE_ADDR;
const HARD_END = PACKET_PAGE_ADDR + PACKET_PAGE_SIZE - SKB_SHARED_INFO_SIZE;
const DATA0 = PACKET_PAGE_ADDR + XDP_PACKET_HEADROOM;

/** Lay `frame` out in the page and fill the context; frame.length must be ≥ 14. */
export function setupFrame(vm: Vm, frame: Uint8Array, ifindex: number, rxQueue: number): void {
  const linear = frame.length < MAX_LINEAR ? frame.length : MAX_LINEAR;
  vm.mem.u8.set(linear === frame.length ? frame : frame.subarray(0, linear), DATA0);
  layOut(vm, linear, linear === frame.length ? EMPTY : frame.subarray(linear), ifindex, rxQueue);
}

/**
 * setupFrame() for a frame already in the VM's store, `length` bytes at `addr` (outside every
 * region: XdpProgram's host area). The per-packet path of a replay: a copy within one buffer
 * (copyWithin) costs a third of a copy between two (a view and set()).
 */
export function setupFrameAt(vm: Vm, addr: number, length: number, ifindex: number, rxQueue: number): void {
  const linear = length < MAX_LINEAR ? length : MAX_LINEAR;
  const u8 = vm.mem.u8;
  u8.copyWithin(DATA0, addr, addr + linear);
  // Fragments are copied out of the host area (it is refilled while a result may hold them).
  layOut(vm, linear, linear === length ? EMPTY : u8.slice(addr + linear, addr + length), ifindex, rxQueue);
}

/** The window and context of a frame whose `linear` bytes are at DATA0, with `frags` beyond them. */
function layOut(vm: Vm, linear: number, frags: Uint8Array, ifindex: number, rxQueue: number): void {
  const p = vm.packet;
  // Bytes of the page outside the new frame may hold an earlier packet's bytes: they are zeroed
  // when the window first grows over them (syncCtx), not here, so a plain run never fills.
  p.hardStart = HARD_START;
  p.hardEnd = HARD_END;
  p.data = DATA0;
  p.dataMeta = DATA0;
  p.dataEnd = DATA0 + linear;
  // The fragments stay a view of the input until a helper writes them (ownFrags): copying
  // a jumbo frame's tail per packet cost microseconds, and the result copies it out anyway.
  p.frags = frags;
  p.fragsOwned = frags.length === 0;
  p.lowWater = DATA0;
  p.highWater = DATA0 + linear;
  const v = vm.mem.view;
  v.setUint32(CTX_ADDR + XdpMd.INGRESS_IFINDEX, ifindex >>> 0, true);
  v.setUint32(CTX_ADDR + XdpMd.RX_QUEUE_INDEX, rxQueue >>> 0, true);
  v.setUint32(CTX_ADDR + XdpMd.EGRESS_IFINDEX, 0, true);
  syncCtx(vm);
}

const EMPTY = new Uint8Array(0);

/** The fragments as the VM's own copy, before a helper writes into them (never into the caller's frame). */
export function ownFrags(vm: Vm): Uint8Array {
  const p = vm.packet;
  if (!p.fragsOwned) {
    p.frags = p.frags.slice();
    p.fragsOwned = true;
  }
  return p.frags;
}

/** Publish data/data_end/data_meta to xdp_md and to the packet region's window. */
export function syncCtx(vm: Vm): void {
  const p = vm.packet;
  const v = vm.mem.view;
  v.setUint32(CTX_ADDR + XdpMd.DATA, p.data, true);
  v.setUint32(CTX_ADDR + XdpMd.DATA_END, p.dataEnd, true);
  v.setUint32(CTX_ADDR + XdpMd.DATA_META, p.dataMeta, true);
  vm.mem.setPacketWindow(p.dataMeta, p.dataEnd);
  // First exposure of page bytes in this run: zero them, as in the kernel's freshly zeroed page.
  if (p.dataMeta < p.lowWater) {
    vm.mem.u8.fill(0, p.dataMeta, p.lowWater);
    p.lowWater = p.dataMeta;
  }
  if (p.dataEnd > p.highWater) {
    vm.mem.u8.fill(0, p.highWater, p.dataEnd);
    p.highWater = p.dataEnd;
  }
}

const EINVAL = -22, EACCES = -13;

/** bpf_xdp_adjust_head: 0 or -EINVAL. Metadata moves with data. */
export function adjustHead(vm: Vm, offset: number): number {
  const p = vm.packet;
  const metalen = p.data - p.dataMeta;
  const data = p.data + offset;
  if (data < p.hardStart + XDP_FRAME_SIZE + metalen || data > p.dataEnd - ETH_HLEN) return EINVAL;
  if (metalen > 0) vm.mem.u8.copyWithin(p.dataMeta + offset, p.dataMeta, p.data);
  p.dataMeta += offset;
  p.data = data;
  syncCtx(vm);
  return 0;
}

/** bpf_xdp_adjust_meta: 0, -EINVAL (outside headroom / past data) or -EACCES (not a multiple of 4, too long). */
export function adjustMeta(vm: Vm, offset: number): number {
  const p = vm.packet;
  const meta = p.dataMeta + offset;
  const metalen = p.data - meta;
  if (meta < p.hardStart + XDP_FRAME_SIZE || meta > p.data) return EINVAL;
  if ((metalen & 3) !== 0 || metalen > MAX_META_LEN) return EACCES;
  p.dataMeta = meta;
  syncCtx(vm);
  return 0;
}

/** bpf_xdp_adjust_tail: grows zero-filled up to the hard end, shrinks to ≥ 14 bytes; fragments shrink first. */
export function adjustTail(vm: Vm, offset: number): number {
  const p = vm.packet;
  if (p.frags.length > 0) {
    if (offset >= 0) {
      // Grow the last fragment into its page's tailroom (the test run's fragments are pages
      // filled from offset 0, rxq frag_size = PAGE_SIZE), zero-filled.
      const lastFrag = ((p.frags.length - 1) % PAGE_SIZE) + 1;
      if (offset > PAGE_SIZE - lastFrag) return EINVAL;
      const grown = new Uint8Array(p.frags.length + offset);
      grown.set(p.frags);
      p.frags = grown;
      p.fragsOwned = true;
      return 0;
    }
    let shrink = -offset;
    if (shrink > p.dataEnd - p.data + p.frags.length - ETH_HLEN) return EINVAL;
    const fromFrags = Math.min(shrink, p.frags.length);
    p.frags = p.frags.subarray(0, p.frags.length - fromFrags);
    shrink -= fromFrags;
    if (p.frags.length === 0) p.dataEnd -= shrink;
    syncCtx(vm);
    return 0;
  }
  const end = p.dataEnd + offset;
  if (end > p.hardEnd || end < p.data + ETH_HLEN) return EINVAL;
  if (offset > 0) {
    // The kernel zeroes every grown byte (also bytes exposed earlier in this run), so these are
    // zeroed here; the water mark moves with them and syncCtx does not zero them again.
    vm.mem.u8.fill(0, p.dataEnd, end);
    if (end > p.highWater) p.highWater = end;
  }
  p.dataEnd = end;
  syncCtx(vm);
  return 0;
}
