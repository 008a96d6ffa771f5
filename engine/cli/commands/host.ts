// `podsmith host add|ls|rm|test`: the remote hosts pod commands reach with --host NAME. The list is shared with
// the editor (engine/remote/hosts-file.ts); any Host of ~/.ssh/config works with --host as well, unlisted.
import { parseArgs } from 'node:util';
import { checkHostName, hostsFilePath, readHosts, writeHosts, type HostEntry } from '../../remote/hosts-file';
import { openSsh, SshError } from '../../remote/ssh-connect';
import { SshConfig } from '../../remote/ssh-config';
import { destinationOf, resolveTarget } from '../../remote/targets';
import { UsageError } from '../files';
import { renderTable } from '../format/pod-table';
import { reportError, type Io } from '../io';
import { cliRemoteHost, ttyPrompts } from '../remote';
import { runCommand } from '../run-command';

export const HOST_USAGE = `Usage: podsmith host add NAME ssh://[user@]host[:port] [--node PATH] [--accept] [--no-check]
       podsmith host ls [-o json]
       podsmith host rm NAME...
       podsmith host test NAME [--accept-new-host-key]

Remote hosts for --host NAME (or PODSMITH_HOST=NAME) on pod commands. The list is kept in
$XDG_CONFIG_HOME/podsmith/hosts.json (mode 0600) and shared with the editor; a Host of ~/.ssh/config can be
named with --host as is. ~/.ssh/config applies to every host (User, Port, IdentityFile, ProxyJump, ...).
  add    checks the host's key against ~/.ssh/known_hosts and logs in, then adds it. An unknown host key
         is refused with its SHA256 fingerprint; --accept records it (hashed) after you checked it.
         --node names the remote Node binary when 'node' is not on the login's PATH. --no-check adds
         without connecting.
  ls     lists the hosts (and the Hosts of ~/.ssh/config)
  rm     forgets hosts (nothing changes on them; their pods keep running)
  test   connects, installs or checks the engine there, starts its daemon and runs its doctor
Exit 0 on success, 1 when the host cannot be reached or used, 2 for usage.`;

export function hostCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runCommand('host', HOST_USAGE, io, async () => {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') {
      io.out(HOST_USAGE + '\n');
      return sub === undefined ? 2 : 0;
    }
    if (sub === 'add') return add(rest, io, env);
    if (sub === 'ls' || sub === 'list') return list(rest, io, env);
    if (sub === 'rm' || sub === 'remove') return remove(rest, io, env);
    if (sub === 'test') return test(rest, io, env);
    throw new UsageError(`unknown subcommand "${sub}"; use add, ls, rm or test`);
  });
}

async function add(argv: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { node: { type: 'string' }, accept: { type: 'boolean' }, 'accept-new-host-key': { type: 'boolean' }, 'no-check': { type: 'boolean' } },
  });
  const [name, url, extra] = positionals;
  if (!name || !url) throw new UsageError('host add needs NAME and ssh://[user@]host[:port]');
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  const bad = checkHostName(name);
  if (bad) throw new UsageError(bad);
  let dest;
  try {
    dest = destinationOf(url);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.node !== undefined && !values.node.startsWith('/')) throw new UsageError('--node must be an absolute path on the remote host');
  const file = hostsFilePath(env);
  const hosts = readHosts(file);
  if (hosts.some((h) => h.name === name)) throw new UsageError(`host "${name}" exists already (${hosts.find((h) => h.name === name)!.url}); 'podsmith host rm ${name}' first`);
  const entry: HostEntry = { name, url, ...(values.node ? { node: values.node } : {}) };
  if (!values['no-check']) {
    const log = (line: string): void => reportError(io, `podsmith: ${line}\n`);
    try {
      const ssh = await openSsh(dest, { env, config: new SshConfig({ env }), prompts: ttyPrompts(), acceptNewHostKey: !!(values.accept || values['accept-new-host-key']), log });
      io.out(`${name}: logged in to ${ssh.label}${ssh.jumps.length ? ` through ${ssh.jumps.join(', ')}` : ''}\n`);
      ssh.close();
    } catch (err) {
      if (!(err instanceof SshError)) throw err;
      reportError(io, `podsmith host add: ${err.message}\n`);
      if (err.kind === 'host-key-unknown') reportError(io, `Nothing was added. When the fingerprint is right: podsmith host add ${name} ${url} --accept\n`);
      else reportError(io, `Nothing was added (--no-check adds it without connecting).\n`);
      return 1;
    }
  }
  writeHosts([...readHosts(file), entry], file);
  io.out(`host ${name} added (${url}); use it with --host ${name}\n`);
  return 0;
}

