import test from 'ava';
import { assembleText } from '../../lib/isa/assemble-text.ts';
import type { MapSpec } from '../../lib/object/types.ts';
import { MapType } from '../../lib/object/types.ts';
import { XdpAction } from '../../lib/xdp/constants.ts';
import { ENGINES, PROLOGUE, onEngine } from './run-program.ts';

const rodata: MapSpec = {
  name: 'test.rodata', section: '.rodata', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0x80,
  initialValue: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), readOnly: true,
};
const counters: MapSpec = { name: 'counters', section: '.maps', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 2, flags: 0, readOnly: false };

for (const engine of ENGINES) {
  const runAsm = onEngine(engine);
  test(`[${engine}] a packet read past data_end faults with pc, address, size and region`, (t) => {
    const { result } = runAsm('ldxb %r0, [%r1+100]\nexit', new Array(20).fill(0));
    t.is(result.action, XdpAction.ABORTED);
    t.like(result.fault, { kind: 'out-of-bounds', pc: PROLOGUE, size: 1 });
    t.regex(result.fault!.region, /after packet/);
    t.is(result.exitInsn, PROLOGUE);
  });

  test(`[${engine}] a read just below data faults (no headroom access)`, (t) => {
    const { result } = runAsm('ldxb %r0, [%r1-1]\nexit');
    t.like(result.fault, { kind: 'out-of-bounds', size: 1 });
    t.regex(result.fault!.region, /before packet/);
  });

  test(`[${engine}] a stack access below the 512-byte frame faults`, (t) => {
    const { result } = runAsm('stb [%r10-513], 1\nmov %r0, 2\nexit');
    t.like(result.fault, { kind: 'out-of-bounds', pc: PROLOGUE, size: 1, region: '1 bytes before stack[0]' });
  });

  test(`[${engine}] the whole 512-byte stack frame is usable`, (t) => {
    const { result, r0 } = runAsm('stb [%r10-512], 7\nstdw [%r10-8], 9\nldxb %r0, [%r10-512]\nldxdw %r1, [%r10-8]\nadd %r0, %r1\nexit');
    t.is(result.fault, undefined);
    t.is(r0, 16n);
  });

  test(`[${engine}] a write at r10 (above the frame) faults`, (t) => {
    const { result } = runAsm('stw [%r10+0], 1\nexit');
    t.like(result.fault, { kind: 'out-of-bounds', size: 4 });
  });

  test(`[${engine}] a NULL dereference faults in the null page`, (t) => {
    const { result } = runAsm('mov %r0, 0\nldxw %r0, [%r0+0]\nexit');
    t.like(result.fault, { kind: 'out-of-bounds', addr: 0, size: 4, region: 'null' });
  });

  test(`[${engine}] a register with high bits set is not an address`, (t) => {
    const { result } = runAsm('lddw %r3, 0x100001000\nldxw %r0, [%r3+0]\nexit');
    t.like(result.fault, { kind: 'out-of-bounds', size: 4 });
  });

  test(`[${engine}] writing to .rodata faults as read-only, reading it works`, (t) => {
    const read = runAsm('lddw %r3, 0\nexit', [], { maps: [rodata] });
    t.is(read.result.fault, undefined);
    const asmRead = [
      // r3 = &rodata + 4 (lddw src=2), r0 = *(u32 *)r3
      { code: 0x18, dst: 3, src: 2, off: 0, imm: 0, imm64: 4n << 32n }, { code: 0, dst: 0, src: 0, off: 0, imm: 4, imm64: 0n },
      { code: 0x61, dst: 0, src: 3, off: 0, imm: 0, imm64: 0n },
      { code: 0x95, dst: 0, src: 0, off: 0, imm: 0, imm64: 0n },
    ];
    const ok = runAsm(asmRead, [], { maps: [rodata] });
    t.is(ok.result.fault, undefined);
    t.is(ok.r0, 0x08070605n);
    const write = runAsm([asmRead[0]!, asmRead[1]!, { code: 0x72, dst: 3, src: 0, off: 0, imm: 1, imm64: 0n }, asmRead[3]!], [], { maps: [rodata] });
    t.like(write.result.fault, { kind: 'read-only', size: 1, region: 'test.rodata' });
  });

  test(`[${engine}] context: aligned u32 loads of the readable fields only, no writes`, (t) => {
    t.is(runAsm('mov %r3, 0x1000\nldxw %r0, [%r3+12]\nexit').r0, 1n); // ingress_ifindex
    t.like(runAsm('mov %r3, 0x1000\nldxh %r0, [%r3+12]\nexit').result.fault, { kind: 'ctx-access', size: 2 });
    t.like(runAsm('mov %r3, 0x1000\nldxw %r0, [%r3+2]\nexit').result.fault, { kind: 'ctx-access' });
    t.like(runAsm('mov %r3, 0x1000\nldxw %r0, [%r3+20]\nexit').result.fault, { kind: 'ctx-access' }); // egress_ifindex: devmap programs only
    t.like(runAsm('mov %r3, 0x1000\nstw [%r3+0], 1\nexit').result.fault, { kind: 'ctx-access', size: 4 });
  });

  test(`[${engine}] an endless loop exhausts the instruction budget`, (t) => {
    const { result } = runAsm('mov %r0, 2\nja -1\nexit', [], { budget: 1000 });
    t.like(result.fault, { kind: 'budget', pc: PROLOGUE + 1 });
    t.is(result.insns, 1000);
    t.is(result.action, XdpAction.ABORTED);
  });

  test(`[${engine}] unbounded recursion stops at 8 call frames`, (t) => {
    const { result } = runAsm('call local f\nexit\nf:\nstdw [%r10-8], 1\ncall local f\nexit');
    t.like(result.fault, { kind: 'call-depth', pc: PROLOGUE + 3 });
  });

  test(`[${engine}] bpf-to-bpf calls get their own frame and preserve r6-r9`, (t) => {
    const { result, r0 } = runAsm([
      'mov %r6, 10', 'stdw [%r10-8], 100', 'mov %r1, 5', 'call local f', 'ldxdw %r1, [%r10-8]', 'add %r0, %r1', 'add %r0, %r6', 'exit',
      'f:', 'mov %r6, 1000', 'stdw [%r10-8], 7', 'ldxdw %r0, [%r10-8]', 'add %r0, %r1', 'exit',
    ].join('\n'));
    t.is(result.fault, undefined);
    t.is(r0, 122n);
  });

  test(`[${engine}] a map lookup returns a pointer into the value region, state persists across packets`, (t) => {
    const prog = [
      'stw [%r10-4], 1', 'lddw %r1, 0', 'mov %r2, %r10', 'add %r2, -4', 'call 1', 'jeq %r0, 0, +3',
      'mov %r1, 1', 'lock add [%r0+0], %r1', 'ldxdw %r0, [%r0+0]', 'exit',
    ];
    const body = assembleText(prog.join('\n'));
    body[1] = { code: 0x18, dst: 1, src: 1, off: 0, imm: 0, imm64: 0n }; // lddw r1, map 0
    const first = runAsm(body, [], { maps: [counters] });
    t.is(first.result.fault, undefined);
    t.is(first.r0, 1n);
    const again = first.prog.run(new Uint8Array(14));
    t.is(again.fault, undefined);
    t.deepEqual([...first.prog.maps.get('counters')!.lookup(Uint8Array.of(1, 0, 0, 0))!], [2, 0, 0, 0, 0, 0, 0, 0]);
  });

  test(`[${engine}] a lookup with a bad key pointer faults in the helper`, (t) => {
    const body = assembleText('mov %r2, 16\nlddw %r1, 0\ncall 1\nexit');
    body[1] = { code: 0x18, dst: 1, src: 1, off: 0, imm: 0, imm64: 0n };
    const { result } = runAsm(body, [], { maps: [counters] });
    t.like(result.fault, { kind: 'out-of-bounds', addr: 16, size: 4, region: 'null', pc: PROLOGUE + 3 });
  });
}

