import { Errno } from '../maps/vm-map.ts';
import type { Vm } from '../vm.ts';
import type { HelperDef } from './helper-def.ts';

/**
 * Spin locks, timers and kptr exchange. The VM runs one packet at a time on one thread, so a
 * spin lock never contends (lock/unlock only check the argument). Timers follow the kernel's
 * return codes (init once per bpf_timer, -EBUSY after; set_callback/start/cancel on an
 * uninitialised timer → -EINVAL; start without a callback → -EINVAL; cancel → 1 when the
 * timer was armed), but their callbacks never run: a replay has no wall clock between packets
 * — a documented difference.
 */

function spinLock(vm: Vm): void {
  if (vm.argBytes(1, 4, true) !== undefined) vm.ret(0);
}

interface TimerState {
  callback: number;
  armed: boolean;
}

const timersByVm = new WeakMap<Vm, Map<number, TimerState>>();

function timers(vm: Vm): Map<number, TimerState> {
  let m = timersByVm.get(vm);
  if (m === undefined) { m = new Map(); timersByVm.set(vm, m); }
  return m;
}

/** The timer behind r1 (a 16-byte struct bpf_timer in a map value), or undefined after a fault. */
function timerArg(vm: Vm): number | undefined {
  return vm.argBytes(1, 16, true) === undefined ? undefined : vm.L[1]! >>> 0;
}

/** bpf_timer_init(timer, map, clockid): CLOCK_REALTIME, CLOCK_MONOTONIC or CLOCK_BOOTTIME only. */
function timerInit(vm: Vm): void {
  const t = timerArg(vm);
  if (t === undefined) return;
  const clock = vm.L[3]! >>> 0;
  if (vm.H[3] !== 0 || (clock !== 0 && clock !== 1 && clock !== 7)) { vm.ret(-Errno.EINVAL); return; }
  const m = timers(vm);
  if (m.has(t)) { vm.ret(-Errno.EBUSY); return; }
  m.set(t, { callback: 0, armed: false });
  vm.ret(0);
}

function timerSetCallback(vm: Vm): void {
  const t = timerArg(vm);
  if (t === undefined) return;
  const s = timers(vm).get(t);
  if (s === undefined) { vm.ret(-Errno.EINVAL); return; }
  s.callback = vm.L[2]! >>> 0;
  vm.ret(0);
}

/** bpf_timer_start(timer, nsecs, flags): flags other than BPF_F_TIMER_ABS | BPF_F_TIMER_CPU_PIN → -EINVAL. */
function timerStart(vm: Vm): void {
  const t = timerArg(vm);
  if (t === undefined) return;
  const s = timers(vm).get(t);
  if (vm.H[3] !== 0 || (vm.L[3]! & ~3) !== 0 || s === undefined || s.callback === 0) { vm.ret(-Errno.EINVAL); return; }
  s.armed = true;
  vm.ret(0);
}

function timerCancel(vm: Vm): void {
  const t = timerArg(vm);
  if (t === undefined) return;
  const s = timers(vm).get(t);
  if (s === undefined) { vm.ret(-Errno.EINVAL); return; }
  vm.ret(s.armed ? 1 : 0);
  s.armed = false;
}

/** bpf_kptr_xchg(dst, ptr): swaps the 8-byte pointer slot, returns the old value. */
function kptrXchg(vm: Vm): void {
  const slot = vm.argBytes(1, 8, true);
  if (slot === undefined) return;
  const dv = new DataView(slot.buffer, slot.byteOffset, 8);
  const oldLo = dv.getInt32(0, true), oldHi = dv.getInt32(4, true);
  dv.setInt32(0, vm.L[2]!, true);
  dv.setInt32(4, vm.H[2]!, true);
  vm.L[0] = oldLo; vm.H[0] = oldHi;
}

export const SYNC_HELPERS: readonly HelperDef[] = [
  { id: 93, name: 'spin_lock', fn: spinLock },
  { id: 94, name: 'spin_unlock', fn: spinLock },
  { id: 169, name: 'timer_init', fn: timerInit },
  { id: 170, name: 'timer_set_callback', fn: timerSetCallback },
  { id: 171, name: 'timer_start', fn: timerStart },
  { id: 172, name: 'timer_cancel', fn: timerCancel },
  { id: 194, name: 'kptr_xchg', fn: kptrXchg },
];
