// The list of remote hosts, shared by the CLI (`podsmith host ...`) and the editor: one JSON file under the
// client's config directory, $XDG_CONFIG_HOME/podsmith/hosts.json (default ~/.config/podsmith/hosts.json),
// mode 0600 in a 0700 directory. Written whole to a temporary file and renamed into place, so a reader never
// sees half a file. It holds names and destinations only: never a key, passphrase or password.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseSshUrl } from './ssh-config';

export interface HostEntry {
  name: string;
  /** ssh://[user@]host[:port] */
  url: string;
  /** The remote Node binary, when `node` is not on the login's PATH. */
  node?: string;
}

/** The local engine's name in the editor's tree and in pod references. */
export const LOCAL_HOST_NAME = 'local';

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function checkHostName(name: string): string | undefined {
  if (name === LOCAL_HOST_NAME) return `"${LOCAL_HOST_NAME}" is this machine's name; choose another`;
  if (!NAME_RE.test(name)) return `host name "${name}" must be 1-63 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit`;
  return undefined;
}

export function hostsFilePath(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(config, 'podsmith', 'hosts.json');
}

export class HostsFileError extends Error {
  override name = 'HostsFileError';
}

/** The hosts in the file; a missing file is an empty list, a broken one an error naming the file and field. */
export function readHosts(file: string = hostsFilePath()): HostEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new HostsFileError(`${file}: cannot read: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new HostsFileError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const hosts = (data as { hosts?: unknown })?.hosts;
  if (typeof data !== 'object' || data === null || !Array.isArray(hosts)) throw new HostsFileError(`${file}: expected {"hosts": [...]}`);
  const out: HostEntry[] = [];
  hosts.forEach((h: unknown, i) => {
    const at = `${file}: hosts[${i}]`;
    if (typeof h !== 'object' || h === null) throw new HostsFileError(`${at} must be an object`);
    const { name, url, node } = h as Record<string, unknown>;
    if (typeof name !== 'string') throw new HostsFileError(`${at}.name must be a string`);
    const bad = checkHostName(name);
    if (bad) throw new HostsFileError(`${at}.name: ${bad}`);
    if (typeof url !== 'string') throw new HostsFileError(`${at}.url must be a string`);
    try {
      parseSshUrl(url);
    } catch (err) {
      throw new HostsFileError(`${at}.url: ${(err as Error).message}`);
    }
    if (node !== undefined && (typeof node !== 'string' || !node.startsWith('/'))) throw new HostsFileError(`${at}.node must be an absolute path`);
    if (out.some((o) => o.name === name)) throw new HostsFileError(`${at}.name: "${name}" is listed twice`);
    out.push({ name, url, ...(node ? { node: node as string } : {}) });
  });
  return out;
}

export function writeHosts(hosts: HostEntry[], file: string = hostsFilePath()): void {
  const dir = join(file, '..');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, JSON.stringify({ hosts }, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function findHost(name: string, file?: string): HostEntry | undefined {
  return readHosts(file).find((h) => h.name === name);
}
