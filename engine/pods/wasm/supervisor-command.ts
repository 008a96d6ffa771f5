// How a pod's supervisor is started inside its sandbox (sandbox.ts), and which code the sandbox must hold for
// it (bound read-only under /app, the same path for every home, so every sandbox shares one skeleton root,
// sandbox-root.ts). From the bundle it is
// `dist/wasm-supervisor.js` when the build makes that small bundle of supervisor-main.ts (it starts in about
// 80 ms where the whole CLI bundle takes 150), else the CLI's hidden `__wasm-supervisor` command with dist/ in
// the sandbox. From the sources, supervisor-main.ts is bundled the same way with esbuild (the build's own
// bundler) on first use, into `<home>/wasm-sandbox/code/<hash>/wasm-supervisor.js`: a sandbox then needs
// one file rather than the repository and node_modules, and no TypeScript loader whose cache would start
// empty in every sandbox. Arguments are an array: no shell is involved. The supervisor's own arguments are
// `--spare <threads>` (supervisor-main.ts).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandboxesDir } from './paths';

export interface SupervisorCommand {
  command: string;
  args: string[];
  cwd: string;
  /** Host files or directories the command needs (`source`), bound read-only at `path` in the sandbox. */
  binds: { source: string; path: string }[];
}

/** Where the supervisor's code is in the sandbox. */
const APP = '/app';

let built: { bytes: Uint8Array; hash: string } | undefined;

/** The supervisor bundled from the sources (once per process), written into the home unless there. */
function bundleFromSources(home: string): string {
  if (!built) {
    // A development dependency: only the sources need it.
    const esbuild = require('esbuild') as typeof import('esbuild');
    const out = esbuild.buildSync({
      entryPoints: [join(__dirname, 'supervisor-main.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      write: false,
      external: ['koffi'],
      logLevel: 'silent',
    });
    const bytes = out.outputFiles[0].contents;
    built = { bytes, hash: createHash('sha256').update(bytes).digest('hex').slice(0, 16) };
  }
  const dir = join(sandboxesDir(home), 'code', built.hash);
  const file = join(dir, 'wasm-supervisor.js');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(`${file}.${process.pid}.tmp`, built.bytes, { mode: 0o644 });
    renameSync(`${file}.${process.pid}.tmp`, file);
  }
  return file;
}

/** How to run the supervisor with `args` (its own arguments) for a pod of `home`. */
export function supervisorCommand(args: string[], home: string): SupervisorCommand {
  if (__filename.endsWith('.ts')) {
    const file = bundleFromSources(home);
    return { command: process.execPath, args: [`${APP}/wasm-supervisor.js`, ...args], cwd: '/', binds: [{ source: file, path: `${APP}/wasm-supervisor.js` }] };
  }
  const own = join(__dirname, 'wasm-supervisor.js');
  if (existsSync(own)) return { command: process.execPath, args: [`${APP}/wasm-supervisor.js`, ...args], cwd: '/', binds: [{ source: own, path: `${APP}/wasm-supervisor.js` }] };
  return { command: process.execPath, args: [`${APP}/dist/podsmith.js`, '__wasm-supervisor', ...args], cwd: '/', binds: [{ source: __dirname, path: `${APP}/dist` }] };
}

export type SupervisorCommandOf = (args: string[], home: string) => SupervisorCommand;
