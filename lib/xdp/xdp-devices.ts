import type { Vm } from '../vm/vm.ts';

/**
 * The network devices helpers may ask about (bpf_check_mtu, bpf_fib_lookup), per VM. The
 * kernel's test run receives on loopback (ifindex 1, MTU 65536), so that is the default and
 * the only device; a replay can describe more (`--fib-routes` files list devices with MTUs).
 */
export interface XdpDevice {
  ifindex: number;
  mtu: number;
}

const LOOPBACK: XdpDevice = { ifindex: 1, mtu: 65536 };
const devicesByVm = new WeakMap<Vm, Map<number, XdpDevice>>();

export function setDevices(vm: Vm, devices: readonly XdpDevice[]): void {
  const m = new Map<number, XdpDevice>([[1, LOOPBACK]]);
  for (const d of devices) m.set(d.ifindex, d);
  devicesByVm.set(vm, m);
}

/** MTU of device `ifindex`, or undefined when there is no such device. */
export function deviceMtu(vm: Vm, ifindex: number): number | undefined {
  const m = devicesByVm.get(vm);
  if (m === undefined) return ifindex === 1 ? LOOPBACK.mtu : undefined;
  return m.get(ifindex)?.mtu;
}
