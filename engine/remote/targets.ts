// What `--host NAME` (or PODSMITH_HOST, or a host in the editor) means: a host of hosts.json, else a Host of
// ~/.ssh/config, else an ssh:// URL given directly. "local" (or nothing) is this machine.
import { findHost, LOCAL_HOST_NAME, hostsFilePath, type HostEntry } from './hosts-file';
import { parseSshUrl, SshConfig } from './ssh-config';
import type { SshDestination } from './ssh-connect';

export interface RemoteTarget {
  /** The name shown to people: the hosts.json name, the ssh config alias, or the URL. */
  name: string;
  dest: SshDestination;
  /** The remote Node binary (hosts.json `node`). */
  node?: string;
  source: 'hosts.json' | 'ssh-config' | 'url';
  url?: string;
}

export class UnknownHostError extends Error {
  override name = 'UnknownHostError';
}

export function destinationOf(url: string): SshDestination {
  const u = parseSshUrl(url);
  // The host part is also what ~/.ssh/config is matched against, as `ssh -p PORT user@host` does.
  return { alias: u.host, user: u.user, port: u.port };
}

/** undefined for this machine; throws UnknownHostError naming where it looked. */
export function resolveTarget(name: string | undefined, opts: { env?: NodeJS.ProcessEnv; sshConfig?: SshConfig } = {}): RemoteTarget | undefined {
  if (name === undefined || name === '' || name === LOCAL_HOST_NAME) return undefined;
  const env = opts.env ?? process.env;
  if (name.startsWith('ssh://')) return { name, dest: destinationOf(name), source: 'url', url: name };
  const file = hostsFilePath(env);
  const entry: HostEntry | undefined = findHost(name, file);
  if (entry) return { name, dest: destinationOf(entry.url), node: entry.node, source: 'hosts.json', url: entry.url };
  const config = opts.sshConfig ?? new SshConfig({ env });
  if (config.hasHost(name)) return { name, dest: { alias: name }, source: 'ssh-config' };
  throw new UnknownHostError(`unknown host "${name}": it is not in ${file} ('podsmith host ls') nor a Host in ~/.ssh/config; add it with 'podsmith host add ${name} ssh://USER@HOST[:PORT]'`);
}
