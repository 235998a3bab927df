import test from 'ava';
import { XdpAction } from '../../lib/xdp/constants.ts';
import { ENGINES, onEngine } from '../vm/run-program.ts';

/** Call an xdp_adjust helper (ctx is at 0x1000) with `offset`; r0 = its return value (signed). */
const adjust = (helper: number, ...offsets: number[]): string =>
  offsets.map((o) => `mov %r1, 0x1000\nmov %r2, ${o}\ncall ${helper}`).join('\n') + '\nexit';
const HEAD = 44, META = 54, TAIL = 65;
const signed = (v: bigint): number => Number(BigInt.asIntN(64, v));

for (const engine of ENGINES) {
  const runAsm = onEngine(engine);
  test(`[${engine}] adjust_head accepts -216 and refuses -217 (40 bytes of the page are never claimable)`, (t) => {
    t.is(signed(runAsm(adjust(HEAD, -216)).r0), 0);
    t.is(signed(runAsm(adjust(HEAD, -217)).r0), -22);
    const r = runAsm(adjust(HEAD, -216), new Array(60).fill(0xab)).result;
    t.is(r.packet.length, 276);
    t.true(r.packet.subarray(0, 216).every((b) => b === 0));
  });

  test(`[${engine}] adjust_head keeps at least 14 bytes`, (t) => {
    t.is(signed(runAsm(adjust(HEAD, 46), new Array(60).fill(1)).r0), 0);
    t.is(signed(runAsm(adjust(HEAD, 47), new Array(60).fill(1)).r0), -22);
  });

  test(`[${engine}] metadata counts against the head room and moves with data`, (t) => {
    t.is(signed(runAsm(adjust(META, -8) + '').r0), 0);
    t.is(signed(runAsm(adjust(META, -8).replace('exit', '') + adjust(HEAD, -208)).r0), 0);
    t.is(signed(runAsm(adjust(META, -8).replace('exit', '') + adjust(HEAD, -209)).r0), -22);
  });

  test(`[${engine}] adjust_meta needs multiples of 4 and stays above the frame header`, (t) => {
    t.is(signed(runAsm(adjust(META, -3)).r0), -13);
    t.is(signed(runAsm(adjust(META, -216)).r0), 0);
    t.is(signed(runAsm(adjust(META, -220)).r0), -22);
    t.is(signed(runAsm(adjust(META, 4)).r0), -22);
  });

  test(`[${engine}] metadata written by the program is returned separately from the frame`, (t) => {
    const prog = 'mov %r1, 0x1000\nmov %r2, -4\ncall 54\nmov %r3, 0x1000\nldxw %r4, [%r3+8]\nstw [%r4+0], 0x44332211\nmov %r0, 2\nexit';
    const r = runAsm(prog, new Array(20).fill(7)).result;
    t.is(r.fault, undefined, r.fault?.message);
    t.deepEqual([...r.meta], [0x11, 0x22, 0x33, 0x44]);
    t.is(r.packet.length, 20);
    t.is(r.action, XdpAction.PASS);
  });

  test(`[${engine}] adjust_tail grows a 64-byte frame by 3456 and no more`, (t) => {
    t.is(signed(runAsm(adjust(TAIL, 3456), new Array(64).fill(1)).r0), 0);
    t.is(signed(runAsm(adjust(TAIL, 3457), new Array(64).fill(1)).r0), -22);
    t.is(runAsm(adjust(TAIL, 3456), new Array(64).fill(1)).result.packet.length, 3520);
  });

  test(`[${engine}] adjust_tail shrinks to 14 bytes and re-grows zero-filled`, (t) => {
    t.is(signed(runAsm(adjust(TAIL, -46), new Array(60).fill(1)).r0), 0);
    t.is(signed(runAsm(adjust(TAIL, -47), new Array(60).fill(1)).r0), -22);
    const r = runAsm(adjust(TAIL, -10, 10), new Array(60).fill(1)).result;
    t.deepEqual([...r.packet.subarray(50)], new Array(10).fill(0));
  });

  test(`[${engine}] a frame shorter than 14 bytes is not run`, (t) => {
    const prog = runAsm('mov %r0, 1\nexit').prog;
    const r = prog.run(new Uint8Array(13));
    t.regex(r.notRun ?? '', /shorter than the 14-byte/);
    t.is(r.insns, 0);
  });

  test(`[${engine}] a 3521-byte frame runs on 3520 linear bytes and keeps the rest as a fragment`, (t) => {
    const prog = runAsm('mov %r3, 0x1000\nldxw %r4, [%r3+0]\nldxw %r5, [%r3+4]\nmov %r0, %r5\nsub %r0, %r4\nexit').prog;
    const frame = new Uint8Array(3521).fill(3);
    const r = prog.run(frame);
    t.is(r.action, 3520);
    t.is(r.fragBytes, 1);
    t.is(r.packet.length, 3521);
  });

  test(`[${engine}] bpf_xdp_store_bytes into a fragment changes the output, never the caller's frame`, (t) => {
    // store 4 bytes at offset 3600 (in the fragment), then load them back into r0.
    const src = 'stw [%r10-8], 0x44332211\nmov %r1, 0x1000\nmov %r2, 3600\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 4\ncall 190\n' +
      'stw [%r10-16], 0\nmov %r1, 0x1000\nmov %r2, 3600\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 4\ncall 189\nldxw %r0, [%r10-16]\nexit';
    const prog = runAsm(src).prog;
    const frame = new Uint8Array(4000).fill(7);
    for (const borrow of [false, true]) {
      const r = prog.run(frame, { borrow });
      t.is(r.action, 0x44332211);
      t.deepEqual([...r.packet.subarray(3600, 3604)], [0x11, 0x22, 0x33, 0x44]);
      t.true(frame.every((b) => b === 7), 'the input frame is untouched');
    }
  });

  test(`[${engine}] head bytes claimed in one run read as zero in the next`, (t) => {
    const prog = runAsm('mov %r1, 0x1000\nmov %r2, -16\ncall 44\nmov %r3, 0x1000\nldxw %r4, [%r3+0]\nldxb %r0, [%r4+0]\nstb [%r4+0], 0x55\nexit').prog;
    t.is(prog.run(new Uint8Array(60)).action, 0);
    t.is(prog.run(new Uint8Array(60)).action, 0);
  });

  test(`[${engine}] a frame's own bytes stay when data moves forward and back in one run; an earlier, longer frame's tail is never visible`, (t) => {
    // adjust_head(+14), adjust_head(-14): the Ethernet header is still there (no zeroing inside a run);
    // then adjust_tail(+40) on a short frame after a long one: zeros, not the long frame's bytes.
    const src = 'mov %r1, 0x1000\nmov %r2, 14\ncall 44\nmov %r1, 0x1000\nmov %r2, -14\ncall 44\nmov %r1, 0x1000\nmov %r2, 40\ncall 65\nmov %r0, 2\nexit';
    const prog = runAsm(src).prog;
    const long = new Uint8Array(200).fill(0xcc);
    t.is(prog.run(long).packet.length, 240);
    const short = new Uint8Array(60).map((_, i) => i + 1);
    const out = prog.run(short).packet;
    t.deepEqual([...out.subarray(0, 60)], [...short]);
    t.true(out.subarray(60).every((b) => b === 0));
    t.is(out.length, 100);
  });
}
