// The guest agent's code as one CommonJS file for the guest's Node. From the bundle (dist/) it is
// dist/microvm-agent.js, which scripts/build.mjs makes; from the sources (tests, development) it is bundled
// here with esbuild, in memory, once per process. koffi stays outside: the tools image carries it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

let fromSources: Promise<Buffer> | undefined;

export function agentBundle(): Promise<Buffer> {
  if (!__filename.endsWith('.ts')) return readFile(join(__dirname, 'microvm-agent.js'));
  fromSources ??= (async () => {
    const repo = join(__dirname, '..', '..', '..', '..');
    // esbuild is a development dependency: only the sources path needs it (scripts/build.mjs keeps it external,
    // so the engine's bundle does not carry it; a require, since bin.ts's loader has no dynamic import()).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as typeof import('esbuild');
    const r = await esbuild.build({
      absWorkingDir: repo,
      entryPoints: [join(__dirname, '..', 'agent', 'main.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['koffi'],
      // ESM builds first: UMD packages (jsonc-parser) require their parts at run time, which a bundle cannot serve.
      mainFields: ['module', 'main'],
      write: false,
      logLevel: 'silent',
    });
    return Buffer.from(r.outputFiles[0].contents);
  })();
  fromSources.catch(() => (fromSources = undefined));
  return fromSources;
}
