import test from 'ava';
import { MapType, type MapSpec } from '../../../lib/object/types.ts';
import { parseFibConfig, setFibConfig } from '../../../lib/xdp/fib-lookup.ts';
import { assembleText } from '../../../lib/isa/assemble-text.ts';
import { toU64 } from '../../../lib/vm/arith64.ts';
import { CTX_ADDR } from '../../../lib/vm/memory.ts';
import { ENGINES, onEngine, programFrom } from '../run-program.ts';

/**
 * Helpers whose answers the kernel oracle cannot observe in a test run (time, the current task,
 * sockets, timers, routes), checked against the behaviour documented from the kernel sources.
 */

const TS = 1_700_000_000_123_456_789n;
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);

for (const engine of ENGINES) {
  const runAsm = onEngine(engine);
  const at = (prog: string, tsNs = TS): bigint => {
    const p = programFrom(prog, [], { engine });
    p.run(new Uint8Array(64), { tsNs });
    return toU64(p.vm.L[0]!, p.vm.H[0]!);
  };

  test(`[${engine}] time helpers derive from the packet timestamp: boot = mono, coarse = last 4 ms tick, tai = +37 s, jiffies64 at HZ 250`, (t) => {
    t.is(at('call 125\nexit'), TS);
    t.is(at('call 160\nexit'), TS - (TS % 4_000_000n));
    t.is(at('call 208\nexit'), TS + 37_000_000_000n);
    t.is(at('call 118\nexit'), TS / 4_000_000n);
  });

  test(`[${engine}] the current task is the idle task: pid/uid 0, comm swapper/0, root cgroup, signals refused`, (t) => {
    t.is(runAsm('call 14\nexit').r0, 0n);
    t.is(runAsm('call 15\nexit').r0, 0n);
    t.is(runAsm('call 80\nexit').r0, 1n);
    t.is(runAsm('mov %r1, 0\ncall 123\nexit').r0, 1n);
    t.is(runAsm('mov %r1, 2\ncall 123\nexit').r0, 0n);
    t.is(s64(runAsm('mov %r1, 9\ncall 109\nexit').r0), -1n);
    const comm = runAsm('mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\ncall 16\nldxdw %r0, [%r10-16]\nexit').r0;
    t.is(Buffer.from(new BigUint64Array([comm]).buffer).toString('latin1'), 'swapper/');
    t.is(runAsm('mov %r1, %r10\nadd %r1, -16\nmov %r2, 4\ncall 16\nldxw %r0, [%r10-16]\nexit').r0, 0x617773n); // "swa\\0"
  });

  test(`[${engine}] user memory cannot be read (dst zeroed, -EFAULT); kernel reads see VM memory`, (t) => {
    t.is(s64(runAsm('stdw [%r10-8], -1\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nmov %r3, 0\ncall 112\nldxdw %r1, [%r10-8]\nadd %r0, %r1\nexit').r0), -14n);
    t.is(runAsm('stdw [%r10-16], 0x41\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nmov %r3, %r10\nadd %r3, -16\ncall 113\nldxdw %r0, [%r10-8]\nexit').r0, 0x41n);
    t.is(s64(runAsm('mov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nmov %r3, 16\ncall 113\nexit').r0), -14n);
    t.is(runAsm('stdw [%r10-16], 0x4241\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nmov %r3, %r10\nadd %r3, -16\ncall 115\nexit').r0, 3n);
  });

  test(`[${engine}] socket lookups find no socket and skc casts of NULL are NULL`, (t) => {
    for (const id of [84, 85, 99]) t.is(runAsm(`mov %r2, %r10\nadd %r2, -16\nmov %r3, 12\nmov %r4, -1\nmov %r5, 0\ncall ${id}\nexit`).r0, 0n);
    t.is(runAsm('mov %r1, 0\ncall 137\nexit').r0, 0n);
  });

  test(`[${engine}] raw SYN cookies: the kernel's MSS table, and a cookie we generated checks as valid`, (t) => {
    // IPv4 header at fp-64, TCP header (doff 6, MSS option 1400) at fp-44.
    const hdr = [
      'stdw [%r10-64], 0', 'stdw [%r10-56], 0', 'stdw [%r10-48], 0', 'stdw [%r10-40], 0', 'stdw [%r10-32], 0', 'stdw [%r10-24], 0',
      'stb [%r10-64], 0x45', 'stw [%r10-52], 0x0100000a', 'stw [%r10-48], 0x0200000a',
      'sth [%r10-44], 0x3930', 'sth [%r10-42], 0x5000', 'stw [%r10-40], 0x78563412', 'stb [%r10-32], 0x60', 'stb [%r10-31], 0x02',
      'stw [%r10-24], 0x78050402',
    ];
    const gen = [...hdr, 'mov %r1, %r10', 'add %r1, -64', 'mov %r2, %r10', 'add %r2, -44', 'mov %r3, 24', 'call 204'];
    const r = runAsm([...gen, 'exit'].join('\n')).r0;
    t.is(r >> 32n, 1300n);
    t.is(s64(runAsm([...hdr, 'mov %r1, %r10', 'add %r1, -64', 'mov %r2, %r10', 'add %r2, -44', 'mov %r3, 20', 'call 204', 'exit'].join('\n')).r0), -22n);
    // ACK: ack_seq = cookie + 1, seq = isn + 1, as a client answers.
    const check = [...gen, 'mov %r6, %r0', 'add %r6, 1', 'be32 %r6', 'stxw [%r10-36], %r6', 'ldxw %r7, [%r10-40]', 'be32 %r7', 'add %r7, 1', 'be32 %r7', 'stxw [%r10-40], %r7',
      'mov %r1, %r10', 'add %r1, -64', 'mov %r2, %r10', 'add %r2, -44', 'call 206'];
    t.is(runAsm([...check, 'exit'].join('\n')).r0, 0n);
    t.is(s64(runAsm([...check.slice(0, -1), 'stw [%r10-36], 7', 'call 206', 'exit'].join('\n')).r0), -13n);
  });

  test(`[${engine}] timers: init once (-EBUSY after), start needs a callback, cancel reports an armed timer; callbacks never run`, (t) => {
    const spec: MapSpec = { name: 'tm', section: '.maps', type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 1, flags: 0, readOnly: false };
    const body = assembleText(['stw [%r10-4], 0', 'lddw %r1, 0', 'mov %r2, %r10', 'add %r2, -4', 'call 1', 'mov %r6, %r0',
      'mov %r1, %r6', 'lddw %r2, 0', 'mov %r3, 1', 'call 169', 'mov %r7, %r0',
      'mov %r1, %r6', 'mov %r2, 100', 'mov %r3, 0', 'call 171', 'and %r0, 0xff', 'lsh %r0, 8', 'and %r7, 0xff', 'add %r7, %r0',
      'mov %r1, %r6', 'call 172', 'lsh %r0, 16', 'add %r0, %r7', 'exit'].join('\n'));
    body[1] = { code: 0x18, dst: 1, src: 1, off: 0, imm: 0, imm64: 0n };
    body[8] = { code: 0x18, dst: 2, src: 1, off: 0, imm: 0, imm64: 0n };
    const prog = programFrom(body, [spec], { engine });
    prog.run(new Uint8Array(64));
    const first = toU64(prog.vm.L[0]!, prog.vm.H[0]!);
    prog.run(new Uint8Array(64));
    const second = toU64(prog.vm.L[0]!, prog.vm.H[0]!);
    t.is(first & 0xffn, 0n); // init
    t.is(BigInt.asIntN(8, (first >> 8n) & 0xffn), -22n); // start without a callback
    t.is(first >> 16n, 0n); // cancel: not armed
    t.is(BigInt.asIntN(8, second & 0xffn), -16n); // second init: -EBUSY
  });

  test(`[${engine}] spin locks never contend and kptr_xchg swaps the slot`, (t) => {
    t.is(runAsm('mov %r1, %r10\nadd %r1, -8\ncall 93\nexit').r0, 0n);
    t.is(runAsm('stdw [%r10-8], 5\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 9\ncall 194\nldxdw %r1, [%r10-8]\nlsh %r1, 8\nadd %r0, %r1\nexit').r0, 5n + (9n << 8n));
  });

  test(`[${engine}] fib_lookup: -EINVAL, -EAFNOSUPPORT, -ENODEV, FWD_DISABLED on loopback by default, and answers from a routes table`, (t) => {
    const fib = (family: number, ifindex: number, dst: number, flags = 0, plen = 64): string => [
      ...Array.from({ length: 8 }, (_, i) => `stdw [%r10-${64 - 8 * i}], 0`),
      `stb [%r10-64], ${family}`, `stw [%r10-56], ${ifindex}`, `stw [%r10-32], ${dst}`, 'sth [%r10-58], 1000',
      `mov %r1, ${CTX_ADDR}`, 'mov %r2, %r10', 'add %r2, -64', `mov %r3, ${plen}`, `mov %r4, ${flags}`, 'call 69',
      'ldxw %r1, [%r10-56]', 'lsh %r1, 8', 'add %r0, %r1', 'ldxb %r1, [%r10-6]', 'lsh %r1, 32', 'add %r0, %r1',
      'ldxh %r1, [%r10-58]', 'lsh %r1, 40', 'add %r0, %r1', 'exit',
    ].join('\n');
    const run = (text: string, config?: unknown): bigint => {
      const p = programFrom(text, [], { engine });
      if (config !== undefined) setFibConfig(p.vm, parseFibConfig(config));
      p.run(new Uint8Array(64));
      return toU64(p.vm.L[0]!, p.vm.H[0]!);
    };
    const rc = (v: bigint): bigint => BigInt.asIntN(8, v & 0xffn);
    t.is(rc(run(fib(2, 1, 0, 0, 63))), -22n);
    t.is(rc(run(fib(2, 1, 0, 0x40))), -22n);
    t.is(rc(run(fib(7, 1, 0))), -97n);
    t.is(rc(run(fib(2, 5, 0))), -19n);
    t.is(rc(run(fib(2, 1, 0))), 5n);
    const config = {
      devices: [{ ifindex: 2, mtu: 1500, mac: '02:00:00:00:00:02' }, { ifindex: 3, mtu: 9000 }],
      routes: [
        { dst: '10.0.0.0/8', ifindex: 2, gateway: '10.0.0.1', dmac: '0a:00:00:00:00:01' },
        { dst: '10.9.0.0/16', ifindex: 3 },
        { dst: '192.168.0.0/16', type: 'blackhole' },
        { dst: '172.16.0.0/12', ifindex: 2, dmac: '0b:00:00:00:00:01', mtu: 800 },
      ],
    };
    const ok = run(fib(2, 2, 0x0403020a), config); // 10.2.3.4 (little-endian store of 0a 02 03 04)
    t.is(rc(ok), 0n);
    t.is((ok >> 8n) & 0xffn, 2n); // egress ifindex
    t.is((ok >> 32n) & 0xffn, 0x0an); // dmac[0]
    t.is(ok >> 40n, 1500n); // mtu_result
    t.is(rc(run(fib(2, 2, 0x0403090a), config)), 7n); // 10.9.3.4: /16 wins, no neighbour → NO_NEIGH
    t.is(rc(run(fib(2, 2, 0x0403090a, 4), config)), 0n); // … unless SKIP_NEIGH
    t.is(rc(run(fib(2, 2, 0x0101a8c0), config)), 1n); // 192.168.1.1 blackhole
    t.is(rc(run(fib(2, 2, 0x010110ac), config)), 8n); // tot_len 1000 > route MTU 800 → FRAG_NEEDED
    t.is(rc(run(fib(2, 2, 0x01010101), config)), 4n); // no route → NOT_FWDED
    t.throws(() => parseFibConfig({ routes: [{ dst: '10.0.0.0/33' }] }), { message: /prefix length/ });
    t.throws(() => parseFibConfig({ routes: [{ dst: '10.0.0.0/8', dmac: 'zz' }] }), { message: /MAC/ });
  });

  test(`[${engine}] perf_event_read finds no perf event (-ENOENT), -E2BIG past max_entries, read_value zeroes its buffer`, (t) => {
    const spec: MapSpec = { name: 'pe', section: '.maps', type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0, readOnly: false };
    const read = (index: number): bigint => {
      const body = assembleText(['lddw %r1, 0', `mov %r2, ${index}`, 'call 22', 'exit'].join('\n'));
      body[0] = { code: 0x18, dst: 1, src: 1, off: 0, imm: 0, imm64: 0n };
      return s64(runAsm(body, [], { maps: [spec] }).r0);
    };
    t.is(read(1), -2n);
    t.is(read(2), -7n);
    const body = assembleText(['stdw [%r10-24], -1', 'lddw %r1, 0', 'mov %r2, 0', 'mov %r3, %r10', 'add %r3, -24', 'mov %r4, 24', 'call 55', 'ldxdw %r1, [%r10-24]', 'add %r0, %r1', 'exit'].join('\n'));
    body[1] = { code: 0x18, dst: 1, src: 1, off: 0, imm: 0, imm64: 0n };
    t.is(s64(runAsm(body, [], { maps: [spec] }).r0), -2n);
  });

  test(`[${engine}] helpers XDP may not call are refused at load, naming them`, (t) => {
    t.throws(() => runAsm('call 9\nexit'), { message: /helper bpf_skb_store_bytes \(9\) is not allowed for XDP programs/ });
    t.throws(() => runAsm('call 191\nexit'), { message: /bpf_copy_from_user_task \(191\) may sleep/ });
  });
}
