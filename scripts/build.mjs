// Bundles the entry points with esbuild. The extension host loads dist/client.js (CJS, `vscode` external).
//   node scripts/build.mjs [--outdir DIR] [--only cli]
// --only cli builds the CLI's three files alone (the pods bench builds a private copy of them this way).
import { build } from 'esbuild';
import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { outdir: { type: 'string', default: 'dist' }, only: { type: 'string' } } });
const out = (name) => join(values.outdir, name);

// mainFields: jsonc-parser's UMD build (its "main") requires its own files at run time, which a bundle does not
// ship: take packages' ES module builds where they have one. ssh2's optional native parts (cpu-features,
// sshcrypto.node) stay out: ssh2 falls back to plain JavaScript without them.
const sshNative = ['cpu-features', '*/sshcrypto.node'];
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning', mainFields: ['module', 'main'] };

// The CLI: dist/podsmith.js is a small entry that loads the pod commands' bundle (the daemon client only) or the
// engine's (every other command, and the daemon); engine/cli/bin.ts says why. All three sit side by side in dist/.
const cli = [
  build({ ...common, entryPoints: ['engine/cli/bin.ts'], outfile: out('podsmith.js'), banner: { js: '#!/usr/bin/env node' } }),
  // Whitespace and syntax minified (names kept, for stack traces): about a third less to read and deserialize.
  build({ ...common, entryPoints: ['engine/cli/pod-main.ts'], outfile: out('podsmith-pods.js'), external: ['koffi'], minifyWhitespace: true, minifySyntax: true }),
  build({ ...common, entryPoints: ['engine/cli/main.ts'], outfile: out('podsmith-engine.js'), external: ['koffi', 'esbuild', ...sshNative] }),
];
const rest =
  values.only === 'cli'
    ? []
    : [
        // The client drives the engine with the CLI's own client code; koffi (used by no path the client takes) stays out.
        build({ ...common, entryPoints: ['client/extension.ts'], outfile: out('client.js'), external: ['vscode', 'koffi', ...sshNative] }),
        build({ ...common, entryPoints: ['server/main.ts'], outfile: out('server.js') }),
        // A pod-wasm pod's supervisor process: small, so a wasm pod starts without loading the whole CLI.
        build({ ...common, entryPoints: ['engine/pods/wasm/supervisor-main.ts'], outfile: out('wasm-supervisor.js'), external: ['koffi'] }),
        // The microVM guest agent: runs on the guest's Node (koffi comes from the guest's tools image).
        build({ ...common, entryPoints: ['engine/pods/microvm/agent/main.ts'], outfile: out('microvm-agent.js'), external: ['koffi'], sourcemap: false }),
      ];
await Promise.all([...cli, ...rest]);

// bin.ts loads the two bundles with node:vm (for the code cache), which has no loader for a dynamic import():
// esbuild must have turned every one into a require().
for (const name of ['podsmith-pods.js', 'podsmith-engine.js']) {
  if (/\bimport\(/.test(readFileSync(out(name), 'utf8').replace(/\/\/.*$/gm, ''))) throw new Error(`${out(name)} has a dynamic import(), which bin.ts cannot load`);
}
chmodSync(out('podsmith.js'), 0o755);
// vscode-languageclient runs this script to kill a server that ignores shutdown; bundling drops it.
if (values.only !== 'cli') copyFileSync('node_modules/vscode-languageclient/lib/node/terminateProcess.sh', out('terminateProcess.sh'));
