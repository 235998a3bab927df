import test from 'ava';
import { UsageError } from '../../lib/errors.ts';
import { parseBreakSpec } from '../../lib/trace/breakpoints.ts';
import { EvalError, SpecError, evaluate, parseExpression, type EvalEnv, type Expr } from '../../lib/trace/expr.ts';

/** Compact S-expression of an AST, so table rows stay readable. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'num': return `${e.value}`;
    case 'reg': return `${e.low32 ? 'w' : 'r'}${e.reg}`;
    case 'unary': return `(${e.op} ${show(e.arg)})`;
    case 'binary': return `(${e.op} ${show(e.left)} ${show(e.right)})`;
    case 'mem': return `(${e.signed ? 's' : 'u'}${e.size * 8} ${show(e.addr)})`;
    case 'pkt': return `(pkt${e.size * 8} ${show(e.offset)})`;
    case 'map': return `(map ${e.map} ${show(e.key)})`;
  }
}

const good: [string, string, string | undefined, string, number][] = [
  // spec, loc, cond, print items, skip
  ['xdp_firewall:47', 'insn xdp_firewall 47', undefined, '', 0],
  ['process_packet:255 if r1 == 0 print "lookup failed", r2', 'insn process_packet 255', '(== r1 0)', 'str:lookup failed|expr:r2=r2', 0],
  ['l4lb.c:445 if pkt16[12] == 0x86dd print stats', 'line l4lb.c 445', '(== (pkt16 12) 34525)', 'map:stats', 0],
  ['./firewall.c:79 if $r1 != 0 && *(u32 *)(r10 - 4) == 0x0a000001 || !r2 print regs, stack skip 3', 'line ./firewall.c 79', '(|| (&& (!= r1 0) (== (u32 (- r10 4)) 167772161)) (! r2))', 'regs|stack', 3],
  ['f:1 if mem(r10 - 16, 8) >= 1 + 2 * 3 print map(stats, 3) + 1, w0', 'insn f 1', '(>= (u64 (- r10 16)) (+ 1 (* 2 3)))', 'expr:map(stats, 3) + 1=(+ (map stats 3) 1)|expr:w0=w0', 0],
  ['f:0 if pkt[23] & 0x3 | 4 == 5', 'insn f 0', '(| (& (pkt8 23) 3) (== 4 5))', '', 0],
  ['f:0 print r1 << 2 >> 1, -1, ~r3, *(s8 *)r4', 'insn f 0', undefined, 'expr:r1 << 2 >> 1=(>> (<< r1 2) 1)|expr:-1=(- 1)|expr:~r3=(~ r3)|expr:*(s8 *)r4=(s8 r4)', 0],
  ['sub/dir/x.c:7 skip 2', 'line sub/dir/x.c 7', undefined, '', 2],
];

for (const [text, loc, cond, items, skip] of good) {
  test(`parses the spec '${text}'`, (t) => {
    const s = parseBreakSpec(text);
    t.is(s.loc.kind === 'insn' ? `insn ${s.loc.func} ${s.loc.insn}` : `line ${s.loc.file} ${s.loc.line}`, loc);
    t.is(s.cond === undefined ? undefined : show(s.cond), cond);
    t.is(s.print.map((i) => (i.kind === 'str' ? `str:${i.value}` : i.kind === 'expr' ? `expr:${i.text}=${show(i.expr)}` : i.kind === 'map' ? `map:${i.name}` : i.kind)).join('|'), items);
    t.is(s.skip, skip);
  });
}

const bad: [string, number, RegExp][] = [
  ['', 1, /expected a location/],
  ['  nocolon', 3, /expected a location/],
  ['f:12x', 1, /expected a location/],
  ['f:1 when r1', 5, /expected "if", "print" or "skip", found "when"/],
  ['f:1 if', 7, /expected an expression, found the end/],
  ['f:1 if r1 ==', 13, /expected an expression/],
  ['f:1 if r11 == 0', 8, /unknown name "r11"/],
  ['f:1 if (r1 == 0', 16, /expected "\)"/],
  ['f:1 if r1 # 2', 11, /unexpected character "#"/],
  ['f:1 if mem(r10, 3) == 0', 17, /size must be 1, 2, 4 or 8/],
  ['f:1 if *(u24 *)(r1) == 0', 10, /expected a type/],
  ['f:1 if pkt16(12) == 0', 13, /expected "\["/],
  ['f:1 print', 10, /expected a print item/],
  ['f:1 print "unterminated', 11, /unterminated string/],
  ['f:1 skip x', 10, /skip expects a count/],
  ['f:1 print r1 if r1', 14, /must come earlier/],
  ['f:1 if r1 if r2', 11, /given twice/],
  ['f:1 if 12ab', 10, /bad number/],
  ['f:1 if map(3, 4)', 12, /expected a map name/],
];

for (const [text, column, message] of bad) {
  test(`refuses '${text}' with a usage error at column ${column}`, (t) => {
    const err = t.throws(() => parseBreakSpec(text), { instanceOf: SpecError });
    t.true(err instanceof UsageError);
    t.is(err!.column, column);
    t.regex(err!.message, message);
    // The message shows the spec and a caret under the column.
    const lines = err!.message.split('\n');
    t.is(lines[2]!.indexOf('^'), 2 + column - 1);
  });
}

const env: EvalEnv = {
  reg: (n) => [0n, 0x1000n, 5n, 0xffff_ffff_ffff_fffen, 0n, 0n, 0n, 0n, 0n, 0n, 0x2200n][n]!,
  load: (addr, size) => (addr === 0x21fcn && size === 4 ? 0x0100000an : addr === 0x21fcn && size === 1 ? 0x0an : addr === 0x21fdn && size === 1 ? 0x80n : undefined),
  pkt: (off, size) => (off === 12n && size === 2 ? 0x86ddn : off === 23n && size === 1 ? 6n : undefined),
  map: (name, key) => (name === 'stats' ? (key === 3n ? 42n : 0n) : undefined),
};

const values: [string, bigint][] = [
  ['r1 == 0x1000', 1n],
  ['r1 == 0 || r2 == 5', 1n],
  ['r1 == 0 || r2 == 5 && r1 == 0', 0n],
  ['!r0 && !!r1', 1n],
  ['r3 > r2', 1n], // unsigned: -2 is huge
  ['r3 + 3', 1n], // wraps mod 2^64
  ['0 - 1 == 0xffffffffffffffff', 1n],
  ['w3', 0xfffffffen],
  ['*(u32 *)(r10 - 4)', 0x0100000an],
  ['mem(r10 - 4, 4) == *(u32 *)(r10 - 4)', 1n],
  ['*(s8 *)(r10 - 3)', 0xffff_ffff_ffff_ff80n],
  ['pkt16[12] == 0x86dd && pkt[23] == 6', 1n],
  ['map(stats, 3) + map(stats, 1)', 42n],
  ['7 / 0', 0n],
  ['7 % 0', 7n],
  ['1 << 3 | 1', 9n],
  ['6 & 3 ^ 1', 3n],
  ['2 + 3 * 4 - 1', 13n],
  ['(2 + 3) * 4', 20n],
  ['1 < 2 == 1', 1n],
  ['r2 >= 5 && r2 <= 5 && r2 != 4', 1n],
];

for (const [text, want] of values) {
  test(`evaluates ${text} to ${want}`, (t) => {
    t.is(evaluate(parseExpression(text), env), want);
  });
}

test('an unreadable operand is an EvalError naming the address, and && short-circuits before it', (t) => {
  t.throws(() => evaluate(parseExpression('*(u64 *)(r10 - 8) == 0'), env), { instanceOf: EvalError, message: /0x21f8/ });
  t.throws(() => evaluate(parseExpression('pkt32[60]'), env), { instanceOf: EvalError, message: /beyond data_end/ });
  t.is(evaluate(parseExpression('r0 != 0 && pkt32[60] == 1'), env), 0n);
});

test('random specs either parse or fail with a SpecError inside the spec (seeded fuzz)', (t) => {
  const pieces = ['f:1', 'a.c:7', ' if ', ' print ', ' skip ', 'r1', '$r2', 'w3', 'r11', 'pkt', 'pkt16', '[', ']', '(', ')', '*', '(u32 *)', 'mem', 'map', ',', '"s"', '"', '0x1f', '12', '==', '!', '&&', '||', '-', '<<', 'stats', 'regs', 'stack', '#', ' '];
  let seed = 12345;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  let parsed = 0;
  for (let i = 0; i < 3000; i++) {
    let s = rnd(3) === 0 ? '' : 'f:1';
    const n = rnd(10);
    for (let k = 0; k < n; k++) s += pieces[rnd(pieces.length)];
    try {
      parseBreakSpec(s);
      parsed++;
    } catch (err) {
      if (!(err instanceof SpecError)) return t.fail(`"${s}" threw ${String(err)}`);
      if (err.column < 1 || err.column > s.length + 1) return t.fail(`"${s}": column ${err.column}`);
    }
  }
  t.true(parsed > 100);
});