function list(argv: string[], io: Io, env: NodeJS.ProcessEnv): number {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { output: { type: 'string', short: 'o' } } });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.output !== undefined && values.output !== 'json') throw new UsageError('-o takes json');
  const hosts = readHosts(hostsFilePath(env));
  const config = new SshConfig({ env });
  const aliases = config.hostAliases().filter((a) => !hosts.some((h) => h.name === a));
  if (values.output === 'json') {
    io.out(JSON.stringify({ hosts, sshConfigHosts: aliases }, null, 2) + '\n');
    return 0;
  }
  if (!hosts.length && !aliases.length) {
    io.err("No remote hosts. Add one with 'podsmith host add NAME ssh://USER@HOST[:PORT]'.\n");
    return 0;
  }
  const rows = [['NAME', 'DESTINATION', 'FROM'], ...hosts.map((h) => [h.name, h.url + (h.node ? ` (node ${h.node})` : ''), 'hosts.json']), ...aliases.map((a) => [a, `Host ${a}`, '~/.ssh/config'])];
  io.out(renderTable(rows));
  return 0;
}

function remove(argv: string[], io: Io, env: NodeJS.ProcessEnv): number {
  if (!argv.length) throw new UsageError('host rm needs NAME');
  const file = hostsFilePath(env);
  const hosts = readHosts(file);
  const missing = argv.filter((n) => !hosts.some((h) => h.name === n));
  if (missing.length) {
    reportError(io, `podsmith host rm: no host named ${missing.map((m) => `"${m}"`).join(', ')} in ${file}\n`);
    return 1;
  }
  writeHosts(
    hosts.filter((h) => !argv.includes(h.name)),
    file,
  );
  for (const n of argv) io.out(`host ${n} removed (its pods, if any, keep running there)\n`);
  return 0;
}

async function test(argv: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { 'accept-new-host-key': { type: 'boolean' } } });
  if (positionals.length !== 1) throw new UsageError('host test needs one NAME');
  let target;
  try {
    target = resolveTarget(positionals[0], { env });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (!target) throw new UsageError('"local" is this machine: podsmith doctor checks it');
  const host = cliRemoteHost(target, io, { acceptNewHostKey: !!values['accept-new-host-key'] }, env);
  host.opts.bootstrap = { ...host.opts.bootstrap, doctor: 'always' };
  const t = performance.now();
  try {
    const client = await host.client();
    const pods = await client.listPods();
    const ms = Math.round(performance.now() - t);
    client.close();
    const b = host.boot!;
    const f = b.facts;
    io.out(`${target.name}: reachable, logged in as ${f.user} (uid ${f.uid})\n`);
    io.out(`  host:    ${f.platform}/${f.arch} (${f.libc}), Node ${f.node} (${b.node})\n`);
    io.out(`  engine:  ${b.bundle.id} in ${b.engineDir} (${b.uploaded ? 'installed now' : 'already there, checked'})\n`);
    io.out(`  daemon:  pid ${b.daemon.pid}, podsmith ${b.daemon.version}, home ${b.daemon.home}, ${pods.length} pod${pods.length === 1 ? '' : 's'} (streams over ${host.mode})\n`);
    const failing = b.doctor?.checks.filter((c) => c.status === 'fail') ?? [];
    const warns = b.doctor?.checks.filter((c) => c.status === 'warn') ?? [];
    if (!b.doctor) io.out('  doctor:  did not answer\n');
    else if (failing.length) io.out(`  doctor:  cannot run pod-containers:\n${failing.map((c) => `    ${c.name}: ${c.detail}${c.fix ? ` (${c.fix})` : ''}`).join('\n')}\n`);
    else io.out(`  doctor:  pod-containers can run (OCI runtime ${b.doctor.ociRuntime ?? '?'})${warns.length ? `; ${warns.length} optional part${warns.length === 1 ? '' : 's'} missing` : ''}\n`);
    io.out(`  time:    ${ms} ms (${Object.entries(b.timings).map(([k, v]) => `${k} ${Math.round(v)} ms`).join(', ')})\n`);
    return b.doctor && !failing.length ? 0 : 1;
  } catch (err) {
    reportError(io, `podsmith host test: ${(err as Error).message}\n`);
    return 1;
  } finally {
    host.close();
  }
}
