// The CLI's side of remote hosts: `--host NAME` / `--accept-new-host-key` (or PODSMITH_HOST) taken off a pod
// command's arguments, a RemoteHost for that command, and questions (a key's passphrase, a password,
// keyboard-interactive prompts) asked on the controlling terminal, as ssh asks them, without echo. Without a
// terminal nothing is asked: the error says what to do (ssh-add the key). An unknown host key is never asked
// about: the command refuses with its fingerprint and how to accept it.
import { closeSync, openSync } from 'node:fs';
import { ReadStream, WriteStream } from 'node:tty';
import { DaemonError, type DaemonClient } from '../client/daemon-client';
import { engineCommand } from '../remote/bootstrap';
import { RemoteHost } from '../remote/remote-host';
import { SshError, type SshPrompts } from '../remote/ssh-connect';
import { resolveTarget, UnknownHostError, type RemoteTarget } from '../remote/targets';
import { version } from '../../package.json';
import { UsageError } from './files';
import type { HostOptions } from './host-options';
import { reportError, type Io } from './io';

/** Reads a line from the controlling terminal (no echo unless asked); undefined without a terminal or on Ctrl-C/D. */
export async function askTty(prompt: string, echo = false): Promise<string | undefined> {
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    return undefined;
  }
  const input = new ReadStream(fd);
  const output = new WriteStream(fd);
  try {
    output.write(prompt);
    input.setRawMode(true);
    return await new Promise<string | undefined>((resolve) => {
      let text = '';
      input.on('data', (b: Buffer) => {
        for (const ch of b.toString('utf8')) {
          if (ch === '\r' || ch === '\n') return resolve(text);
          if (ch === '\x03' || ch === '\x04') return resolve(undefined);
          if (ch === '\x7f' || ch === '\b') {
            if (text && echo) output.write('\b \b');
            text = [...text].slice(0, -1).join('');
            continue;
          }
          text += ch;
          if (echo) output.write(ch);
        }
      });
    });
  } finally {
    input.setRawMode(false);
    output.write('\n');
    input.destroy();
    output.destroy();
    try {
      closeSync(fd);
    } catch {
      // the streams closed it
    }
  }
}

export function hasTty(): boolean {
  try {
    closeSync(openSync('/dev/tty', 'r+'));
    return true;
  } catch {
    return false;
  }
}

export function ttyPrompts(): SshPrompts {
  if (!hasTty()) return {};
  return {
    passphrase: (file, retry) => askTty(`${retry ? 'Wrong passphrase. ' : ''}Enter passphrase for key '${file}': `),
    password: (user, host) => askTty(`${host.includes('@') ? host : `${user}@${host}`}'s password: `),
    keyboardInteractive: async (req) => {
      const answers: string[] = [];
      if (req.instructions) await askTty(`${req.instructions}\n(press Enter)`, true);
      for (const p of req.prompts) {
        const a = await askTty(p.prompt, p.echo);
        if (a === undefined) return undefined;
        answers.push(a);
      }
      return answers;
    },
  };
}

/** A RemoteHost for one CLI command (no reconnection: a dropped connection ends the command, with a message). */
export function cliRemoteHost(target: RemoteTarget, io: Io, opts: HostOptions, env: NodeJS.ProcessEnv = process.env): RemoteHost {
  return new RemoteHost({
    name: target.name,
    dest: target.dest,
    clientName: `podsmith-cli ${version}`,
    ssh: { env, prompts: ttyPrompts(), acceptNewHostKey: opts.acceptNewHostKey, log: (line) => reportError(io, `podsmith: ${line}\n`) },
    bootstrap: { node: target.node, log: (line) => reportError(io, `podsmith: ${line}\n`) },
  });
}

export interface RemoteSelection {
  target: RemoteTarget;
  host: RemoteHost;
  /** A daemon client there; closing it ends the SSH connection. */
  connect(): Promise<DaemonClient>;
}

/** The remote host a pod command runs against, or undefined for this machine. */
export function selectRemote(opts: HostOptions, io: Io, env: NodeJS.ProcessEnv = process.env): RemoteSelection | undefined {
  let target: RemoteTarget | undefined;
  try {
    target = resolveTarget(opts.host, { env });
  } catch (err) {
    if (err instanceof UnknownHostError) throw new UsageError(err.message);
    throw new UsageError((err as Error).message);
  }
  if (!target) return undefined;
  const host = cliRemoteHost(target, io, opts, env);
  return {
    target,
    host,
    connect: async () => {
      try {
        // The command's one client owns the connection: closing it logs out.
        return await host.client({ owner: true });
      } catch (err) {
        host.close();
        if (err instanceof SshError || err instanceof DaemonError) throw new DaemonError(err.message);
        throw new DaemonError(`${target!.name}: ${(err as Error).message}`);
      }
    },
  };
}

/** `doctor --host` and `daemon status|stop --host`: the engine's own command, run on the host. */
export async function runOnRemote(cmd: 'doctor' | 'daemon', argv: string[], io: Io, opts: HostOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (cmd === 'daemon' && argv[0] !== 'status' && argv[0] !== 'stop') throw new UsageError('--host works with daemon status and daemon stop (other pod commands start the remote daemon on demand)');
  const selection = selectRemote(opts, io, env)!;
  const { host } = selection;
  host.opts.bootstrap = { ...host.opts.bootstrap, doctor: 'never' };
  try {
    const { ssh, boot } = await host.ready();
    const r = await ssh.run(engineCommand(boot, [cmd, ...argv]), undefined, 300_000);
    io.out(r.stdout);
    if (r.stderr) reportError(io, r.stderr);
    return r.code ?? 1;
  } catch (err) {
    reportError(io, `podsmith ${cmd}: ${(err as Error).message}\n`);
    return 1;
  } finally {
    host.close();
  }
}
