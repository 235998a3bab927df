import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Btf, BtfKind } from '../../lib/object/btf.ts';
import { formatBtfValue, stringifyFormatted } from '../../lib/object/btf-format.ts';
import { loadObject } from '../../lib/object/load-object.ts';
import { requireKernel } from '../helpers/kernel.ts';

const file = fileURLToPath(new URL('../fixtures/object/loader.bpf.o', import.meta.url));
const spec = loadObject(readFileSync(file), { name: file });
const btf = spec.btf!;
const map = (name: string) => spec.maps.find((m) => m.name === name)!;
const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((x) => parseInt(x, 16)));

const flowKey = '0a0000010a0000023500500011ffeedd';
const flowValue = '0100000000000000ffffffffffffffff61626300000000000b00000000000000';

test('formats structs, u64 beyond 2^53, char arrays and bitfields like bpftool', (t) => {
  t.deepEqual(formatBtfValue(btf, map('flows').btfKeyTypeId!, hex(flowKey)), { saddr: 16777226, daddr: 33554442, sport: 53, dport: 80, proto: 17, pad: [255, 238, 221] });
  const v = formatBtfValue(btf, map('flows').btfValueTypeId!, hex(flowValue));
  t.is(stringifyFormatted(v), '{"packets":1,"bytes":18446744073709551615,"label":"abc","flag":"0x1","level":"0x5"}');
});

test('formats global data as a DATASEC of variables', (t) => {
  const data = map('loader.data');
  t.deepEqual(formatBtfValue(btf, data.btfValueTypeId!, data.initialValue!), { '.data': [{ hits: 7 }] });
  const names = map('.data.names');
  t.deepEqual(formatBtfValue(btf, names.btfValueTypeId!, names.initialValue!), { '.data.names': [{ name_buf: 'fixture' }] });
});

test('names types the C way and resolves typedef chains', (t) => {
  t.is(btf.typeName(map('flows').btfKeyTypeId!), 'struct flow_key');
  const u32 = btf.findByName('__u32', BtfKind.TYPEDEF)!;
  t.is(btf.skipModifiers(u32.id).name, 'unsigned int');
  t.is(btf.sizeOf(u32.id), 4);
  t.true(btf instanceof Btf);
  const kinds = new Set(btf.types.map((x) => x.kind));
  for (const k of [BtfKind.INT, BtfKind.PTR, BtfKind.ARRAY, BtfKind.STRUCT, BtfKind.TYPEDEF, BtfKind.FUNC, BtfKind.FUNC_PROTO, BtfKind.VAR, BtfKind.DATASEC]) t.true(kinds.has(k), `kind ${k} present`);
});

test('our formatting equals bpftool map dump "formatted" for the same bytes in the kernel', (t) => {
  if (!requireKernel(t)) return;
  const dir = `/sys/fs/bpf/xdpreplay-fmt-${process.pid}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(`${dir}/maps`, { recursive: true });
  const run = (...args: string[]): string => execFileSync('bpftool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    run('prog', 'loadall', file, `${dir}/progs`, 'pinmaps', `${dir}/maps`);
    run('map', 'update', 'pinned', `${dir}/maps/flows`, 'key', 'hex', ...flowKey.match(/../g)!, 'value', 'hex', ...flowValue.match(/../g)!);
    const dump = (pin: string) => run('map', 'dump', 'pinned', `${dir}/maps/${pin}`, '-j');
    const flows = JSON.parse(dump('flows').replace(/:(\d{16,})/g, ':"$1"')) as { formatted: { key: unknown; value: unknown } }[];
    t.deepEqual(formatBtfValue(btf, map('flows').btfKeyTypeId!, hex(flowKey)), flows[0]!.formatted.key as never);
    // Compare the value as text so the 64-bit number is exact.
    const text = dump('flows');
    t.true(text.includes(`"value":${stringifyFormatted(formatBtfValue(btf, map('flows').btfValueTypeId!, hex(flowValue)))}`), text);
    for (const [pin, name] of [['loader_data', 'loader.data'], ['_data_names', '.data.names'], ['loader_bss', 'loader.bss'], ['loader_rodata', 'loader.rodata']] as const) {
      const m = map(name);
      const got = JSON.parse(dump(pin)) as { formatted: { value: unknown } }[];
      t.deepEqual(formatBtfValue(btf, m.btfValueTypeId!, m.initialValue!), got[0]!.formatted.value as never, name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const formatFile = fileURLToPath(new URL('../fixtures/object/format.bpf.o', import.meta.url));
const formatSpec = loadObject(readFileSync(formatFile), { name: formatFile });
const formatData = formatSpec.maps.find((m) => m.section === '.data')!;
const expectedFormatData =
  '{".data":[{"cfg":{"c":"GREEN","unknown":7,"yes":true,"no":false,"neg":-42,"text":"hello","binary":[1,2,3],"raw":[97,0],' +
  '"in":[{"delta":-1,"":{"as_u32":16909060,"as_bytes":[4,3,2,1]}},{"delta":2,"":{"as_u32":0,"as_bytes":[0,0,0,0]}}],' +
  '"ptr":0,"big":9223372036854775809,"bits":"0x1d","ubits":"0x3e8"}},{"last":"BLUE"}]}';

test('formats enums by name, bools, signed ints, anonymous unions and non-string char arrays', (t) => {
  t.is(formatData.name, 'format.data');
  t.is(stringifyFormatted(formatBtfValue(formatSpec.btf!, formatData.btfValueTypeId!, formatData.initialValue!)), expectedFormatData);
});

test('the kernel and bpftool print the same formatted global data', (t) => {
  if (!requireKernel(t)) return;
  const dir = `/sys/fs/bpf/xdpreplay-fmt2-${process.pid}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(`${dir}/maps`, { recursive: true });
  const run = (...args: string[]): string => execFileSync('bpftool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    run('prog', 'loadall', formatFile, `${dir}/progs`, 'pinmaps', `${dir}/maps`);
    t.true(run('map', 'dump', 'pinned', `${dir}/maps/format_data`, '-j').includes(`"formatted":{"value":${expectedFormatData}}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
