// Remote hosts from the editor: add (a Host of ~/.ssh/config from a picker, or an SSH destination typed in;
// the host key is checked, shown with its fingerprint when unknown, and the login tried before anything is
// written), remove, reconnect, and "Run Pod on Host…". The list is hosts.json, shared with `podsmith host`.
import * as vscode from 'vscode';
import { checkHostName, readHosts, writeHosts, type HostEntry } from '../../engine/remote/hosts-file';
import { openSsh } from '../../engine/remote/ssh-connect';
import { parseSshUrl, SshConfig } from '../../engine/remote/ssh-config';
import { destinationOf } from '../../engine/remote/targets';
import { LOCAL_HOST } from '../engine/access';
import { engineEnv } from '../engine/engine-env';
import type { Ctx } from '../ctx';
import { hostArg } from '../commands/pod-commands';
import { runFile, type RunResult } from '../run/run-command';

export const HOST_COMMANDS = {
  add: 'podsmith.host.add',
  remove: 'podsmith.host.remove',
  reconnect: 'podsmith.host.reconnect',
  runOnHost: 'podsmith.pod.runOnHost',
} as const;

/** `user@host[:port]` or `ssh://...` as an ssh:// URL; throws with what is wrong. */
export function toSshUrl(text: string): string {
  const t = text.trim();
  const url = t.startsWith('ssh://') ? t : `ssh://${t}`;
  parseSshUrl(url);
  return url;
}

interface AddArgs {
  name?: string;
  url?: string;
  node?: string;
  /** Accept (and record) an unknown host key without asking (tests and scripts that checked it already). */
  accept?: boolean;
}

