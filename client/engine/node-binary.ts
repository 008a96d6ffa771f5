// Which Node runs the daemon (and the port-forward helper). The daemon outlives the window, so it must not run
// under an editor's embedded runtime (Electron's, which ends with the app and is not a plain Node): the
// `podsmith.engine.nodePath` setting, else `node` on PATH, else the extension host's own binary when it is a
// real Node (code-server, VS Code Server). No VS Code imports: the choice is plain logic over the environment.
import { execFile } from 'node:child_process';
import { isAbsolute } from 'node:path';
import { findExecutable } from '../../engine/network/run-tool';

/** The oldest Node the engine runs on (package.json engines.node). */
export const MIN_NODE_MAJOR = 20;

export interface NodeChoice {
  path: string;
  version: string;
  source: 'setting' | 'PATH' | 'extension host';
}

export interface FindNodeOptions {
  /** podsmith.engine.nodePath ('' when unset). */
  setting: string;
  env: NodeJS.ProcessEnv;
  /** The extension host's binary and versions (process.execPath, process.versions). */
  execPath: string;
  versions: { node: string; electron?: string };
}

export class NoNodeError extends Error {
  override name = 'NoNodeError';
}

const major = (version: string): number => Number.parseInt(version.replace(/^v/, ''), 10);

/** Asks a binary for its versions; rejects when it is not a Node of MIN_NODE_MAJOR or later. */
export function probeNode(path: string, env: NodeJS.ProcessEnv): Promise<string> {
  const clean = { ...env };
  delete clean.ELECTRON_RUN_AS_NODE; // an Electron binary must not pass for Node through the host's variable
  delete clean.NODE_OPTIONS;
  return new Promise((resolve, reject) => {
    execFile(path, ['-p', 'JSON.stringify([process.versions.node, process.versions.electron || ""])'], { env: clean, timeout: 10_000 }, (err, stdout) => {
      if (err) return reject(new Error(`${path} does not run as Node: ${err.message.split('\n')[0]}`));
      let node: string;
      let electron: string;
      try {
        [node, electron] = JSON.parse(stdout.trim()) as [string, string];
      } catch {
        return reject(new Error(`${path} did not answer like Node`));
      }
      if (electron) return reject(new Error(`${path} is an Electron runtime (${electron}), not Node`));
      if (!(major(node) >= MIN_NODE_MAJOR)) return reject(new Error(`${path} is Node ${node}; the engine needs Node ${MIN_NODE_MAJOR} or later`));
      resolve(node);
    });
  });
}

export async function findNode(opts: FindNodeOptions): Promise<NodeChoice> {
  if (opts.setting) {
    if (!isAbsolute(opts.setting)) throw new NoNodeError(`podsmith.engine.nodePath must be an absolute path, not "${opts.setting}"`);
    try {
      return { path: opts.setting, version: await probeNode(opts.setting, opts.env), source: 'setting' };
    } catch (err) {
      throw new NoNodeError(`podsmith.engine.nodePath: ${(err as Error).message}`);
    }
  }
  const reasons: string[] = [];
  const onPath = findExecutable('node', opts.env);
  if (onPath) {
    try {
      return { path: onPath, version: await probeNode(onPath, opts.env), source: 'PATH' };
    } catch (err) {
      reasons.push((err as Error).message);
    }
  } else reasons.push('no node on PATH');
  if (!opts.versions.electron && major(opts.versions.node) >= MIN_NODE_MAJOR) {
    return { path: opts.execPath, version: opts.versions.node, source: 'extension host' };
  }
  reasons.push(opts.versions.electron ? 'the editor runs extensions on Electron, which cannot host the daemon' : `the extension host is Node ${opts.versions.node}`);
  throw new NoNodeError(
    `no Node.js ${MIN_NODE_MAJOR} or later to run the Podsmith engine (${reasons.join('; ')}): install Node.js (apt-get install -y nodejs) or set podsmith.engine.nodePath`,
  );
}
