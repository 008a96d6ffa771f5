// Bundles the three entry points with esbuild. The extension host loads dist/client.js (CJS, `vscode` external).
import { build } from 'esbuild';
import { chmodSync, copyFileSync } from 'node:fs';

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning' };
await Promise.all([
  build({ ...common, entryPoints: ['client/extension.ts'], outfile: 'dist/client.js', external: ['vscode'] }),
  build({ ...common, entryPoints: ['server/main.ts'], outfile: 'dist/server.js' }),
  build({ ...common, entryPoints: ['engine/cli/main.ts'], outfile: 'dist/podsmith.js', external: ['koffi'], banner: { js: '#!/usr/bin/env node' } }),
  // A pod-wasm pod's supervisor process: small, so a wasm pod starts without loading the whole CLI.
  build({ ...common, entryPoints: ['engine/pods/wasm/supervisor-main.ts'], outfile: 'dist/wasm-supervisor.js', external: ['koffi'] }),
  // The microVM guest agent: runs on the guest's Node (koffi comes from the guest's tools image).
  build({ ...common, entryPoints: ['engine/pods/microvm/agent/main.ts'], outfile: 'dist/microvm-agent.js', external: ['koffi'], mainFields: ['module', 'main'], sourcemap: false }),
]);
chmodSync('dist/podsmith.js', 0o755);
// vscode-languageclient runs this script to kill a server that ignores shutdown; bundling drops it.
copyFileSync('node_modules/vscode-languageclient/lib/node/terminateProcess.sh', 'dist/terminateProcess.sh');