async function addHost(ctx: Ctx, arg: unknown): Promise<{ name: string; url: string } | undefined> {
  const given = (typeof arg === 'object' && arg !== null ? arg : {}) as AddArgs;
  const env = engineEnv();
  const file = ctx.engine.hostsFile();
  let hosts: HostEntry[];
  try {
    hosts = readHosts(file);
  } catch (err) {
    void vscode.window.showErrorMessage(`Podsmith: ${(err as Error).message}`);
    return undefined;
  }
  let url = given.url;
  let name = given.name;
  if (!url) {
    const config = new SshConfig({ env });
    const aliases = config.hostAliases().filter((a) => !hosts.some((h) => h.name === a || h.url === `ssh://${a}`));
    const typeIn = { label: '$(edit) Enter an SSH destination…', description: 'user@host[:port]' };
    const pick = await vscode.window.showQuickPick([...aliases.map((a) => ({ label: a, description: 'Host in ~/.ssh/config' })), typeIn], {
      title: 'Podsmith: Add Remote Host',
      placeHolder: 'A Host of ~/.ssh/config, or a destination',
    });
    if (!pick) return undefined;
    if (pick === typeIn) {
      const text = await vscode.window.showInputBox({
        title: 'Podsmith: Add Remote Host',
        prompt: 'SSH destination: user@host[:port] (or ssh://user@host:port)',
        ignoreFocusOut: true,
        validateInput: (v) => {
          try {
            toSshUrl(v);
            return undefined;
          } catch (err) {
            return (err as Error).message;
          }
        },
      });
      if (!text) return undefined;
      url = toSshUrl(text);
    } else {
      url = `ssh://${pick.label}`;
      name ??= pick.label.toLowerCase();
    }
  }
  try {
    url = toSshUrl(url);
  } catch (err) {
    void vscode.window.showErrorMessage(`Podsmith: ${(err as Error).message}`);
    return undefined;
  }
  if (!name) {
    const suggested = parseSshUrl(url).host.toLowerCase().replace(/[^a-z0-9._-]/g, '-');
    name = await vscode.window.showInputBox({
      title: 'Podsmith: Add Remote Host',
      prompt: 'A name for the host (the tree and --host use it)',
      value: suggested,
      ignoreFocusOut: true,
      validateInput: (v) => checkHostName(v) ?? (hosts.some((h) => h.name === v) ? `"${v}" exists already` : undefined),
    });
    if (!name) return undefined;
  }
  const bad = checkHostName(name) ?? (hosts.some((h) => h.name === name) ? `host "${name}" exists already` : undefined);
  if (bad) {
    void vscode.window.showErrorMessage(`Podsmith: ${bad}`);
    return undefined;
  }
  // Checked before it is written: the host key (asked about when unknown) and the login.
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Podsmith: connecting to ${url}` }, async () => {
      const ssh = await openSsh(destinationOf(url!), {
        env,
        config: new SshConfig({ env }),
        prompts: ctx.prompts,
        acceptNewHostKey: given.accept === true,
        log: (l) => ctx.log(l),
      });
      ctx.log(`${name}: logged in to ${ssh.label}${ssh.jumps.length ? ` through ${ssh.jumps.join(', ')}` : ''}`);
      ssh.close();
    });
  } catch (err) {
    ctx.log(`cannot add ${name}: ${(err as Error).message}`);
    void vscode.window.showErrorMessage(`Podsmith: cannot add ${name}: ${(err as Error).message}`);
    return undefined;
  }
  const entry: HostEntry = { name, url, ...(given.node ? { node: given.node } : {}) };
  writeHosts([...readHosts(file), entry], file);
  ctx.engine.reloadHosts();
  ctx.log(`added remote host ${name} (${url})`);
  // Its engine is set up now (installed there on first contact), so the tree shows it connecting.
  void ctx.engine.client(name).catch(() => {});
  return { name, url };
}

async function removeHost(ctx: Ctx, arg: unknown): Promise<boolean> {
  let host = hostArg(arg);
  if (host === LOCAL_HOST) {
    const names = ctx.engine.remoteHosts().map((r) => r.host);
    if (!names.length) {
      void vscode.window.showInformationMessage('Podsmith: there are no remote hosts.');
      return false;
    }
    const pick = await vscode.window.showQuickPick(names, { placeHolder: 'Remote host to remove' });
    if (!pick) return false;
    host = pick;
  }
  const confirm = typeof arg === 'object' && arg !== null && (arg as { confirm?: unknown }).confirm === false ? false : true;
  if (confirm) {
    const choice = await vscode.window.showWarningMessage(`Remove the remote host ${host}?`, { modal: true, detail: 'Its pods keep running there; only this list forgets it.' }, 'Remove');
    if (choice !== 'Remove') return false;
  }
  const file = ctx.engine.hostsFile();
  try {
    const hosts = readHosts(file);
    if (!hosts.some((h) => h.name === host)) throw new Error(`no host named "${host}" in ${file}`);
    writeHosts(
      hosts.filter((h) => h.name !== host),
      file,
    );
  } catch (err) {
    void vscode.window.showErrorMessage(`Podsmith: ${(err as Error).message}`);
    return false;
  }
  ctx.engine.reloadHosts();
  ctx.log(`removed remote host ${host} (its pods keep running there)`);
  return true;
}

async function pickHost(ctx: Ctx, placeHolder: string): Promise<string | undefined> {
  const items = ctx.engine.hosts().map((c) => ({ label: c.host, description: c.kind === 'local' ? 'this machine' : c.state }));
  if (items.length === 1) return LOCAL_HOST;
  return (await vscode.window.showQuickPick(items, { placeHolder }))?.label;
}

async function runOnHost(ctx: Ctx, arg: unknown): Promise<RunResult[]> {
  const a = (typeof arg === 'object' && arg !== null && !(arg instanceof vscode.Uri) ? arg : {}) as { uri?: vscode.Uri | string; host?: string; index?: number; replace?: boolean };
  const uri = arg instanceof vscode.Uri ? arg : a.uri ? (typeof a.uri === 'string' ? vscode.Uri.parse(a.uri) : a.uri) : vscode.window.activeTextEditor?.document.uri;
  if (!uri) {
    void vscode.window.showInformationMessage('Open a pod manifest (a Pod or a workload in YAML or JSON) to run it.');
    return [];
  }
  const host = a.host ?? (await pickHost(ctx, 'Run on which host?'));
  if (!host) return [];
  return runFile(ctx, uri, { index: a.index, replace: a.replace, host });
}

export function registerHostCommands(ctx: Ctx): void {
  ctx.extension.subscriptions.push(
    vscode.commands.registerCommand(HOST_COMMANDS.add, (arg?: unknown) => addHost(ctx, arg)),
    vscode.commands.registerCommand(HOST_COMMANDS.remove, (arg?: unknown) => removeHost(ctx, arg)),
    vscode.commands.registerCommand(HOST_COMMANDS.reconnect, async (arg?: unknown) => {
      const conn = ctx.engine.remote(hostArg(arg));
      if (!conn) return false;
      try {
        await conn.reconnect();
        return true;
      } catch (err) {
        void vscode.window.showErrorMessage(`Podsmith: ${conn.host}: ${(err as Error).message}`);
        return false;
      }
    }),
    vscode.commands.registerCommand(HOST_COMMANDS.runOnHost, (arg?: unknown) => runOnHost(ctx, arg)),
  );
}
