import { Errno } from '../maps/vm-map.ts';
import type { Vm } from '../vm.ts';
import type { HelperDef } from './helper-def.ts';

/**
 * Helpers about the "current" task, cgroups, signals and tracing that the kernel lets XDP
 * call. An XDP program runs in softirq context on whatever task the CPU was running; we model
 * the CPU's idle task (swapper/<cpu>, pid 0, uid/gid 0, root cgroup, a kernel thread, no user
 * memory, no stack or branch records). Each helper answers as the kernel does for that task.
 * Kernel task pointers do not exist in the VM: get_current_task(_btf) and task_pt_regs
 * return 0 (NULL) — a documented difference.
 */

const zero = (vm: Vm): void => vm.ret(0);

/** bpf_get_current_comm(buf, size): "swapper/<cpu>" truncated to size − 1, NUL-padded; 0. */
function getCurrentComm(vm: Vm): void {
  const size = vm.L[2]! >>> 0;
  const buf = vm.argBytes(1, size, true);
  if (buf === undefined) return;
  buf.fill(0);
  const comm = `swapper/${vm.cpu.cpu}`;
  for (let i = 0; i < comm.length && i < size - 1; i++) buf[i] = comm.charCodeAt(i);
  vm.ret(0);
}

/** bpf_current_task_under_cgroup(map, index): index ≥ max_entries → -E2BIG; no cgroup stored → -EAGAIN. */
function currentTaskUnderCgroup(vm: Vm): void {
  const m = vm.mapArg(1);
  if (m === undefined) return;
  vm.ret((vm.L[2]! >>> 0) >= m.spec.maxEntries ? -Errno.E2BIG : -Errno.EAGAIN);
}

/** bpf_get_current_cgroup_id: the root cgroup (id 1). */
function getCurrentCgroupId(vm: Vm): void {
  vm.ret(1);
}

/** bpf_get_current_ancestor_cgroup_id(level): root (1) at level 0, none (0) deeper. */
function getCurrentAncestorCgroupId(vm: Vm): void {
  vm.ret(vm.L[1] === 0 ? 1 : 0);
}

/** bpf_send_signal(_thread): the idle task is a kernel thread → -EPERM. */
function sendSignal(vm: Vm): void {
  vm.ret(-Errno.EPERM);
}

/** bpf_get_ns_current_pid_tgid(dev, ino, nsdata, size): nsdata zeroed; -EINVAL (the namespace is never the idle task's). */
function getNsCurrentPidTgid(vm: Vm): void {
  const size = vm.L[4]! >>> 0;
  const buf = vm.argBytes(3, size, true);
  if (buf === undefined) return;
  buf.fill(0);
  vm.ret(-Errno.EINVAL);
}

/** Fill `size` bytes at the pointer in r{dstReg} with zeros and return `rc` (failed reads). */
function zeroFill(vm: Vm, dstReg: number, sizeReg: number, rc: number): void {
  const buf = vm.argBytes(dstReg, vm.L[sizeReg]! >>> 0, true);
  if (buf === undefined) return;
  buf.fill(0);
  vm.ret(rc);
}

/** bpf_probe_read_user(_str)(dst, size, ptr): no user memory in softirq → dst zeroed, -EFAULT. */
function probeReadUser(vm: Vm): void {
  zeroFill(vm, 1, 2, -14);
}

/** Readable VM memory at `addr` for `size` bytes (the "kernel" the program can see), or undefined. */
function readable(vm: Vm, addr: number, hi: number, size: number): Uint8Array | undefined {
  if (hi !== 0 || size === 0 || vm.mem.translate(addr >>> 0, size, false, true) !== 0) return undefined;
  return vm.mem.u8.subarray(addr >>> 0, (addr >>> 0) + size);
}

/** bpf_probe_read_kernel(dst, size, ptr): VM memory is the kernel memory: copy, or zero + -EFAULT. */
function probeReadKernel(vm: Vm): void {
  const size = vm.L[2]! >>> 0;
  const dst = vm.argBytes(1, size, true);
  if (dst === undefined) return;
  if (size === 0) { vm.ret(0); return; }
  const src = readable(vm, vm.L[3]!, vm.H[3]!, size);
  if (src === undefined) { dst.fill(0); vm.ret(-14); return; }
  dst.set(src.slice());
  vm.ret(0);
}

/** bpf_probe_read_kernel_str(dst, size, ptr): copies up to size − 1 bytes and a NUL; returns the length with the NUL. */
function probeReadKernelStr(vm: Vm): void {
  const size = vm.L[2]! >>> 0;
  const dst = vm.argBytes(1, size, true);
  if (dst === undefined) return;
  if (size === 0) { vm.ret(0); return; }
  const a = vm.L[3]! >>> 0;
  let n = 0;
  for (; n < size - 1; n++) {
    const b = readable(vm, a + n, vm.H[3]!, 1);
    if (b === undefined) { if (n === 0) { dst.fill(0); vm.ret(-14); return; } break; }
    if (b[0] === 0) break;
  }
  const copy = vm.mem.u8.slice(a, a + n);
  dst.set(copy);
  dst[n] = 0;
  vm.ret(n + 1);
}

/** bpf_get_task_stack(task, buf, size, flags): no task pointer exists → buf zeroed, -EFAULT. */
function getTaskStack(vm: Vm): void {
  zeroFill(vm, 2, 3, -14);
}

