// `npm run package`: builds dist/ and packs the extension as a .vsix that carries the engine too: the client and
// language server, the CLI and daemon bundles (dist/podsmith.js loads podsmith-pods.js or podsmith-engine.js),
// the wasm supervisor and the microVM guest agent, and koffi, which the bundles load at run time (it is a
// native module, so esbuild leaves it out). koffi goes in as dist/node_modules/koffi with only the Linux x64
// prebuild: `require('koffi')` from any bundle in dist/ finds it there, and koffi's index.js loads
// build/koffi/<platform>_<arch>/koffi.node next to itself.
//   node scripts/package.mjs [--out FILE] [--no-build]
// The package is assembled in a temp folder, so the repository's dist/ stays as the build made it (its
// koffi is node_modules' own, with every platform's prebuild, which remote hosts of other kinds need).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
const { values } = parseArgs({ options: { out: { type: 'string' }, 'no-build': { type: 'boolean', default: false } } });
const out = resolve(values.out ?? join(REPO, `podsmith-${version}.vsix`));

/** What the .vsix must hold, checked after packing (vsce silently skips a file .vscodeignore leaves out). */
export const REQUIRED = [
  'package.json',
  'readme.md', // vsce's name for README.md
  'dist/client.js',
  'dist/server.js',
  'dist/podsmith.js',
  'dist/podsmith-pods.js',
  'dist/podsmith-engine.js',
  'dist/wasm-supervisor.js',
  'dist/microvm-agent.js',
  'dist/node_modules/koffi/package.json',
  'dist/node_modules/koffi/index.js',
  'dist/node_modules/koffi/build/koffi/linux_x64/koffi.node',
];
const BUNDLES = ['client.js', 'server.js', 'podsmith.js', 'podsmith-pods.js', 'podsmith-engine.js', 'wasm-supervisor.js', 'microvm-agent.js', 'terminateProcess.sh'];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.signal ?? r.status})`);
}

if (!values['no-build']) run(process.execPath, [join(REPO, 'scripts', 'build.mjs')], { cwd: REPO });

const stage = mkdtempSync(join(tmpdir(), 'podsmith-package-'));
try {
  for (const f of ['package.json', 'README.md', 'LICENSE', '.vscodeignore']) {
    if (existsSync(join(REPO, f))) copyFileSync(join(REPO, f), join(stage, f));
  }
  for (const d of ['syntaxes', 'media', join('docs', 'screenshots')]) {
    if (existsSync(join(REPO, d))) cpSync(join(REPO, d), join(stage, d), { recursive: true });
  }
  mkdirSync(join(stage, 'dist'));
  for (const f of BUNDLES) {
    const src = join(REPO, 'dist', f);
    if (!existsSync(src)) throw new Error(`${src} is missing: the build did not make it`);
    copyFileSync(src, join(stage, 'dist', f));
  }
  chmodSync(join(stage, 'dist', 'podsmith.js'), 0o755);

  // koffi: its entry, its licence and the one prebuild this package targets.
  const koffi = dirname(fileURLToPath(import.meta.resolve('koffi/package.json')));
  const koffiDest = join(stage, 'dist', 'node_modules', 'koffi');
  const native = join('build', 'koffi', 'linux_x64', 'koffi.node');
  mkdirSync(join(koffiDest, dirname(native)), { recursive: true });
  for (const f of ['package.json', 'index.js', 'LICENSE.txt', native]) copyFileSync(join(koffi, f), join(koffiDest, f));

  // koffi loads where the bundles will look for it (the lookup the engine makes on first use of a pty or flock).
  run(process.execPath, ['-e', `const k = require('node:module').createRequire(process.argv[1])('koffi'); if (typeof k.load !== 'function') process.exit(1)`, join(stage, 'dist', 'podsmith-engine.js')]);

  // vsce from the dev dependencies. No dependency scan: the bundles hold their dependencies, koffi is staged
  // above. README links stay as written (there is no public repository URL to rewrite them against).
  const vsce = join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce');
  const flags = ['--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links'];
  if (!existsSync(join(stage, 'LICENSE'))) flags.push('--skip-license');
  mkdirSync(dirname(out), { recursive: true });
  rmSync(out, { force: true });
  run(process.execPath, [vsce, 'package', ...flags, '--out', out], { cwd: stage, stdio: ['ignore', 'inherit', 'inherit'] });

  // The listing of what went in, checked against what the extension needs to run pods.
  const listing = spawnSync('unzip', ['-Z1', out], { encoding: 'utf8' });
  if (listing.status !== 0) throw new Error(`unzip -Z1 ${out} failed: ${listing.stderr}`);
  const inside = new Set(listing.stdout.split('\n').filter((l) => l.startsWith('extension/')).map((l) => l.slice('extension/'.length)));
  const missing = REQUIRED.filter((f) => !inside.has(f));
  if (missing.length) throw new Error(`${out} lacks ${missing.join(', ')}: check .vscodeignore`);
  const stray = [...inside].filter((f) => f.endsWith('.map') || f.endsWith('.ts') || f.startsWith('node_modules/'));
  if (stray.length) throw new Error(`${out} holds files it should not: ${stray.join(', ')}`);
  console.log(`package: ${out} (${inside.size} files)`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
