import test from 'ava';
import { readFileSync } from 'node:fs';
import { assembleText } from '../../../lib/isa/assemble-text.ts';
import { planBlocks } from '../../../lib/vm/wasm/compile.ts';
import { loadXdpProgramFromElf } from '../../../lib/xdp/xdp-program.ts';
import { samplePath } from '../../xdp/capture-packets.ts';
import { programFrom, PROLOGUE } from '../run-program.ts';

/**
 * Block layout (block-order.ts): a jump back in program order to a shared epilogue is laid out
 * forward, so an acyclic program compiles without the dispatch loop; a real loop or a
 * bpf-to-bpf call keeps it. The engines-agree suite checks the behaviour; these check the plan.
 */

test('an acyclic program whose jumps go back to a shared epilogue is laid out with every jump forward and no loop', (t) => {
  // 0: ja → 3; 1-2: the epilogue; 3: mov, 4: ja back to 1
  const prog = programFrom(assembleText(['ja +2', 'mov %r0, 2', 'exit', 'mov %r0, 5', 'ja -4'].join('\n')), [], { engine: 'wasm' });
  const plan = planBlocks(prog.image, false);
  t.false(plan.loop);
  t.is(plan.starts[0], 0);
  // every jump target is laid out after its jump
  const image = prog.image;
  plan.starts.forEach((start, k) => {
    const stop = plan.stops[k]!;
    for (let pc = start; pc < stop; pc++) {
      const op = image.op[pc]!;
      if ((op & 7) === 5 && op !== 0x85 && op !== 0x95) t.true(plan.blockOf[pc + image.off[pc]! + 1]! > k, `jump at ${pc - PROLOGUE}`);
    }
  });
  t.is(prog.run(new Uint8Array(14)).action, 2);
});

test('a program with a loop keeps program order and the dispatch loop', (t) => {
  const prog = programFrom(assembleText(['mov %r0, 0', 'add %r0, 1', 'jlt %r0, 5, -2', 'exit'].join('\n')), [], { engine: 'interp' });
  const plan = planBlocks(prog.image, false);
  t.true(plan.loop);
  t.deepEqual(plan.starts, [...plan.starts].sort((a, b) => a - b));
});

test('the firewall sample compiles without the dispatch loop', (t) => {
  const p = loadXdpProgramFromElf(readFileSync(samplePath('firewall')), { name: 'firewall.bpf.o', program: 'xdp_firewall', engine: 'interp' });
  t.false(planBlocks(p.image, false).loop);
  t.false(planBlocks(p.image, true).loop);
});
