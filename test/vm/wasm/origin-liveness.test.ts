import test from 'ava';
import { imageOf } from './image-of.ts';
import { originLiveOut } from '../../../lib/vm/wasm/origin-liveness.ts';
import { ENGINES, onEngine } from '../run-program.ts';

/**
 * The compiler skips verdict-origin updates no exit can report (origin-liveness.ts); r0's
 * origin at exit (the verdict line) must stay what the interpreter reports.
 */

test('an origin is live only while a move chain can still carry it into r0 at an exit', (t) => {
  // 0 mov r1, 5; 1 mov r2, 7; 2 jeq r3, 0, +1; 3 mov r1, r2; 4 mov r0, r1; 5 exit
  const live = originLiveOut(imageOf('mov %r1, 5\nmov %r2, 7\njeq %r3, 0, +1\nmov %r1, %r2\nmov %r0, %r1\nexit'));
  t.is(live[0]! & 0b110, 0b010, 'after mov r1: r1 live, r2 not yet set');
  t.is(live[1]! & 0b110, 0b110, 'after mov r2: both reach r0 on some path');
  t.is(live[4]!, 1, 'after mov r0, r1: only r0');
  t.is(live[3]! & 0b100, 0, 'r2 is dead once copied');
});

test('a helper call sets r0 and leaves the argument registers\u2019 origins live through it', (t) => {
  const live = originLiveOut(imageOf('mov %r1, 1\ncall 7\nmov %r0, %r1\nexit'));
  t.is(live[0]! & 0b10, 0b10);
  t.is(live[1]! & 1, 0, 'r0 is overwritten after the call');
});

test('both engines report the same verdict instruction through moves, helper calls and branches', (t) => {
  const text = 'mov %r6, 2\nmov %r7, 1\nldxb %r3, [%r1+0]\njeq %r3, 0, +2\nmov %r6, %r7\ncall 7\nmov %r0, %r6\nexit';
  for (const first of [0, 1]) {
    const [a, b] = ENGINES.map((engine) => onEngine(engine)(text, [first, 2, 3]).result);
    t.is(b!.verdictInsn, a!.verdictInsn);
    t.is(b!.action, a!.action);
  }
});
