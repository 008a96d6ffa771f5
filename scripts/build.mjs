// Bundles the three entry points with esbuild. The extension host loads dist/client.js (CJS, `vscode` external).
import { build } from 'esbuild';
import { chmodSync, copyFileSync } from 'node:fs';

// jsonc-parser's "main" is a UMD build whose requires esbuild cannot follow (the bundle failed with "Cannot
// find module './impl/format'"): its ES module build bundles cleanly. ssh2's optional native parts
// (cpu-features, sshcrypto.node) stay out: ssh2 falls back to plain JavaScript without them.
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
};
const sshNative = ['cpu-features', '*/sshcrypto.node'];
await Promise.all([
  // The client drives the engine with the CLI's own client code; koffi (used by no path the client takes) stays out.
  build({ ...common, entryPoints: ['client/extension.ts'], outfile: 'dist/client.js', external: ['vscode', 'koffi', ...sshNative] }),
  build({ ...common, entryPoints: ['server/main.ts'], outfile: 'dist/server.js' }),
  build({ ...common, entryPoints: ['engine/cli/main.ts'], outfile: 'dist/podsmith.js', external: ['koffi', ...sshNative], banner: { js: '#!/usr/bin/env node' } }),
  // A pod-wasm pod's supervisor process: small, so a wasm pod starts without loading the whole CLI.
  build({ ...common, entryPoints: ['engine/pods/wasm/supervisor-main.ts'], outfile: 'dist/wasm-supervisor.js', external: ['koffi'] }),
]);
chmodSync('dist/podsmith.js', 0o755);
// vscode-languageclient runs this script to kill a server that ignores shutdown; bundling drops it.
copyFileSync('node_modules/vscode-languageclient/lib/node/terminateProcess.sh', 'dist/terminateProcess.sh');
