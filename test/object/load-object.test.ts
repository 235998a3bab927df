import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ObjectError } from '../../lib/errors.ts';
import { Op, PseudoCall, PseudoLd } from '../../lib/isa/opcode.ts';
import { loadObject, objectNameFromPath, selectProgram } from '../../lib/object/load-object.ts';
import { internalMapName } from '../../lib/object/maps.ts';
import { matchSection, secDefMatches } from '../../lib/object/section-defs.ts';
import { MapType, type ObjectSpec, type ProgramSpec } from '../../lib/object/types.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/object/${name}`, import.meta.url));
const loader = (): ObjectSpec => loadObject(readFileSync(fixture('loader.bpf.o')), { name: 'loader.bpf.o' });
const prog = (o: ObjectSpec, name: string): ProgramSpec => o.programs.find((p) => p.name === name)!;

test('finds every program with its section, XDP-ness and frags flag', (t) => {
  const o = loader();
  t.is(o.name, 'loader');
  t.is(o.license, 'GPL');
  t.deepEqual(
    o.programs.map((p) => [p.name, p.section, p.isXdp, p.frags]),
    [
      ['tail_one', 'xdp', true, false],
      ['xdp_main', 'xdp', true, false],
      ['xdp_frags_prog', 'xdp.frags', true, true],
      ['tc_prog', 'tc', false, false],
    ],
  );
});

test('appends reachable subprograms once and rewrites calls relative to the linked layout', (t) => {
  const p = prog(loader(), 'xdp_main');
  t.deepEqual(p.funcs.map((f) => f.name), ['xdp_main', 'cb', 'add_hits']);
  const starts = new Set(p.funcs.map((f) => f.insn));
  let calls = 0;
  p.insns.forEach((insn, pc) => {
    if (insn.code === Op.CALL && insn.src === PseudoCall.CALL) {
      calls++;
      t.true(starts.has(pc + insn.imm + 1), `call at ${pc} lands on a function start`);
    }
    if (insn.code === Op.LDDW && insn.src === PseudoLd.FUNC) {
      t.is(pc + insn.imm + 1, p.funcs.find((f) => f.name === 'cb')!.insn);
    }
  });
  t.true(calls >= 1);
  t.is(prog(loader(), 'tc_prog').funcs.length, 1);
});

test('relocates map references to map indexes and global data to map value offsets', (t) => {
  const o = loader();
  const p = prog(o, 'xdp_main');
  const fds = p.insns.filter((i) => i.code === Op.LDDW && i.src === PseudoLd.MAP_FD).map((i) => o.maps[i.imm]!.name);
  t.deepEqual(new Set(fds), new Set(['counters', 'jmp']));
  const values = p.insns.filter((i) => i.code === Op.LDDW && i.src === PseudoLd.MAP_VALUE).map((i) => [o.maps[i.imm]!.section, Number(i.imm64 >> 32n)]);
  t.true(values.some(([s]) => s === '.rodata'));
  t.true(values.some(([s]) => s === '.data'));
  t.true(values.some(([s]) => s === '.bss'));
  for (const i of p.insns.filter((x) => x.code === Op.LDDW && x.src === PseudoLd.MAP_VALUE)) t.is(Number(i.imm64 & 0xffffffffn), i.imm);
});

