import test, { type ExecutionContext } from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assembleText } from '../../lib/isa/assemble-text.ts';
import { formatInstruction } from '../../lib/isa/disasm.ts';
import { decodeInstructions, type Instruction } from '../../lib/isa/instruction.ts';
import { AluOp, Class, Mode, Op } from '../../lib/isa/opcode.ts';
import { OPCODE_TABLE } from './opcode-table.ts';
import { compileBpf, executableSections, haveLlvm, objdump, sectionBytes, tempDir } from './llvm.ts';

// Our disassembly of real clang output must equal llvm-objdump's, instruction for instruction.
// Section bytes come from llvm-objcopy here (test-only) so this check does not depend on our ELF
// loader; relocations are not applied on either side (`r1 = 0 ll`, `call -1`).

const llvmTest = haveLlvm ? test : test.skip;
const here = fileURLToPath(new URL('.', import.meta.url));
const fixturesDir = join(here, 'fixtures');
const samplesDir = join(here, '..', '..', 'samples');

/** What distinguishes instruction forms: opcode, plus the field that selects a variant. */
function formKey(insn: Instruction): string {
  const code = insn.code;
  const cls = code & 0x07;
  const hex = code.toString(16).padStart(2, '0');
  const op = code & 0xf0;
  if ((cls === Class.ALU || cls === Class.ALU64) && (op === AluOp.DIV || op === AluOp.MOD || op === AluOp.MOV)) return `${hex}/off${insn.off}`;
  if ((cls === Class.ALU || cls === Class.ALU64) && (code & 0xf0) === AluOp.END) return `${hex}/${insn.imm}`;
  if (cls === Class.STX && (code & 0xe0) === Mode.ATOMIC) return `${hex}/imm${insn.imm.toString(16)}`;
  return hex;
}

function forms(insns: readonly Instruction[]): Set<string> {
  const out = new Set<string>();
  for (let pc = 0; pc < insns.length; pc++) {
    out.add(formKey(insns[pc]!));
    if (insns[pc]!.code === Op.LDDW) pc++;
  }
  return out;
}

/** Compare every executable section of `obj`; returns the instruction forms seen. */
function compareObject(t: ExecutionContext, obj: string): Set<string> {
  const seen = new Set<string>();
  const sections = executableSections(obj);
  t.true(sections.length > 0, 'object has executable sections');
  let count = 0;
  for (const sec of sections) {
    const insns = decodeInstructions(sectionBytes(obj, sec));
    const plain = objdump(obj, sec);
    let alu32: Map<number, string> | undefined;
    for (let pc = 0; pc < insns.length; pc++) {
      const ours = formatInstruction(insns, pc);
      let theirs = plain.get(pc);
      if (theirs !== ours && (insns[pc]!.code & 0xe0) === Mode.ATOMIC) {
        alu32 ??= objdump(obj, sec, { alu32: true });
        theirs = alu32.get(pc);
      }
      t.is(ours, theirs ?? '<missing from llvm-objdump>', `section ${sec} insn ${pc}`);
      count++;
      if (insns[pc]!.code === Op.LDDW) pc++;
    }
    for (const f of forms(insns)) seen.add(f);
  }
  t.log(`${count} instructions in ${sections.join(', ')} identical`);
  return seen;
}

function fixtureCpus(file: string): string[] {
  const m = /cpus:\s*((?:v\d\s*)+)/.exec(readFileSync(join(fixturesDir, file), 'utf8'));
  return m === null ? ['v2'] : m[1]!.trim().split(/\s+/);
}

const fixtures = readdirSync(fixturesDir).filter((f) => f.endsWith('.c')).sort();
const tableForms = forms(assembleText(OPCODE_TABLE.map((c) => c.asm).join('\n')));
const compiledForms = new Set<string>();

for (const file of fixtures) {
  for (const cpu of fixtureCpus(file)) {
    llvmTest(`disassembly of fixtures/${file} built with -mcpu=${cpu} equals llvm-objdump`, (t) => {
      const obj = join(tempDir(), `${file}.${cpu}.o`);
      compileBpf(join(fixturesDir, file), obj, cpu);
      for (const f of compareObject(t, obj)) compiledForms.add(f);
    });
  }
}

const samples = existsSync(samplesDir) ? readdirSync(samplesDir).filter((f) => f.endsWith('.bpf.o')).sort() : [];
for (const file of samples) {
  llvmTest(`disassembly of samples/${file} equals llvm-objdump`, (t) => {
    for (const f of compareObject(t, join(samplesDir, file))) compiledForms.add(f);
  });
}

test('every instruction form in the committed samples is in the opcode table', (t) => {
  const missing: string[] = [];
  for (const file of samples) {
    const obj = join(samplesDir, file);
    if (!haveLlvm) continue;
    for (const sec of executableSections(obj)) {
      for (const f of forms(decodeInstructions(sectionBytes(obj, sec)))) if (!tableForms.has(f)) missing.push(`${file}:${sec}:${f}`);
    }
  }
  t.deepEqual(missing, []);
  if (!haveLlvm) t.log('llvm tools missing: samples not inspected');
});

test.after.always('instruction forms compiled from C are all in the opcode table', () => {
  const missing = [...compiledForms].filter((f) => !tableForms.has(f));
  if (missing.length > 0) throw new Error(`forms missing from opcode-table.ts: ${missing.join(', ')}`);
});
