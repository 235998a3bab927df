import yargs, { type Argv } from 'yargs';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commands } from './commands/index.ts';
import { describeError, ExitCode } from './cli-error.ts';

/** Package version, read from the nearest package.json above this module (works from cmd/ and dist/cmd/). */
export function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    const up = dirname(dir);
    if (up === dir) return '0.0.0';
    dir = up;
  }
}

/** The root parser, exported so tests can drive it: `await parser(['cat', 'in.pcap']).parseAsync()`. */
export function parser(args: string[]): Argv {
  return withoutHelpCache(yargs(args))
    .scriptName('xdpreplay')
    .usage('$0 <command> [options]\n\nReplay packet captures through XDP programs in userspace.')
    .command(commands)
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .strict()
    .help('help')
    .alias('h', 'help')
    .version(version())
    .wrap(Math.min(120, process.stderr.columns ?? 100))
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`xdpreplay: ${msg}\nRun 'xdpreplay --help' for usage.\n`);
      process.exit(ExitCode.USAGE);
    });
}

/**
 * yargs lays out and caches the whole help text before it runs any command other than the
 * default one, in case the handler fails: 60–100 ms of cliui and string-width at every `cat`,
 * `diff`, `progs` … start (measured with --cpu-prof). Our fail handler never prints that text
 * (`--help` builds its own), so the cache is skipped.
 */
function withoutHelpCache(y: Argv): Argv {
  const internal = (y as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } }).getInternalMethods?.();
  const usage = internal?.getUsageInstance?.();
  if (usage?.cacheHelpMessage !== undefined) usage.cacheHelpMessage = () => {};
  return y;
}

/** Run the CLI; sets process.exitCode from the error kind (usage 2, input 1, bug 3). */
export async function main(argv: string[]): Promise<void> {
  try {
    await parser(argv).parseAsync();
  } catch (err) {
    const { exitCode, text } = describeError(err);
    process.stderr.write(`${text}\n`);
    process.exitCode = exitCode;
  }
}
