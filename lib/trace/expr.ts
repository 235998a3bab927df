import { UsageError } from '../errors.ts';

/**
 * Expressions of breakpoint conditions and print items (`--break 'LOC if COND print ITEM'`).
 *
 * Values are 64-bit unsigned integers (bigint, wrapped mod 2^64); comparisons are unsigned.
 * Operands: integer literals (`42`, `0x86dd`), registers (`r0`..`r10`, `$r1`; `w1` = low 32
 * bits), memory in BPF (little-endian) order (`mem(ADDR, SIZE)`, `*(u32 *)(ADDR)`, `*(s16 *)…`
 * sign-extends), packet bytes at offsets from `data` in network (big-endian) order (`pkt[23]`
 * one byte, `pkt16[12]` / `pkt32[26]` / `pkt64[n]`), and map lookups (`map(stats, 3)`: the
 * value's first ≤ 8 bytes, little-endian, 0 when the key is absent; the key is an integer
 * written little-endian at the map's key size).
 * Operators with C precedence: `! ~ -` (unary), `* / %`, `+ -`, `<< >>`, `< <= > >=`,
 * `== !=`, `&`, `^`, `|`, `&&`, `||`.
 */

export type BinaryOp = '*' | '/' | '%' | '+' | '-' | '<<' | '>>' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&' | '^' | '|' | '&&' | '||';

export type Expr =
  | { kind: 'num'; value: bigint; col: number }
  | { kind: 'reg'; reg: number; low32: boolean; col: number }
  | { kind: 'unary'; op: '!' | '~' | '-'; arg: Expr; col: number }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; col: number }
  | { kind: 'mem'; addr: Expr; size: number; signed: boolean; col: number }
  | { kind: 'pkt'; offset: Expr; size: number; col: number }
  | { kind: 'map'; map: string; key: Expr; col: number };

/** A usage error in a spec, with the 1-based column it points at. */
export class SpecError extends UsageError {
  readonly column: number;

  constructor(spec: string, column: number, what: string) {
    super(`--break '${spec}': column ${column}: ${what}\n  ${spec}\n  ${' '.repeat(Math.max(0, column - 1))}^`);
    this.column = column;
  }
}

export type Token =
  | { t: 'num'; value: bigint; col: number; end: number }
  | { t: 'id'; value: string; col: number; end: number }
  | { t: 'str'; value: string; col: number; end: number }
  | { t: 'op'; value: string; col: number; end: number }
  | { t: 'eof'; col: number; end: number };

const OPS = ['&&', '||', '==', '!=', '<=', '>=', '<<', '>>', '<', '>', '!', '~', '-', '+', '*', '/', '%', '&', '|', '^', '(', ')', '[', ']', ','];

/** Split `text` (starting at 0-based `from` of `spec`) into tokens with 1-based columns. */
export function tokenize(spec: string, from = 0): Token[] {
  const out: Token[] = [];
  let i = from;
  while (i < spec.length) {
    const c = spec[i]!;
    if (c === ' ' || c === '\t') { i++; continue; }
    const start = i;
    if (/[0-9]/.test(c)) {
      const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)/.exec(spec.slice(i))!;
      i += m[0].length;
      if (i < spec.length && /[A-Za-z_]/.test(spec[i]!)) throw new SpecError(spec, i + 1, `bad number "${spec.slice(start, i + 1)}…"`);
      out.push({ t: 'num', value: BigInt(m[0]), col: start + 1, end: i + 1 });
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^\$?[A-Za-z_][A-Za-z0-9_.]*/.exec(spec.slice(i));
      if (m === null) throw new SpecError(spec, i + 1, 'expected a name after "$"');
      i += m[0].length;
      out.push({ t: 'id', value: m[0], col: start + 1, end: i + 1 });
    } else if (c === '"') {
      let s = '';
      i++;
      while (i < spec.length && spec[i] !== '"') {
        if (spec[i] === '\\' && i + 1 < spec.length) { const n = spec[i + 1]!; s += n === 'n' ? '\n' : n === 't' ? '\t' : n; i += 2; } else s += spec[i++];
      }
      if (i >= spec.length) throw new SpecError(spec, start + 1, 'unterminated string');
      i++;
      out.push({ t: 'str', value: s, col: start + 1, end: i + 1 });
    } else {
      const op = OPS.find((o) => spec.startsWith(o, i));
      if (op === undefined) throw new SpecError(spec, i + 1, `unexpected character "${c}"`);
      i += op.length;
      out.push({ t: 'op', value: op, col: start + 1, end: i + 1 });
    }
  }
  out.push({ t: 'eof', col: spec.length + 1, end: spec.length + 1 });
  return out;
}

const BINARY_PREC: Readonly<Record<string, number>> = {
  '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '==': 6, '!=': 6, '<': 7, '<=': 7, '>': 7, '>=': 7, '<<': 8, '>>': 8, '+': 9, '-': 9, '*': 10, '/': 10, '%': 10,
};

