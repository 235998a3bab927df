import test from 'ava';
import { readSignedLeb64, readUnsignedLeb, signedLeb32, signedLeb64, unsignedLeb } from '../../../lib/vm/wasm/leb128.ts';
import { ModuleBuilder } from '../../../lib/vm/wasm/module-builder.ts';
import { Op, ValType } from '../../../lib/vm/wasm/opcodes.ts';
import { Wasm } from '../../../lib/vm/wasm/wasm-api.ts';

const enc = (f: (out: number[]) => void): number[] => { const out: number[] = []; f(out); return out; };

test('unsigned LEB128 encodes the spec examples and round-trips 32-bit values', (t) => {
  t.deepEqual(enc((o) => unsignedLeb(624485, o)), [0xe5, 0x8e, 0x26]);
  t.deepEqual(enc((o) => unsignedLeb(0, o)), [0]);
  for (const v of [1, 127, 128, 16383, 16384, 0xffffffff]) t.is(readUnsignedLeb(Uint8Array.from(enc((o) => unsignedLeb(v, o))), 0)[0], v);
  t.throws(() => unsignedLeb(-1, []));
});

test('signed LEB128 keeps all 64 bits of bigint constants', (t) => {
  t.deepEqual(enc((o) => signedLeb32(-123456, o)), [0xc0, 0xbb, 0x78]);
  t.deepEqual(enc((o) => signedLeb32(64, o)), [0xc0, 0x00]);
  t.deepEqual(enc((o) => signedLeb32(-65, o)), [0xbf, 0x7f]);
  for (const v of [0n, -1n, 63n, 64n, -64n, -65n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), 0x123456789abcdef0n]) {
    const bytes = Uint8Array.from(enc((o) => signedLeb64(v, o)));
    t.is(readSignedLeb64(bytes, 0)[0], BigInt.asIntN(64, v), String(v));
  }
  t.is(enc((o) => signedLeb64(-(2n ** 63n), o)).length, 10);
});

test('the module builder emits a valid module whose i64 constant survives past 2^53', (t) => {
  const mb = new ModuleBuilder();
  const f = mb.func('k', [ValType.i64], [ValType.i64], { exported: true, paramNames: ['x'] });
  f.code.get(0).i64Const(0x7fffffffffffffffn).op(Op.i64_xor);
  const bytes = mb.finish();
  t.true(Wasm.validate(bytes));
  const inst = new Wasm.Instance(new Wasm.Module(bytes), {});
  const k = inst.exports['k'] as (x: bigint) => bigint;
  t.is(k(1n), 0x7ffffffffffffffen);
});
