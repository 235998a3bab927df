import { toU64 } from '../arith64.ts';
import { Errno } from '../maps/vm-map.ts';
import type { Vm } from '../vm.ts';
import type { HelperDef } from './helper-def.ts';

/**
 * bpf_trace_printk(fmt, fmt_size, a1, a2, a3) and bpf_trace_vprintk(fmt, fmt_size, data,
 * data_len), formatted by the kernel's rules (kernel/bpf/helpers.c bpf_bprintf_prepare, then
 * vsnprintf): printable ASCII and white space only; as many conversions as arguments (3 for
 * trace_printk, data_len / 8 for vprintk and snprintf); flags `0+- ` and a width, no precision;
 * d i u x X with l / ll, c, s (must not be followed by a letter or digit), p (alone, px, pK,
 * ps, pS, pB, pks, pus, pI4, pi4, pI6, pi6). Anything else → -EINVAL and no line. An unreadable
 * %s prints as the empty string, an unreadable %pI4/%pI6 address as zeros (like the kernel).
 * The line is recorded without its trailing newline; r0 = formatted length.
 * Divergences: the kernel prints `%p`/`%px`/`%pK` hashed or as kernel addresses and
 * `%ps`/`%pS`/`%pB` as symbol names; we print the VM address in hex for all of them.
 */

/** Longest %s the kernel copies (its per-call buffer is 512 bytes). */
const MAX_STR = 511;

export function readCString(vm: Vm, addr: number, max: number): string | undefined {
  let s = '';
  for (let i = 0; i < max; i++) {
    if (vm.mem.translate(addr + i, 1, false, true) !== 0) return i === 0 ? undefined : s;
    const c = vm.mem.u8[addr + i]!;
    if (c === 0) return s;
    s += String.fromCharCode(c);
  }
  return s;
}

/** A %s / bare %p must be followed by the end, white space or punctuation. */
function endsConversion(ch: string | undefined): boolean {
  return ch === undefined || !/[A-Za-z0-9]/.test(ch);
}

function pad(body: string, width: number, flags: string, numeric: boolean): string {
  if (body.length >= width) return body;
  if (flags.includes('-')) return body.padEnd(width, ' ');
  if (flags.includes('0') && numeric) {
    const neg = body.startsWith('-') || body.startsWith('+');
    return neg ? body[0] + body.slice(1).padStart(width - 1, '0') : body.padStart(width, '0');
  }
  return body.padStart(width, ' ');
}

const PERCENT = 0x25;