const CAST_TYPES: Readonly<Record<string, [number, boolean]>> = {
  u8: [1, false], u16: [2, false], u32: [4, false], u64: [8, false], s8: [1, true], s16: [2, true], s32: [4, true], s64: [8, true],
  __u8: [1, false], __u16: [2, false], __u32: [4, false], __u64: [8, false], __s8: [1, true], __s16: [2, true], __s32: [4, true], __s64: [8, true],
  __be16: [2, false], __be32: [4, false], char: [1, true], int: [4, true], long: [8, true],
};

const PKT_SIZES: Readonly<Record<string, number>> = { pkt: 1, pkt8: 1, pkt16: 2, pkt32: 4, pkt64: 8 };

/** Parse `r1`, `$r1`, `w1` → register number, else undefined. */
export function registerName(name: string): { reg: number; low32: boolean } | undefined {
  const m = /^\$?([rw])(\d+)$/.exec(name);
  if (m === null) return undefined;
  const reg = Number(m[2]);
  return reg <= 10 ? { reg, low32: m[1] === 'w' } : undefined;
}

/** A recursive-descent parser over a token list; `pos` is left after the expression. */
export class ExprParser {
  pos = 0;

  constructor(private readonly spec: string, readonly tokens: Token[]) {}

  peek(): Token {
    return this.tokens[this.pos]!;
  }

  fail(tok: Token, what: string): never {
    throw new SpecError(this.spec, tok.col, what);
  }

  isOp(value: string, k = 0): boolean {
    const tok = this.tokens[this.pos + k];
    return tok !== undefined && tok.t === 'op' && tok.value === value;
  }

  expectOp(value: string, what: string): void {
    if (!this.isOp(value)) this.fail(this.peek(), `expected "${value}" ${what}, found ${describe(this.peek())}`);
    this.pos++;
  }

  parseExpr(minPrec = 1): Expr {
    let left = this.parseUnary();
    for (;;) {
      const tok = this.peek();
      if (tok.t !== 'op') return left;
      const prec = BINARY_PREC[tok.value];
      if (prec === undefined || prec < minPrec) return left;
      this.pos++;
      const right = this.parseExpr(prec + 1);
      left = { kind: 'binary', op: tok.value as BinaryOp, left, right, col: tok.col };
    }
  }

  private parseUnary(): Expr {
    const tok = this.peek();
    if (tok.t === 'op' && (tok.value === '!' || tok.value === '~' || tok.value === '-')) {
      this.pos++;
      return { kind: 'unary', op: tok.value, arg: this.parseUnary(), col: tok.col };
    }
    if (tok.t === 'op' && tok.value === '*') return this.parseDeref();
    return this.parsePrimary();
  }

  /** `*(u32 *)(expr)` or `*(u32 *)r1`. */
  private parseDeref(): Expr {
    const star = this.peek();
    this.pos++;
    this.expectOp('(', 'after "*" (write *(u32 *)(ADDR))');
    const type = this.peek();
    const cast = type.t === 'id' ? CAST_TYPES[type.value] : undefined;
    if (cast === undefined) this.fail(type, `expected a type u8/u16/u32/u64/s8/s16/s32/s64, found ${describe(type)}`);
    this.pos++;
    this.expectOp('*', 'after the type');
    this.expectOp(')', 'to close the cast');
    const addr = this.parseUnary();
    return { kind: 'mem', addr, size: cast[0], signed: cast[1], col: star.col };
  }

  private parsePrimary(): Expr {
    const tok = this.peek();
    if (tok.t === 'num') { this.pos++; return { kind: 'num', value: BigInt.asUintN(64, tok.value), col: tok.col }; }
    if (tok.t === 'op' && tok.value === '(') {
      this.pos++;
      const e = this.parseExpr();
      this.expectOp(')', 'to close "("');
      return e;
    }
    if (tok.t !== 'id') this.fail(tok, `expected an expression, found ${describe(tok)}`);
    this.pos++;
    const reg = registerName(tok.value);
    if (reg !== undefined) return { kind: 'reg', ...reg, col: tok.col };
    const pktSize = PKT_SIZES[tok.value];
    if (pktSize !== undefined) {
      this.expectOp('[', `after "${tok.value}" (write ${tok.value}[OFFSET])`);
      const offset = this.parseExpr();
      this.expectOp(']', 'to close "["');
      return { kind: 'pkt', offset, size: pktSize, col: tok.col };
    }
    if (tok.value === 'mem') {
      this.expectOp('(', 'after "mem" (write mem(ADDR, SIZE))');
      const addr = this.parseExpr();
      this.expectOp(',', 'between the address and the size of mem()');
      const sizeTok = this.peek();
      if (sizeTok.t !== 'num' || ![1n, 2n, 4n, 8n].includes(sizeTok.value)) this.fail(sizeTok, `mem() size must be 1, 2, 4 or 8, found ${describe(sizeTok)}`);
      this.pos++;
      this.expectOp(')', 'to close mem(');
      return { kind: 'mem', addr, size: Number(sizeTok.value), signed: false, col: tok.col };
    }
    if (tok.value === 'map') {
      this.expectOp('(', 'after "map" (write map(NAME, KEY))');
      const name = this.peek();
      if (name.t !== 'id') this.fail(name, `expected a map name, found ${describe(name)}`);
      this.pos++;
      this.expectOp(',', 'between the map name and the key');
      const key = this.parseExpr();
      this.expectOp(')', 'to close map(');
      return { kind: 'map', map: name.value, key, col: tok.col };
    }
    return this.fail(tok, `unknown name "${tok.value}" (registers are r0..r10, $r0..$r10, w0..w10; functions mem(), map(), pkt[], pkt16[], pkt32[], pkt64[])`);
  }
}

