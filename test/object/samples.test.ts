import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadObject } from '../../lib/object/load-object.ts';
import { describeObject } from '../../lib/object/describe-object.ts';
import { requireKernel } from '../helpers/kernel.ts';

/** Every committed sample object, plus our own loader fixtures. Empty sample glob = failure. */
const samplesDir = fileURLToPath(new URL('../../samples/', import.meta.url));
const fixturesDir = fileURLToPath(new URL('../fixtures/object/', import.meta.url));
const samples = existsSync(samplesDir) ? readdirSync(samplesDir).filter((f) => f.endsWith('.bpf.o')).sort().map((f) => samplesDir + f) : [];
const objects = [...samples, ...['loader', 'legacy', 'format', 'strings'].map((f) => `${fixturesDir}${f}.bpf.o`)];
const short = (f: string): string => f.slice(f.lastIndexOf('/') + 1);

const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

interface ElfFunc {
  name: string;
  section: string;
  value: number;
  size: number;
}

/** FUNC symbols with their section names, from llvm-readelf. */
function elfFuncs(file: string): ElfFunc[] {
  const secs = new Map<string, string>();
  for (const line of run('llvm-readelf', ['-S', '--wide', file]).split('\n')) {
    const m = /^\s*\[\s*(\d+)\]\s+(\S+)/.exec(line);
    if (m) secs.set(m[1]!, m[2]!);
  }
  const out: ElfFunc[] = [];
  for (const line of run('llvm-readelf', ['-s', '--wide', file]).split('\n')) {
    const m = /^\s*\d+:\s+([0-9a-f]+)\s+(\d+)\s+FUNC\s+\S+\s+\S+\s+(\d+)\s+(\S+)/.exec(line);
    if (m) out.push({ value: parseInt(m[1]!, 16), size: Number(m[2]), section: secs.get(m[3]!)!, name: m[4]! });
  }
  return out;
}

test('the samples directory holds the nine sample objects', (t) => {
  t.true(samples.length >= 9, `found ${samples.map(short).join(', ')}`);
});

for (const file of objects) {
  test(`${short(file)}: programs, sections and function sizes agree with llvm-readelf`, (t) => {
    const spec = loadObject(readFileSync(file), { name: file });
    const funcs = elfFuncs(file);
    const entries = funcs.filter((f) => f.section !== '.text');
    t.deepEqual(spec.programs.map((p) => `${p.name}@${p.section}`).sort(), entries.map((f) => `${f.name}@${f.section}`).sort());
    for (const p of spec.programs) {
      const total = p.funcs.reduce((n, f) => n + funcs.find((x) => x.name === f.name)!.size / 8, 0);
      t.is(p.insns.length, total, `${p.name}: linked length = entry + subprograms`);
      t.is(p.lines.length, p.insns.length);
    }
  });

  test(`${short(file)}: line info agrees with the DWARF line table (llvm-objdump -l)`, (t) => {
    const spec = loadObject(readFileSync(file), { name: file });
    const funcs = elfFuncs(file);
    let compared = 0;
    let agreed = 0;
    for (const p of spec.programs) {
      const entry = funcs.find((f) => f.name === p.name)!;
      // DWARF line per section slot.
      const dwarf = new Map<number, number>();
      let line = 0;
      for (const l of run('llvm-objdump', ['-d', '-l', '--no-show-raw-insn', `--section=${p.section}`, file]).split('\n')) {
        const src = /^; .*:(\d+)$/.exec(l);
        if (src) line = Number(src[1]);
        const insn = /^\s+(\d+):\t/.exec(l);
        if (insn) dwarf.set(Number(insn[1]), line);
      }
      const start = entry.value / 8;
      const n = entry.size / 8;
      for (let i = 0; i < n; i++) {
        const btfLine = p.lines[i];
        // BTF puts the function's declaration line on its first slot; DWARF the first statement.
        if (i === 0 || !btfLine || btfLine.line === 0 || !dwarf.has(start + i)) continue;
        compared++;
        if (dwarf.get(start + i) === btfLine.line) agreed++;
      }
    }
    t.true(compared > 0, 'some line info to compare');
    t.true(agreed / compared >= 0.9, `${agreed}/${compared} BTF line_info entries match DWARF`);
  });
}

for (const file of [...samples, ...['loader', 'format', 'strings'].map((f) => `${fixturesDir}${f}.bpf.o`)]) {
  test(`${short(file)}: map specs agree with what the kernel reports after bpftool prog loadall`, (t) => {
    if (!requireKernel(t)) return;
    const spec = loadObject(readFileSync(file), { name: file });
    const dir = `/sys/fs/bpf/xdpreplay-test-${process.pid}-${short(file).replace(/\W/g, '_')}`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(`${dir}/maps`, { recursive: true });
    try {
      run('bpftool', ['prog', 'loadall', file, `${dir}/progs`, 'pinmaps', `${dir}/maps`]);
      const kernel = readdirSync(`${dir}/maps`)
        .map((pin) => JSON.parse(run('bpftool', ['map', 'show', 'pinned', `${dir}/maps/${pin}`, '-j'])) as { name: string; type: string; bytes_key: number; bytes_value: number; max_entries: number; flags: number })
        .map((m) => ({ name: m.name, type: m.type, key: m.bytes_key, value: m.bytes_value, maxEntries: m.max_entries, flags: m.flags }))
        .sort((a, b) => a.name.localeCompare(b.name));
      const ours = describeObject(spec)
        .maps.map((m) => ({ name: m.name.slice(0, 15), type: m.type, key: m.key.size, value: m.value.size, maxEntries: m.maxEntries, flags: m.flags }))
        .sort((a, b) => a.name.localeCompare(b.name));
      t.deepEqual(ours, kernel);
      const progs = readdirSync(`${dir}/progs`).sort();
      t.deepEqual(progs, spec.programs.map((p) => p.name).sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('loading a sample object takes milliseconds', (t) => {
  const bytes = samples.map((f) => readFileSync(f));
  for (const b of bytes) loadObject(b); // warm up
  const t0 = performance.now();
  const rounds = 20;
  for (let r = 0; r < rounds; r++) for (const b of bytes) loadObject(b);
  const per = (performance.now() - t0) / (rounds * Math.max(1, bytes.length));
  t.log(`${per.toFixed(3)} ms per object`);
  t.true(per < 20);
});
