// Runs a bench's extension-host side (bench/<part>/suite.ts) in code-server's real extension host, as the
// extension-host tests run: bundled with esbuild, launched through test/vscode's code-server launcher.
import { build } from 'esbuild';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

/** Bundles bench/<part>/suite.ts and runs it; `env` reaches the suite (PODSMITH_BENCH_NODE and a long timeout are added). */
export async function runInExtensionHost(part: string, env: Record<string, string>): Promise<void> {
  const outDir = join(ROOT, 'bench', part, 'out');
  await build({
    entryPoints: [join(ROOT, 'bench', part, 'suite.ts')],
    outfile: join(outDir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    mainFields: ['module', 'main'],
    external: ['vscode', 'koffi'],
    logLevel: 'warning',
  });
  const { runTests } = await import('@vscode/test-electron');
  await runTests({
    vscodeExecutablePath: join(ROOT, 'test', 'vscode', 'code-server-launcher.mjs'),
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: join(outDir, 'index.js'),
    launchArgs: [join(ROOT, 'test', 'vscode', 'workspace')],
    reuseMachineInstall: true,
    extensionTestsEnv: { ...env, PODSMITH_BENCH_NODE: process.execPath, PODSMITH_VSCODE_TIMEOUT_MS: '600000' },
  });
}