/** Format per the kernel rules; undefined = -EINVAL. */
export function formatPrintk(vm: Vm, fmt: string, args: readonly bigint[], maxArgs: number): string | undefined {
  let out = '';
  let argi = 0;
  for (let i = 0; i < fmt.length; i++) {
    if (fmt.charCodeAt(i) !== PERCENT) {
      // A run of literal characters, appended at once.
      let j = i;
      for (; j < fmt.length; j++) {
        const ch = fmt.charCodeAt(j);
        if (ch === PERCENT) break;
        if (ch > 0x7e || (ch < 0x20 && !(ch >= 9 && ch <= 13))) return undefined;
      }
      out += fmt.slice(i, j);
      i = j - 1;
      continue;
    }
    if (fmt[i + 1] === '%') { out += '%'; i++; continue; }
    if (argi >= maxArgs) return undefined;
    i++;
    let flags = '';
    while ('0+- '.includes(fmt[i] ?? 'x') && i < fmt.length) flags += fmt[i++];
    let width = 0;
    while (i < fmt.length && fmt[i]! >= '0' && fmt[i]! <= '9') width = width * 10 + Number(fmt[i++]);
    const arg = args[argi++] ?? 0n;
    const c = fmt[i];
    if (c === 'p') {
      const n1 = fmt[i + 1] ?? '', n2 = fmt[i + 2] ?? '';
      if ((n1 === 'k' || n1 === 'u') && n2 === 's') {
        i += 2;
        if (!endsConversion(fmt[i + 1])) return undefined;
        out += pad(n1 === 'k' ? readCString(vm, Number(arg & 0xffffffffn), MAX_STR) ?? '' : '', width, flags, false);
        continue;
      }
      if (n1 === 'I' || n1 === 'i') {
        if (n2 !== '4' && n2 !== '6') return undefined;
        const size = n2 === '4' ? 4 : 16;
        const a = Number(arg & 0xffffffffn);
        const b = arg <= 0xffffffffn && vm.mem.translate(a, size, false, true) === 0 ? vm.mem.u8.slice(a, a + size) : new Uint8Array(size);
        let text: string;
        if (size === 4) text = n1 === 'I' ? [...b].join('.') : [...b].map((x) => String(x).padStart(3, '0')).join('.');
        else {
          const groups: string[] = [];
          for (let g = 0; g < 8; g++) groups.push(((b[2 * g]! << 8) | b[2 * g + 1]!).toString(16).padStart(4, '0'));
          text = n1 === 'I' ? groups.join(':') : groups.join('');
        }
        out += pad(text, width, flags, false);
        i += 2;
        continue;
      }
      if ('xKsSB'.includes(n1) && n1 !== '') i++;
      else if (!endsConversion(n1 === '' ? undefined : n1)) return undefined;
      out += pad(`0x${BigInt.asUintN(64, arg).toString(16)}`, width, flags, false);
      continue;
    }
    if (c === 's') {
      if (!endsConversion(fmt[i + 1])) return undefined;
      const s = readCString(vm, Number(arg & 0xffffffffn), MAX_STR);
      out += pad(arg > 0xffffffffn ? '' : s ?? '', width, flags, false);
      continue;
    }
    if (c === 'c') { out += pad(String.fromCharCode(Number(arg & 0xffn)), width, flags, false); continue; }
    let bits = 32;
    if (fmt[i] === 'l') { bits = 64; i++; if (fmt[i] === 'l') i++; }
    const conv = fmt[i];
    if (conv === undefined || !'diuxX'.includes(conv)) return undefined;
    const u = BigInt.asUintN(bits, arg);
    let body: string;
    if (conv === 'd' || conv === 'i') {
      const v = BigInt.asIntN(bits, arg);
      body = (v >= 0n && flags.includes('+') ? '+' : v >= 0n && flags.includes(' ') ? ' ' : '') + v.toString();
    } else if (conv === 'u') body = u.toString();
    else body = conv === 'x' ? u.toString(16) : u.toString(16).toUpperCase();
    out += pad(body, width, flags, true);
  }
  return out;
}

function emit(vm: Vm, fmtReg: number, sizeReg: number, args: bigint[], maxArgs: number): void {
  const size = vm.L[sizeReg]! >>> 0;
  const bytes = vm.argBytes(fmtReg, size, false);
  if (bytes === undefined) return;
  const nul = bytes.indexOf(0);
  if (size === 0 || nul < 0) { vm.ret(-Errno.EINVAL); return; }
  // One byte per character (latin1), decoded natively: spreading the bytes into
  // String.fromCharCode went through the iterator and cost most of a printk.
  const fmt = Buffer.from(bytes.buffer, bytes.byteOffset, nul).toString('latin1');
  const text = formatPrintk(vm, fmt, args, maxArgs);
  if (text === undefined) { vm.ret(-Errno.EINVAL); return; }
  vm.printk.push(text.endsWith('\n') ? text.slice(0, -1) : text);
  vm.ret(text.length);
}

function tracePrintk(vm: Vm): void {
  emit(vm, 1, 2, [toU64(vm.L[3]!, vm.H[3]!), toU64(vm.L[4]!, vm.H[4]!), toU64(vm.L[5]!, vm.H[5]!)], 3);
}

function traceVprintk(vm: Vm): void {
  const len = vm.L[4]! >>> 0;
  if (len % 8 !== 0 || len > 96 || (len === 0 && (vm.L[3] !== 0 || vm.H[3] !== 0))) { vm.ret(-Errno.EINVAL); return; }
  const data = vm.argBytes(3, len, false);
  if (data === undefined) return;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const args: bigint[] = [];
  for (let i = 0; i < len; i += 8) args.push(dv.getBigUint64(i, true));
  emit(vm, 1, 2, args, args.length);
}

export const PRINTK_HELPERS: readonly HelperDef[] = [
  { id: 6, name: 'trace_printk', fn: tracePrintk },
  { id: 177, name: 'trace_vprintk', fn: traceVprintk },
];
