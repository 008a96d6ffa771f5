// Bundles the extension-host test suite into one CommonJS file the extension host loads (extensionTestsPath).
// `vscode` comes from the extension host; everything else but koffi, mocha included, goes into the bundle.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
await build({
  entryPoints: [join(here, 'suite', 'index.ts')],
  outfile: join(here, 'out', 'index.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // ES module builds first: jsonc-parser's UMD build cannot be bundled (see scripts/build.mjs).
  mainFields: ['module', 'main'],
  sourcemap: 'inline', // stack traces of failing tests point at the .ts lines
  // koffi (native; reached through the engine modules the engine tests use and the remote suite's leak checker)
  // and ssh2's optional native parts load at run time.
  external: ['vscode', 'koffi', 'cpu-features', '*/sshcrypto.node'],
  // As in scripts/build.mjs: jsonc-parser's UMD main does not bundle.
  mainFields: ['module', 'main'],
  logLevel: 'warning',
  // mocha's parallel-mode files are never loaded: the suite runs serially inside the extension host.
  logOverride: { 'require-resolve-not-external': 'silent' },
});
