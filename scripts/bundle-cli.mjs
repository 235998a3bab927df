/**
 * Bundle the CLI into dist/cmd/xdpreplay.js plus dist/cmd/chunks/ (replacing tsc's output of
 * that entry; dist/lib stays the library build with its .d.ts files).
 *
 * Why: startup is paid by every invocation, and `xdpreplay cat`/replay on a few packets is
 * mostly startup. Measured on the 2-core CI machine: `xdpreplay --version` took 0.38–0.44 s
 * from tsc's ~80 separate modules and 0.16–0.22 s from this bundle (`node -e 0` is ~0.1 s).
 *
 * Two parts of that gain:
 *  - one file (plus a chunk per command implementation, loaded when that command runs)
 *    instead of resolving, reading and linking every module;
 *  - yargs' help layout (cliui and string-width) loads only when help or a usage error is
 *    printed. Their module initialisers build an Intl.Segmenter and Unicode-property regular
 *    expressions: ~60 ms at every start, for a table that a normal run never prints. The
 *    `lazy-yargs-ui` plugin gives yargs stand-ins that require() the real modules on first call.
 *    esbuild bundles those require() calls, so the real code is still in the bundle, just
 *    initialised later.
 *
 * Run by `npm run build` after tsc.
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const LAZY = {
  cliui: 'export default function cliui(options) { return require("cliui").default(options); }',
  'string-width': 'export default function stringWidth(text, options) { return require("string-width").default(text, options); }',
};

/** yargs' imports of cliui and string-width → the stand-ins above (their require() reaches the real module). */
const lazyYargsUi = {
  name: 'lazy-yargs-ui',
  setup(b) {
    b.onResolve({ filter: /^(cliui|string-width)$/ }, (args) =>
      args.namespace === 'file' && /[\\/]node_modules[\\/]yargs[\\/]/.test(args.importer)
        ? { path: args.path, namespace: 'lazy-yargs-ui', pluginData: args.resolveDir }
        : undefined);
    b.onLoad({ filter: /.*/, namespace: 'lazy-yargs-ui' }, (args) => ({ contents: LAZY[args.path], resolveDir: args.pluginData, loader: 'js' }));
  },
};

// Earlier builds' chunks have other hashes: start from an empty chunk folder.
rmSync(join(root, 'dist/cmd/chunks'), { recursive: true, force: true });
await build({
  entryPoints: { xdpreplay: join(root, 'cmd/xdpreplay.ts') },
  outdir: join(root, 'dist/cmd'),
  chunkNames: 'chunks/[name]-[hash]',
  // Each command's implementation is a dynamic import in its handler, so it becomes a chunk of
  // its own: `cat` does not parse the VM, the object loader or pino at startup.
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  plugins: [lazyYargsUi],
  // CommonJS dependencies (pino) call require() at run time.
  banner: { js: "import { createRequire as xdpreplayCreateRequire } from 'node:module';\nconst require = xdpreplayCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