test('reads BTF-defined maps with key/value types, PROG_ARRAY and map-in-map initialisers', (t) => {
  const o = loader();
  const m = (n: string) => o.maps.find((x) => x.name === n)!;
  t.like(m('flows'), { type: MapType.HASH, keySize: 16, valueSize: 32, maxEntries: 1024, flags: 0, readOnly: false });
  t.is(o.btf!.typeName(m('flows').btfKeyTypeId!), 'struct flow_key');
  t.like(m('counters'), { type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
  t.deepEqual(m('jmp').initialSlots, [{ key: 2, name: 'tail_one' }]);
  t.like(m('outer'), { type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2 });
  t.like(m('outer').inner!, { type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 2 });
  t.deepEqual(m('outer').initialSlots, [{ key: 1, name: 'inner0' }]);
});

test('turns global data sections into single-entry arrays named as libbpf names them', (t) => {
  const o = loader();
  const g = o.maps.filter((m) => m.initialValue !== undefined).map((m) => [m.section, m.name, m.valueSize, m.readOnly, m.flags]);
  t.deepEqual(g, [
    ['.rodata', 'loader.rodata', 4, true, 0x480],
    ['.data', 'loader.data', 8, false, 0x400],
    ['.data.names', '.data.names', 16, false, 0x400],
    ['.bss', 'loader.bss', 4, false, 0x400],
  ]);
  const ro = o.maps.find((m) => m.section === '.rodata')!;
  t.is(new DataView(ro.initialValue!.buffer).getUint32(0, true), 53);
  t.is(internalMapName('ratelimit', '.rodata'), 'ratelimi.rodata');
  t.is(internalMapName('x-y', '.bss'), 'x_y.bss');
  t.is(internalMapName('ratelimit', '.rodata.str1.1'), '.rodata.str1.1');
  t.is(objectNameFromPath('/a/b/fw.bpf.o'), 'fw');
});

test('reads the legacy maps section', (t) => {
  const o = loadObject(readFileSync(fixture('legacy.bpf.o')), { name: 'legacy.bpf.o' });
  t.deepEqual(
    o.maps.map((m) => [m.name, m.section, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags]),
    [
      ['rx_count', 'maps', MapType.ARRAY, 4, 8, 16, 0],
      ['blocked', 'maps', MapType.HASH, 4, 1, 128, 1],
    ],
  );
  t.deepEqual(o.programs.map((p) => [p.name, p.section, p.isXdp]), [['xdp_legacy', 'xdp/legacy', true]]);
});

test('gives every program line info with file, line, column and source text', (t) => {
  const p = prog(loader(), 'xdp_main');
  t.like(p.lines[0], { file: './loader.c', text: 'int xdp_main(struct xdp_md *ctx)', col: 0 });
  const sub = p.funcs.find((f) => f.name === 'add_hits')!;
  t.regex(p.lines[sub.insn]?.text ?? '', /hits|add_hits/);
  t.is(p.lines.length, p.insns.length);
});

test('selects programs by name or section and lists what exists when it cannot', (t) => {
  const o = loader();
  t.is(selectProgram(o, 'tc_prog').name, 'tc_prog');
  t.is(selectProgram(o, 'xdp.frags').name, 'xdp_frags_prog');
  const missing = t.throws(() => selectProgram(o, 'nope'), { instanceOf: ObjectError });
  t.is(missing.message, 'program "nope" not found in loader.o; available: tail_one (section xdp), xdp_main (section xdp), xdp_frags_prog (section xdp.frags), tc_prog (section tc, SCHED_CLS)');
  t.throws(() => selectProgram(o, 'xdp'), { instanceOf: ObjectError, message: /section "xdp" of loader.o holds 2 programs/ });
  t.throws(() => selectProgram(o), { instanceOf: ObjectError, message: /3 XDP programs/ });
});

test('matches sections with libbpf rules', (t) => {
  t.true(secDefMatches('kprobe+', 'kprobe'));
  t.true(secDefMatches('kprobe+', 'kprobe/do_sys_open'));
  t.false(secDefMatches('kprobe+', 'kprobex'));
  t.true(secDefMatches('xdp', 'xdp'));
  t.false(secDefMatches('xdp', 'xdp/foo'));
  t.like(matchSection('xdp.frags/devmap'), { isXdp: true, frags: true, legacy: false });
  t.like(matchSection('xdp/lb'), { isXdp: true, legacy: true });
  t.like(matchSection('tc'), { isXdp: false });
  t.is(matchSection('tc').def?.progType, 'SCHED_CLS');
  t.is(matchSection('classifier').def?.progType, 'SCHED_CLS');
});

test('resolves CO-RE field relocations against the object\'s own BTF', (t) => {
  const o = loadObject(readFileSync(fixture('core.bpf.o')), { name: 'core.bpf.o' });
  const p = selectProgram(o, 'xdp_core');
  // data_end at byte 4, data at byte 0 of the local struct: what clang wrote stays.
  const loads = p.insns.filter((i) => i.code === 0x61).map((i) => i.off);
  t.deepEqual(new Set(loads), new Set([0, 4]));
});

test('refuses CO-RE relocations that need kernel BTF, naming the relocation', (t) => {
  const err = t.throws(() => loadObject(readFileSync(fixture('core-target.bpf.o'))), { instanceOf: ObjectError });
  t.is(err.code, 'CORE_RELO');
  t.regex(err.message, /section "xdp": insn \d+: CO-RE relocation TYPE_ID_TARGET/);
});

test('refuses .kconfig externs, naming the symbol', (t) => {
  const err = t.throws(() => loadObject(readFileSync(fixture('kconfig.bpf.o'))), { instanceOf: ObjectError });
  t.is(err.code, 'EXTERN');
  t.regex(err.message, /extern symbol "LINUX_KERNEL_VERSION"/);
});
