// Bundles the three entry points with esbuild. The extension host loads dist/client.js (CJS, `vscode` external).
import { build } from 'esbuild';
import { chmodSync, copyFileSync } from 'node:fs';

// mainFields: packages' ES module builds first. jsonc-parser's default (UMD) build requires its parts through a
// factory's own `require`, which esbuild cannot follow: bundled, it fails at load with "Cannot find module
// './impl/format'" (podsmith logout, and anything else reaching engine/text/json-text, did).
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning', mainFields: ['module', 'main'] };
await Promise.all([
  // The client drives the engine with the CLI's own client code; koffi (used by no path the client takes) stays out.
  build({ ...common, entryPoints: ['client/extension.ts'], outfile: 'dist/client.js', external: ['vscode', 'koffi'] }),
  build({ ...common, entryPoints: ['server/main.ts'], outfile: 'dist/server.js' }),
  build({ ...common, entryPoints: ['engine/cli/main.ts'], outfile: 'dist/podsmith.js', external: ['koffi'], banner: { js: '#!/usr/bin/env node' } }),
  // A pod-wasm pod's supervisor process: small, so a wasm pod starts without loading the whole CLI.
  build({ ...common, entryPoints: ['engine/pods/wasm/supervisor-main.ts'], outfile: 'dist/wasm-supervisor.js', external: ['koffi'] }),
]);
chmodSync('dist/podsmith.js', 0o755);
// vscode-languageclient runs this script to kill a server that ignores shutdown; bundling drops it.
copyFileSync('node_modules/vscode-languageclient/lib/node/terminateProcess.sh', 'dist/terminateProcess.sh');
