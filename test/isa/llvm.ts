// Test-only helpers around the LLVM tools (clang, llvm-objdump, llvm-objcopy, llvm-readelf,
// llvm-mc): compile C to BPF objects, pull section bytes out of them (until tests can use the
// project's own ELF loader), and read what llvm-objdump prints. Nothing here ships in lib/.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

function has(cmd: string): boolean {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

/** True when clang and the llvm binutils are installed. */
export const haveLlvm: boolean = ['clang', 'llvm-objdump', 'llvm-objcopy', 'llvm-readelf', 'llvm-mc'].every(has);

/** Major version of llvm-objdump (14 on Debian 12), or 0. */
export const llvmMajor: number = haveLlvm ? Number(/LLVM version (\d+)/.exec(run('llvm-objdump', ['--version']))?.[1] ?? 0) : 0;

const made: string[] = [];
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary directory, removed when the test process exits. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xdpreplay-isa-'));
  made.push(dir);
  return dir;
}

/** clang -O2 -g -target bpf -mcpu=<cpu> -c src -o out. */
export function compileBpf(src: string, out: string, cpu: string): void {
  const arch = run('uname', ['-m']).trim();
  run('clang', ['-O2', '-g', '-Wall', '-target', 'bpf', `-mcpu=${cpu}`, `-I/usr/include/${arch}-linux-gnu`, '-c', src, '-o', out]);
}

/** Names of SHF_EXECINSTR sections with contents. */
export function executableSections(obj: string): string[] {
  const out = run('llvm-readelf', ['-S', '--wide', obj]);
  const names: string[] = [];
  for (const line of out.split('\n')) {
    // [Nr] Name Type Address Off Size ES Flg Lk Inf Al
    const m = /^\s*\[\s*\d+\]\s+(\S+)\s+PROGBITS\s+\S+\s+\S+\s+(\S+)\s+\S+\s+(\S+)/.exec(line);
    if (m !== null && m[3]!.includes('X') && parseInt(m[2]!, 16) > 0) names.push(m[1]!);
  }
  return names;
}

/** Raw bytes of one section (llvm-objcopy -O binary --only-section). */
export function sectionBytes(obj: string, section: string): Uint8Array {
  const dir = tempDir();
  const out = join(dir, 'sec.bin');
  run('llvm-objcopy', ['-O', 'binary', `--only-section=${section}`, obj, out]);
  return new Uint8Array(readFileSync(out));
}

/** Wrap raw instruction bytes in an ELF object as executable section `.text2` (for llvm-objdump). */
export function objectFromBytes(bytes: Uint8Array): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'empty.s'), '\t.text\n');
  run('llvm-mc', ['-triple', 'bpfel', '-filetype=obj', join(dir, 'empty.s'), '-o', join(dir, 'empty.o')]);
  writeFileSync(join(dir, 'raw.bin'), bytes);
  const obj = join(dir, 'raw.o');
  run('llvm-objcopy', ['--add-section', `.text2=${join(dir, 'raw.bin')}`, '--set-section-flags', '.text2=code,alloc', join(dir, 'empty.o'), obj]);
  return obj;
}

/**
 * `llvm-objdump -d --no-show-raw-insn --section=<sec>`: instruction text by slot index, normalised:
 * whitespace collapsed, branch-target annotations (`<LBB0_2>`, `<.text2+0x70>`) removed.
 */
export function objdump(obj: string, section: string, opts: { alu32?: boolean } = {}): Map<number, string> {
  const extra = opts.alu32 === true ? ['--mattr=+alu32'] : [];
  const out = run('llvm-objdump', ['-d', '--no-show-raw-insn', ...extra, `--section=${section}`, obj]);
  const res = new Map<number, string>();
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+):\t(.*)$/.exec(line);
    if (m !== null) res.set(Number(m[1]), normaliseLlvm(m[2]!));
  }
  return res;
}

export function normaliseLlvm(text: string): string {
  return text.replace(/\s+<[^\s>]*>\s*$/, '').replace(/\s+/g, ' ').trim();
}
