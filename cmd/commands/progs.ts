import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../lib/errors.ts';

interface ProgsArgs {
  object: string;
  json: boolean;
}

/** `xdpreplay progs prog.o [--json]`: programs, maps, global data and BTF of an object. */
export const progs: CommandModule<object, ProgsArgs> = {
  command: 'progs <object>',
  describe: 'list the programs, maps and global data of a BPF object file',
  builder: (y: Argv) =>
    y
      .positional('object', { type: 'string', demandOption: true, describe: 'clang-compiled BPF object (.o)' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' }) as unknown as Argv<ProgsArgs>,
  handler: async (argv) => {
    // The object loader loads only when the command runs (startup of every other command stays light).
    const [{ loadObject }, { describeObject, formatObjectSummary }] = await Promise.all([
      import('../../lib/object/load-object.ts'), import('../../lib/object/describe-object.ts'),
    ]);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(argv.object);
    } catch (err) {
      throw new UsageError(`progs: cannot read "${argv.object}": ${(err as Error).message}`, { cause: err });
    }
    const summary = describeObject(loadObject(bytes, { name: argv.object }));
    process.stdout.write(argv.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatObjectSummary(summary)}\n`);
  },
};