/** bpf_snprintf_btf: needs the kernel's BTF, which the VM does not have → -EINVAL. */
function snprintfBtf(vm: Vm): void {
  vm.ret(-Errno.EINVAL);
}

/** bpf_get_branch_snapshot(buf, size, flags): flags → -EINVAL; no LBR records → -ENOENT. */
function getBranchSnapshot(vm: Vm): void {
  vm.ret(vm.L[3] !== 0 || vm.H[3] !== 0 ? -Errno.EINVAL : -Errno.ENOENT);
}

/** bpf_find_vma(task, addr, cb, ctx, flags): flags → -EINVAL; the idle task has no mm → -ENOENT. */
function findVma(vm: Vm): void {
  vm.ret(vm.L[5] !== 0 || vm.H[5] !== 0 ? -Errno.EINVAL : -Errno.ENOENT);
}

/** task/cgroup local storage with a NULL task or cgroup: get → NULL, delete → -EINVAL. */
function storageDelete(vm: Vm): void {
  vm.ret(-Errno.EINVAL);
}

/** bpf_per_cpu_ptr(ptr, cpu): NULL for a CPU that does not exist; bpf_this_cpu_ptr(ptr): ptr. */
function perCpuPtr(vm: Vm): void {
  if ((vm.L[2]! >>> 0) >= vm.cpu.cpus) vm.ret(0);
  else { vm.L[0] = vm.L[1]!; vm.H[0] = vm.H[1]!; }
}

function thisCpuPtr(vm: Vm): void {
  vm.L[0] = vm.L[1]!; vm.H[0] = vm.H[1]!;
}


/**
 * bpf_perf_event_read(map, flags) / bpf_perf_event_read_value(map, flags, buf, size): flags
 * beyond the index → -EINVAL, BPF_F_CURRENT_CPU = the running CPU, index ≥ max_entries →
 * -E2BIG, and no perf event is ever open in a replay → -ENOENT (read_value: buf zeroed, and
 * size ≠ 24 → -EINVAL first).
 */
function perfEventReadRc(vm: Vm): number | undefined {
  const m = vm.mapArg(1);
  if (m === undefined) return undefined;
  if (vm.H[2] !== 0) return -Errno.EINVAL;
  let index = vm.L[2]! >>> 0;
  if (index === 0xffffffff) index = vm.cpu.cpu;
  return index >= m.spec.maxEntries ? -Errno.E2BIG : -Errno.ENOENT;
}

function perfEventRead(vm: Vm): void {
  const rc = perfEventReadRc(vm);
  if (rc !== undefined) vm.ret(rc);
}

function perfEventReadValue(vm: Vm): void {
  const size = vm.L[4]! >>> 0;
  const buf = vm.argBytes(3, size, true);
  if (buf === undefined) return;
  buf.fill(0);
  if (size !== 24) { vm.ret(-Errno.EINVAL); return; }
  const rc = perfEventReadRc(vm);
  if (rc !== undefined) vm.ret(rc);
}

export const TASK_HELPERS: readonly HelperDef[] = [
  { id: 14, name: 'get_current_pid_tgid', fn: zero },
  { id: 15, name: 'get_current_uid_gid', fn: zero },
  { id: 16, name: 'get_current_comm', fn: getCurrentComm },
  { id: 17, name: 'get_cgroup_classid', fn: zero },
  { id: 22, name: 'perf_event_read', fn: perfEventRead },
  { id: 35, name: 'get_current_task', fn: zero },
  { id: 37, name: 'current_task_under_cgroup', fn: currentTaskUnderCgroup },
  { id: 55, name: 'perf_event_read_value', fn: perfEventReadValue },
  { id: 80, name: 'get_current_cgroup_id', fn: getCurrentCgroupId },
  { id: 109, name: 'send_signal', fn: sendSignal },
  { id: 112, name: 'probe_read_user', fn: probeReadUser },
  { id: 113, name: 'probe_read_kernel', fn: probeReadKernel },
  { id: 114, name: 'probe_read_user_str', fn: probeReadUser },
  { id: 115, name: 'probe_read_kernel_str', fn: probeReadKernelStr },
  { id: 117, name: 'send_signal_thread', fn: sendSignal },
  { id: 120, name: 'get_ns_current_pid_tgid', fn: getNsCurrentPidTgid },
  { id: 123, name: 'get_current_ancestor_cgroup_id', fn: getCurrentAncestorCgroupId },
  { id: 141, name: 'get_task_stack', fn: getTaskStack },
  { id: 149, name: 'snprintf_btf', fn: snprintfBtf },
  { id: 153, name: 'per_cpu_ptr', fn: perCpuPtr },
  { id: 154, name: 'this_cpu_ptr', fn: thisCpuPtr },
  { id: 156, name: 'task_storage_get', fn: zero },
  { id: 157, name: 'task_storage_delete', fn: storageDelete },
  { id: 158, name: 'get_current_task_btf', fn: zero },
  { id: 175, name: 'task_pt_regs', fn: zero },
  { id: 176, name: 'get_branch_snapshot', fn: getBranchSnapshot },
  { id: 180, name: 'find_vma', fn: findVma },
  { id: 210, name: 'cgrp_storage_get', fn: zero },
  { id: 211, name: 'cgrp_storage_delete', fn: storageDelete },
];
