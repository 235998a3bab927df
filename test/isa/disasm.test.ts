import test from 'ava';
import { assembleText } from '../../lib/isa/assemble-text.ts';
import { asm, assemble, R0, R1, R2 } from '../../lib/isa/asm.ts';
import { formatInstruction } from '../../lib/isa/disasm.ts';
import { disassemble, disassembleEntries } from '../../lib/isa/disassemble.ts';
import { encodeInstructions, type Instruction } from '../../lib/isa/instruction.ts';
import { Op } from '../../lib/isa/opcode.ts';
import { OPCODE_TABLE } from './opcode-table.ts';
import { haveLlvm, llvmMajor, objdump, objectFromBytes } from './llvm.ts';

const llvmTest = haveLlvm ? test : test.skip;

/** Slot index of each table entry once the whole table is assembled into one program. */
function assembleTable(): { insns: Instruction[]; pcs: number[] } {
  const insns = assembleText(OPCODE_TABLE.map((c) => c.asm).join('\n'));
  const pcs: number[] = [];
  for (let pc = 0; pc < insns.length; pc++) {
    pcs.push(pc);
    if (insns[pc]!.code === Op.LDDW) pc++;
  }
  return { insns, pcs };
}

test('every instruction form round-trips from assembler text to llvm and kernel syntax', (t) => {
  for (const c of OPCODE_TABLE) {
    const insns = assembleText(c.asm);
    t.is(formatInstruction(insns, 0), c.llvm, c.asm);
    t.is(formatInstruction(insns, 0, { style: 'kernel' }), c.kernel, c.asm);
  }
  t.true(OPCODE_TABLE.length >= 160);
});

llvmTest('every instruction form prints as llvm-objdump prints it (LLVM 14 gaps listed in the table)', (t) => {
  const { insns, pcs } = assembleTable();
  const obj = objectFromBytes(encodeInstructions(insns));
  const plain = objdump(obj, '.text2');
  const alu32 = objdump(obj, '.text2', { alu32: true });
  let verified = 0;
  const gaps: string[] = [];
  OPCODE_TABLE.forEach((c, i) => {
    const pc = pcs[i]!;
    let theirs = plain.get(pc);
    // llvm-objdump decodes most 32-bit atomics only with its alu32 decoder table.
    if (theirs !== c.llvm && c.asm.startsWith('lock')) theirs = alu32.get(pc);
    if (theirs === c.llvm) {
      verified++;
      return;
    }
    gaps.push(c.asm);
    if (llvmMajor === 14) t.is(theirs, c.llvm14, `${c.asm}: llvm-objdump 14 prints "${theirs ?? ''}"`);
    else t.not(theirs, undefined, c.asm);
  });
  t.log(`${verified}/${OPCODE_TABLE.length} forms identical to llvm-objdump ${llvmMajor}; not printable by it: ${gaps.join('; ')}`);
  t.true(verified >= 120);
});

test('names helpers, maps, global data and bpf-to-bpf calls when asked', (t) => {
  const insns = assemble([
    asm.ldMapFd(R1, 0),
    asm.ldMapValue(R2, 1, 8),
    asm.ldMapValue(R2, 1, 0),
    asm.call(1),
    asm.callLocal('sub'),
    asm.ldFunc(R2, 'sub'),
    asm.exit(),
    asm.label('sub'),
    asm.mov64Imm(R0, 0),
    asm.exit(),
  ]);
  const names = ['cnt', '.bss'];
  const opts = { mapName: (i: number) => names[i], helperNames: true, funcName: (pc: number) => (pc === 11 ? 'sub' : undefined) };
  const text = [0, 2, 4, 6, 7, 8].map((pc) => formatInstruction(insns, pc, opts));
  t.deepEqual(text, ['r1 = map[cnt]', 'r2 = map[.bss] + 8', 'r2 = map[.bss]', 'call bpf_map_lookup_elem#1', 'call sub', 'r2 = sub']);
  t.deepEqual([0, 7].map((pc) => formatInstruction(insns, pc)), ['ld_pseudo r1, 1, 0', 'call 3']);
  t.deepEqual([0, 7, 8].map((pc) => formatInstruction(insns, pc, { style: 'kernel' })), ['r1 = map[#0]', 'call pc+3', 'r2 = pc+2']);
});

