import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { disasm } from '../../cmd/commands/disasm.ts';
import { renderDisasm } from '../../cmd/commands/disasm-run.ts';
import { ObjectError } from '../../lib/errors.ts';

const path = fileURLToPath(new URL('../../samples/globals.bpf.o', import.meta.url));
const subprog = fileURLToPath(new URL('../../samples/subprog.bpf.o', import.meta.url));

test('disasm prints the program with source lines, map names and helper names', (t) => {
  const out = renderDisasm(readFileSync(path), { path }).split('\n');
  t.is(out[0], 'xdp_globals:');
  t.regex(out[1]!, /^; void \*data_end = \(void \*\)\(long\)ctx->data_end; \[file:\S+globals\.c line_num:\d+ line_col:\d+\]$/);
  t.is(out[2], '   0: (61) r2 = *(u32 *)(r1 + 4)');
  t.true(out.some((l) => /^ +\d+: \(18\) r\d = map\[globals\.bss\] \+ 8$/.test(l)));
  const sub = renderDisasm(readFileSync(subprog), { path: subprog, style: 'kernel', source: false }).split('\n');
  t.true(sub.includes('check_l3:'));
  t.true(sub.some((l) => / \(85\) call check_l3$/.test(l)));
  t.true(sub.some((l) => / \(85\) call bpf_map_lookup_elem#1$/.test(l)));
  t.false(sub.some((l) => l.startsWith(';')));
});

test('disasm --json gives one entry per instruction with bpftool line keys', (t) => {
  const entries = JSON.parse(renderDisasm(readFileSync(path), { path, json: true })) as Record<string, unknown>[];
  t.like(entries[0], { pc: 0, opcode: 0x61, insn: 'r2 = *(u32 *)(r1 + 4)', func: 'xdp_globals' });
  t.true(entries.every((e) => typeof e['pc'] === 'number' && typeof e['insn'] === 'string'));
  t.true(entries.some((e) => typeof e['line_num'] === 'number' && typeof e['line_col'] === 'number' && typeof e['file'] === 'string'));
});

test('disasm names the available programs when --prog matches none', (t) => {
  t.throws(() => renderDisasm(readFileSync(path), { path, prog: 'nope' }), { instanceOf: ObjectError, message: /available: xdp_globals/ });
});

test('disasm runs as a yargs command and writes to stdout', async (t) => {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => {
    chunks.push(s);
    return true;
  }) as typeof process.stdout.write;
  try {
    await yargs(['disasm', path, '--no-source', '--style', 'kernel']).command(disasm).strict().parseAsync();
  } finally {
    process.stdout.write = write;
  }
  const out = chunks.join('');
  t.true(out.startsWith('xdp_globals:\n   0: (61) r2 = *(u32 *)(r1 +4)\n'));
  t.false(out.includes('\n;'));
});