export function describe(tok: Token): string {
  switch (tok.t) {
    case 'eof': return 'the end of the spec';
    case 'str': return `string "${tok.value}"`;
    case 'num': return `number ${tok.value}`;
    default: return `"${tok.value}"`;
  }
}

/** Parse one standalone expression (tests, tools). */
export function parseExpression(text: string): Expr {
  const p = new ExprParser(text, tokenize(text));
  const e = p.parseExpr();
  if (p.peek().t !== 'eof') p.fail(p.peek(), `unexpected ${describe(p.peek())} after the expression`);
  return e;
}

/** What an expression can read at a stop. Readers return undefined for unreadable bytes. */
export interface EvalEnv {
  reg(n: number): bigint;
  /** `size` bytes at virtual address `addr`, little-endian. */
  load(addr: bigint, size: number): bigint | undefined;
  /** `size` bytes at packet offset `offset` (from data), big-endian. */
  pkt(offset: bigint, size: number): bigint | undefined;
  /** Value of `map[key]` (first ≤ 8 bytes, little-endian), 0n when absent; undefined for an unknown map. */
  map(name: string, key: bigint): bigint | undefined;
}

/** An operand could not be read (unmapped memory, packet offset past data_end). */
export class EvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvalError';
  }
}

const MASK = (1n << 64n) - 1n;

export function evaluate(e: Expr, env: EvalEnv): bigint {
  switch (e.kind) {
    case 'num': return e.value;
    case 'reg': return e.low32 ? env.reg(e.reg) & 0xffffffffn : env.reg(e.reg);
    case 'unary': {
      const v = evaluate(e.arg, env);
      return e.op === '!' ? (v === 0n ? 1n : 0n) : e.op === '~' ? ~v & MASK : -v & MASK;
    }
    case 'binary': {
      if (e.op === '&&') return evaluate(e.left, env) !== 0n && evaluate(e.right, env) !== 0n ? 1n : 0n;
      if (e.op === '||') return evaluate(e.left, env) !== 0n || evaluate(e.right, env) !== 0n ? 1n : 0n;
      const a = evaluate(e.left, env), b = evaluate(e.right, env);
      switch (e.op) {
        case '*': return (a * b) & MASK;
        case '/': return b === 0n ? 0n : a / b;
        case '%': return b === 0n ? a : a % b;
        case '+': return (a + b) & MASK;
        case '-': return (a - b) & MASK;
        case '<<': return (a << (b & 63n)) & MASK;
        case '>>': return a >> (b & 63n);
        case '<': return a < b ? 1n : 0n;
        case '<=': return a <= b ? 1n : 0n;
        case '>': return a > b ? 1n : 0n;
        case '>=': return a >= b ? 1n : 0n;
        case '==': return a === b ? 1n : 0n;
        case '!=': return a !== b ? 1n : 0n;
        case '&': return a & b;
        case '^': return a ^ b;
        case '|': return a | b;
        default: throw new Error(`operator ${e.op}`);
      }
    }
    case 'mem': {
      const addr = evaluate(e.addr, env);
      const v = env.load(addr, e.size);
      if (v === undefined) throw new EvalError(`cannot read ${e.size} bytes at 0x${addr.toString(16)}`);
      return e.signed ? BigInt.asUintN(64, BigInt.asIntN(e.size * 8, v)) : v;
    }
    case 'pkt': {
      const off = evaluate(e.offset, env);
      const v = env.pkt(off, e.size);
      if (v === undefined) throw new EvalError(`packet offset ${off} (+${e.size}) is beyond data_end`);
      return v;
    }
    case 'map': {
      const v = env.map(e.map, evaluate(e.key, env));
      if (v === undefined) throw new EvalError(`no map "${e.map}"`);
      return v;
    }
  }
}

/** Map names an expression refers to (checked against the object when the spec is bound). */
export function mapNames(e: Expr, out: { name: string; col: number }[] = []): { name: string; col: number }[] {
  switch (e.kind) {
    case 'unary': mapNames(e.arg, out); break;
    case 'binary': mapNames(e.left, out); mapNames(e.right, out); break;
    case 'mem': mapNames(e.addr, out); break;
    case 'pkt': mapNames(e.offset, out); break;
    case 'map': out.push({ name: e.map, col: e.col }); mapNames(e.key, out); break;
    default: break;
  }
  return out;
}