test('prints unknown opcodes and reserved encodings without throwing', (t) => {
  const insns = assemble([asm.raw(0xff), asm.raw(0xbf, { dst: 1, src: 2, off: 7 }), asm.raw(0x9b), asm.raw(0xdb, { imm: 0x02 })]);
  t.deepEqual([0, 1, 2, 3].map((pc) => formatInstruction(insns, pc)), [
    '<unknown opcode 0xff>', '<unknown opcode 0xbf>', '<unknown opcode 0x9b>', '<unknown opcode 0xdb>',
  ]);
  t.throws(() => formatInstruction(insns, 9), { instanceOf: RangeError });
});

const program = {
  insns: assemble([
    asm.ldxw(R2, R1, 4),
    asm.ldxw(R1, R1, 0),
    asm.lddw(R0, 1),
    asm.callLocal('f'),
    asm.exit(),
    asm.label('f'),
    asm.mov64Imm(R0, 2),
    asm.exit(),
  ]),
  funcs: [{ insn: 0, name: 'xdp_prog' }, { insn: 6, name: 'f' }],
  lines: [
    { file: 'fw.c', line: 12, col: 37, text: 'void *end = (void *)(long)ctx->data_end;' },
    { file: 'fw.c', line: 11, col: 38, text: 'void *data = (void *)(long)ctx->data;' },
    undefined,
    undefined,
    { file: 'fw.c', line: 11, col: 38, text: 'void *data = (void *)(long)ctx->data;' },
    { file: 'fw.c', line: 20, col: 2, text: 'return 1;' },
    { file: 'fw.c', line: 3, col: 9, text: 'return 2;' },
  ],
};

test('lists a program like bpftool prog dump xlated linum', (t) => {
  t.deepEqual(disassemble(program, { style: 'kernel' }), [
    'xdp_prog:',
    '; void *end = (void *)(long)ctx->data_end; [file:fw.c line_num:12 line_col:37]',
    '   0: (61) r2 = *(u32 *)(r1 +4)',
    '; void *data = (void *)(long)ctx->data; [file:fw.c line_num:11 line_col:38]',
    '   1: (61) r1 = *(u32 *)(r1 +0)',
    '   2: (18) r0 = 0x1',
    '   4: (85) call f',
    '; return 1; [file:fw.c line_num:20 line_col:2]',
    '   5: (95) exit',
    'f:',
    '; return 2; [file:fw.c line_num:3 line_col:9]',
    '   6: (b7) r0 = 2',
    '   7: (95) exit',
  ]);
});

test('lists without source or without line numbers, with a custom function header', (t) => {
  const noSource = disassemble(program, { source: false });
  t.false(noSource.some((l) => l.startsWith(';')));
  t.is(noSource[1], '   0: (61) r2 = *(u32 *)(r1 + 4)');
  const plain = disassemble(program, { linum: false, funcHeader: (n) => (n === 'xdp_prog' ? 'int xdp_prog(struct xdp_md * ctx):' : undefined) });
  t.is(plain[0], 'int xdp_prog(struct xdp_md * ctx):');
  t.is(plain[1], '; void *end = (void *)(long)ctx->data_end;');
  t.deepEqual(disassemble({ insns: assemble([asm.exit()]) }), ['   0: (95) exit']);
});

test('gives the JSON form with bpftool keys', (t) => {
  const entries = disassembleEntries(program, { style: 'kernel' });
  t.is(entries.length, 7);
  t.deepEqual(entries[0], {
    pc: 0, opcode: 0x61, insn: 'r2 = *(u32 *)(r1 +4)', func: 'xdp_prog',
    src: 'void *end = (void *)(long)ctx->data_end;', file: 'fw.c', line_num: 12, line_col: 37,
  });
  t.deepEqual(entries[2], { pc: 2, opcode: 0x18, insn: 'r0 = 0x1' });
  t.deepEqual(JSON.parse(JSON.stringify(entries)), entries);
});
