import { UsageError } from '../errors.ts';
import type { HelperDef } from '../vm/helpers/helper-def.ts';
import { Errno } from '../vm/maps/vm-map.ts';
import { CTX_ADDR } from '../vm/memory.ts';
import type { Vm } from '../vm/vm.ts';
import { setDevices, type XdpDevice } from './xdp-devices.ts';

/**
 * bpf_fib_lookup(ctx, params, plen, flags) against a routing table the replay describes (no
 * host routes are consulted). Checks in the kernel's order: plen < 64 or unknown flags →
 * -EINVAL; family not AF_INET/AF_INET6 → -EAFNOSUPPORT; IPv6 link-local or multicast
 * addresses → NOT_FWDED; params->ifindex not a device → -ENODEV; forwarding off on it →
 * FWD_DISABLED; then the longest matching route: none → NOT_FWDED, blackhole / unreachable /
 * prohibit → 1 / 2 / 3; tot_len above the route's MTU → FRAG_NEEDED with mtu_result; without
 * BPF_FIB_LOOKUP_SKIP_NEIGH a route without a neighbour MAC → NO_NEIGH; else SUCCESS with
 * ifindex, rt_metric, gateway (as the destination), smac/dmac and mtu_result filled in.
 *
 * Default (no --fib-routes): only loopback (ifindex 1, MTU 65536) with forwarding off, as on
 * the machine the kernel tests ran on, so a lookup with ifindex 1 answers FWD_DISABLED (5),
 * any other ifindex -ENODEV.
 */

export const FibResult = { SUCCESS: 0, BLACKHOLE: 1, UNREACHABLE: 2, PROHIBIT: 3, NOT_FWDED: 4, FWD_DISABLED: 5, UNSUPP_LWT: 6, NO_NEIGH: 7, FRAG_NEEDED: 8, NO_SRC_ADDR: 9 } as const;
const AF_INET = 2, AF_INET6 = 10;
const FLAGS_KNOWN = 0x3f;
const SKIP_NEIGH = 4, LOOKUP_SRC = 16;

export interface FibDevice extends XdpDevice {
  mac: Uint8Array;
  forwarding: boolean;
  /** Source address for BPF_FIB_LOOKUP_SRC, per family. */
  src4?: Uint8Array;
  src6?: Uint8Array;
}

export interface FibRoute {
  /** Network address (4 or 16 bytes) and prefix length. */
  dst: Uint8Array;
  prefixLen: number;
  type: 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';
  ifindex: number;
  gateway?: Uint8Array;
  /** Neighbour (next hop) MAC; absent = no neighbour entry. */
  dmac?: Uint8Array;
  metric: number;
  mtu?: number;
}

export interface FibConfig {
  devices: FibDevice[];
  routes: FibRoute[];
}

const LOOPBACK: FibDevice = { ifindex: 1, mtu: 65536, mac: new Uint8Array(6), forwarding: false };
const configs = new WeakMap<Vm, FibConfig>();

export function setFibConfig(vm: Vm, config: FibConfig): void {
  const devices = [LOOPBACK, ...config.devices.filter((d) => d.ifindex !== 1)];
  const lo = config.devices.find((d) => d.ifindex === 1);
  if (lo !== undefined) devices[0] = lo;
  configs.set(vm, { devices, routes: config.routes });
  setDevices(vm, devices);
}

function matches(route: FibRoute, addr: Uint8Array): boolean {
  if (route.dst.length !== addr.length) return false;
  for (let bit = 0; bit < route.prefixLen; bit++) {
    const m = 0x80 >> (bit & 7);
    if ((route.dst[bit >> 3]! & m) !== (addr[bit >> 3]! & m)) return false;
  }
  return true;
}

function fibLookup(vm: Vm): void {
  if (vm.L[1] !== CTX_ADDR || vm.H[1] !== 0) { vm.setFault('bad-helper-arg', vm.L[1]! >>> 0, 0, 'r1 is not the xdp_md context'); return; }
  const plen = vm.L[3]!;
  if (plen < 64) { vm.ret(-Errno.EINVAL); return; }
  const p = vm.argBytes(2, 64, true);
  if (p === undefined) return;
  const flags = vm.L[4]! >>> 0;
  if ((flags & ~FLAGS_KNOWN) !== 0) { vm.ret(-Errno.EINVAL); return; }
  const dv = new DataView(p.buffer, p.byteOffset, 64);
  const family = p[0]!;
  if (family !== AF_INET && family !== AF_INET6) { vm.ret(-97); return; }
  const v6 = family === AF_INET6;
  const dst = p.slice(32, v6 ? 48 : 36), src = p.slice(16, v6 ? 32 : 20);
  if (v6 && (strict6(dst) || strict6(src))) { vm.ret(FibResult.NOT_FWDED); return; }
  const config = configs.get(vm) ?? { devices: [LOOPBACK], routes: [] };
  const dev = config.devices.find((d) => d.ifindex === dv.getUint32(8, true));
  if (dev === undefined) { vm.ret(-Errno.ENODEV); return; }
  if (!dev.forwarding) { vm.ret(FibResult.FWD_DISABLED); return; }
  let best: FibRoute | undefined;
  for (const r of config.routes) if (matches(r, dst) && (best === undefined || r.prefixLen > best.prefixLen)) best = r;
  if (best === undefined) { vm.ret(FibResult.NOT_FWDED); return; }
  if (best.type !== 'unicast') { vm.ret(best.type === 'blackhole' ? 1 : best.type === 'unreachable' ? 2 : 3); return; }
  const out = config.devices.find((d) => d.ifindex === best.ifindex);
  if (out === undefined) { vm.ret(FibResult.NOT_FWDED); return; }
  dv.setUint32(8, out.ifindex, true);
  if (!v6) dv.setUint32(12, best.metric, true);
  if (best.gateway !== undefined && best.gateway.length === dst.length) p.set(best.gateway, 32);
  if (flags & LOOKUP_SRC) {
    const s = v6 ? out.src6 : out.src4;
    if (s === undefined) { vm.ret(FibResult.NO_SRC_ADDR); return; }
    p.set(s, 16);
  }
  const mtu = best.mtu ?? out.mtu;
  if (dv.getUint16(6, true) > mtu) { dv.setUint16(6, mtu, true); vm.ret(FibResult.FRAG_NEEDED); return; }
  if (!(flags & SKIP_NEIGH)) {
    if (best.dmac === undefined) { vm.ret(FibResult.NO_NEIGH); return; }
    p.set(best.dmac, 58);
    p.set(out.mac, 52);
  }
  dv.setUint32(48, 0, true);
  dv.setUint16(6, mtu, true);
  vm.ret(FibResult.SUCCESS);
}

/** rt6_need_strict: multicast, link-local or loopback addresses. */
function strict6(a: Uint8Array): boolean {
  if (a[0] === 0xff) return true;
  if (a[0] === 0xfe && (a[1]! & 0xc0) === 0x80) return true;
  return a.subarray(0, 15).every((b) => b === 0) && a[15] === 1;
}

export const FIB_HELPERS: readonly HelperDef[] = [{ id: 69, name: 'fib_lookup', fn: fibLookup }];

// ---- routes JSON ----

function parseAddr(text: unknown, what: string): Uint8Array {
  if (typeof text !== 'string') throw new UsageError(`fib routes: ${what}: expected an IP address string, found ${JSON.stringify(text)}`);
  if (text.includes(':')) {
    const [head, tail] = text.split('::') as [string, string | undefined];
    const h = head === '' ? [] : head.split(':'), t = tail === undefined || tail === '' ? [] : tail.split(':');
    const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
    if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) throw new UsageError(`fib routes: ${what}: "${text}" is not an IPv6 address`);
    const b = new Uint8Array(16);
    groups.forEach((g, i) => { const v = parseInt(g, 16); b[2 * i] = v >> 8; b[2 * i + 1] = v & 0xff; });
    return b;
  }
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((x) => /^\d{1,3}$/.test(x) && Number(x) < 256)) throw new UsageError(`fib routes: ${what}: "${text}" is not an IPv4 address`);
  return Uint8Array.from(parts.map(Number));
}

function parseMac(text: unknown, what: string): Uint8Array {
  if (typeof text !== 'string' || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(text)) throw new UsageError(`fib routes: ${what}: expected a MAC like 02:00:00:00:00:01, found ${JSON.stringify(text)}`);
  return Uint8Array.from(text.split(':').map((x) => parseInt(x, 16)));
}

function int(v: unknown, what: string, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new UsageError(`fib routes: ${what}: expected a non-negative integer, found ${JSON.stringify(v)}`);
  return v;
}

/**
 * The `--fib-routes` file: `{ "devices": [{ "ifindex", "mtu"?, "mac"?, "forwarding"?, "src4"?,
 * "src6"? }], "routes": [{ "dst": "10.0.0.0/8", "ifindex", "type"?, "gateway"?, "dmac"?,
 * "metric"?, "mtu"? }] }`. Devices default to MTU 1500, MAC 00:…:00, forwarding on.
 */
export function parseFibConfig(json: unknown): FibConfig {
  const o = (json ?? {}) as { devices?: unknown; routes?: unknown };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UsageError('fib routes: expected a JSON object with "devices" and "routes"');
  const devs = Array.isArray(o.devices) ? o.devices as Record<string, unknown>[] : [];
  const routes = Array.isArray(o.routes) ? o.routes as Record<string, unknown>[] : [];
  const devices: FibDevice[] = devs.map((d, i) => ({
    ifindex: int(d['ifindex'], `devices[${i}].ifindex`),
    mtu: int(d['mtu'], `devices[${i}].mtu`, 1500),
    mac: d['mac'] === undefined ? new Uint8Array(6) : parseMac(d['mac'], `devices[${i}].mac`),
    forwarding: d['forwarding'] !== false,
    ...(d['src4'] !== undefined ? { src4: parseAddr(d['src4'], `devices[${i}].src4`) } : {}),
    ...(d['src6'] !== undefined ? { src6: parseAddr(d['src6'], `devices[${i}].src6`) } : {}),
  }));
  return {
    devices,
    routes: routes.map((r, i) => {
      const what = `routes[${i}]`;
      const [addr, len] = String(r['dst']).split('/');
      const dst = parseAddr(addr, `${what}.dst`);
      const prefixLen = len === undefined ? dst.length * 8 : Number(len);
      if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > dst.length * 8) throw new UsageError(`fib routes: ${what}.dst: bad prefix length "${len}"`);
      const type = r['type'] ?? 'unicast';
      if (type !== 'unicast' && type !== 'blackhole' && type !== 'unreachable' && type !== 'prohibit') throw new UsageError(`fib routes: ${what}.type: expected unicast, blackhole, unreachable or prohibit, found ${JSON.stringify(type)}`);
      return {
        dst, prefixLen, type,
        ifindex: int(r['ifindex'], `${what}.ifindex`, 1),
        metric: int(r['metric'], `${what}.metric`, 0),
        ...(r['gateway'] !== undefined ? { gateway: parseAddr(r['gateway'], `${what}.gateway`) } : {}),
        ...(r['dmac'] !== undefined ? { dmac: parseMac(r['dmac'], `${what}.dmac`) } : {}),
        ...(r['mtu'] !== undefined ? { mtu: int(r['mtu'], `${what}.mtu`) } : {}),
      };
    }),
  };
}
