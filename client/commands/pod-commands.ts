// The pod commands with stable ids (keybindings, tasks and other extensions call them): each takes a tree
// item or a plain { host?, pod, container? }, and asks with a picker when called from the palette without one.
// Results are returned, so callers (and tests) learn what happened without reading notifications.
import * as vscode from 'vscode';
import { podStatusText } from '../../engine/cli/format/pod-table';
import { podOf } from '../../engine/manifest/pod-of';
import { PodError, type PodStatus } from '../../engine/pods/types';
import { LOCAL_HOST, type PodRef } from '../engine/access';
import { confirmDelete } from '../config';
import type { Ctx } from '../ctx';
import { describeUri } from '../describe/describe-provider';
import { planManifest } from '../run/plan';
import { runFile, showEngineError, type RunResult } from '../run/run-command';
import { PortForwards, type Forward } from './port-forwards';

export const COMMANDS = {
  stop: 'podsmith.pod.stop',
  delete: 'podsmith.pod.delete',
  restart: 'podsmith.pod.restart',
  describe: 'podsmith.pod.describe',
  portForward: 'podsmith.pod.portForward',
  stopPortForward: 'podsmith.pod.stopPortForward',
  copyIp: 'podsmith.pod.copyIp',
  engineStart: 'podsmith.engine.start',
  engineStop: 'podsmith.engine.stop',
} as const;

/** The pod a command is about: from its argument, else picked from the pods of this machine and connected hosts (palette). */
async function podRefOf(ctx: Ctx, arg: unknown, placeHolder: string): Promise<PodRef | undefined> {
  const ref = ctx.engine.refOf(arg);
  if (ref) {
    try {
      ctx.engine.connection(ref.host);
    } catch (err) {
      void vscode.window.showErrorMessage(`Podsmith: ${(err as Error).message}`);
      return undefined;
    }
    return ref;
  }
  if (arg !== undefined) {
    void vscode.window.showErrorMessage(`Podsmith: expected a pod ({ host?, pod, container? }), got ${JSON.stringify(arg)?.slice(0, 100)}`);
    return undefined;
  }
  const found: { host: string; pod: PodStatus }[] = [];
  try {
    for (const p of await (await ctx.engine.client(LOCAL_HOST)).listPods()) found.push({ host: LOCAL_HOST, pod: p });
  } catch (err) {
    if (!ctx.engine.remoteHosts().some((r) => r.connected())) {
      showEngineError(ctx, err);
      return undefined;
    }
  }
  // Remote hosts already connected (the palette never logs in anywhere by itself).
  for (const r of ctx.engine.remoteHosts()) {
    const c = r.connected();
    if (!c) continue;
    for (const p of await c.listPods().catch(() => [])) found.push({ host: r.host, pod: p });
  }
  if (found.length === 0) {
    void vscode.window.showInformationMessage('Podsmith: no pods.');
    return undefined;
  }
  const several = new Set(found.map((f) => f.host)).size > 1;
  const pick = await vscode.window.showQuickPick(
    found.map((f) => ({ label: f.pod.name, description: `${podStatusText(f.pod)} · ${f.pod.namespace}${several ? ` · ${f.host}` : ''}`, f })),
    { placeHolder },
  );
  return pick ? { host: pick.f.host, pod: pick.f.pod.name } : undefined;
}

/** The host a host command is about: a tree host item or `{ host }`; default this machine. */
export function hostArg(arg: unknown): string {
  const h = typeof arg === 'object' && arg !== null ? (arg as { host?: unknown }).host : undefined;
  return typeof h === 'string' && h ? h : LOCAL_HOST;
}

/** Extra options a caller may put next to the reference: `{ pod, force: true }`. */
function option<T>(arg: unknown, key: string, type: 'boolean' | 'number'): T | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const v = (arg as Record<string, unknown>)[key];
  return typeof v === type ? (v as T) : undefined;
}

/** Runs a pod operation, turning engine failures into messages; undefined when it failed. */
async function guarded<T>(ctx: Ctx, what: string, op: () => PromiseLike<T>): Promise<T | undefined> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof PodError) {
      ctx.log(`${what}: ${err.message}`);
      void vscode.window.showErrorMessage(`Podsmith: ${what} failed: ${err.message}`);
    } else showEngineError(ctx, err);
    return undefined;
  }
}

async function stop(ctx: Ctx, arg: unknown): Promise<PodStatus | undefined> {
  const ref = await podRefOf(ctx, arg, 'Pod to stop');
  if (!ref) return undefined;
  const grace = option<number>(arg, 'gracePeriodSeconds', 'number');
  return guarded(ctx, `stop ${ref.pod}`, () =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Podsmith: stopping ${ref.pod}` }, async () => {
      const status = await (await ctx.engine.client(ref.host)).stopPod({ pod: ref.pod, gracePeriodSeconds: grace });
      vscode.window.setStatusBarMessage(`pod/${status.name} stopped (${podStatusText(status)})`, 5000);
      return status;
    }),
  );
}

async function remove(ctx: Ctx, arg: unknown): Promise<boolean> {
  const ref = await podRefOf(ctx, arg, 'Pod to delete');
  if (!ref) return false;
  let force = option<boolean>(arg, 'force', 'boolean') ?? false;
  if (confirmDelete() && option<boolean>(arg, 'confirm', 'boolean') !== false) {
    const choice = await vscode.window.showWarningMessage(
      `Delete pod ${ref.pod}? Its containers, logs and volumes are removed.`,
      { modal: true, detail: 'Delete stops it gracefully first (preStop hooks, grace period); Force Delete kills it at once.' },
      'Delete',
      'Force Delete',
    );
    if (!choice) return false;
    force ||= choice === 'Force Delete';
  }
  const client = await guarded(ctx, 'connect', () => ctx.engine.client(ref.host));
  if (!client) return false;
  const del = (f: boolean) =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Podsmith: deleting ${ref.pod}` }, () => client.deletePod({ pod: ref.pod, force: f }));
  try {
    await del(force);
  } catch (err) {
    // Stuck (a stop or another operation holds the pod): offer what `podsmith rm -f` does.
    if (!(err instanceof PodError) || err.code !== 'BUSY' || force) return (await guarded(ctx, `delete ${ref.pod}`, () => Promise.reject(err))) ?? false;
    const choice = await vscode.window.showWarningMessage(`Pod ${ref.pod}: ${err.message}. Delete it anyway, without waiting?`, 'Force Delete');
    if (choice !== 'Force Delete') return false;
    if ((await guarded(ctx, `delete ${ref.pod}`, () => del(true).then(() => true))) !== true) return false;
  }
  vscode.window.setStatusBarMessage(`pod/${ref.pod} deleted`, 5000);
  return true;
}

/** Delete and run again from the manifest document it was run from. */
async function restart(ctx: Ctx, arg: unknown): Promise<RunResult[]> {
  const ref = await podRefOf(ctx, arg, 'Pod to restart');
  if (!ref) return [];
  const status = await guarded(ctx, `restart ${ref.pod}`, async () => (await ctx.engine.client(ref.host)).getPod(ref.pod));
  if (!status) return [];
  const source = ctx.sources.get(ref.host, status.namespace, status.name);
  if (!source) {
    void vscode.window.showErrorMessage(`Podsmith: pod ${status.name} was not run from this workspace, so its manifest is unknown. Run it again from its manifest (Run on the document, with Replace).`);
    return [];
  }
  return runFile(ctx, vscode.Uri.parse(source.uri), { index: source.index, name: source.name, recreate: true, host: ref.host });
}

async function describe(ctx: Ctx, arg: unknown): Promise<vscode.TextEditor | undefined> {
  const ref = await podRefOf(ctx, arg, 'Pod to describe');
  if (!ref) return undefined;
  if (!(await guarded(ctx, 'connect', () => ctx.engine.client(ref.host)))) return undefined;
  const doc = await vscode.workspace.openTextDocument(describeUri({ host: ref.host, pod: ref.pod }));
  return vscode.window.showTextDocument(doc, { preview: true });
}

async function copyIp(ctx: Ctx, arg: unknown): Promise<string | undefined> {
  const ref = await podRefOf(ctx, arg, 'Pod whose IP to copy');
  if (!ref) return undefined;
  const status = await guarded(ctx, `copy the IP of ${ref.pod}`, async () => (await ctx.engine.client(ref.host)).getPod(ref.pod));
  if (!status) return undefined;
  if (!status.podIP) {
    void vscode.window.showInformationMessage(`Pod ${status.name} has no IP address (it is not running, or on loopback only: podsmith.io/network: none).`);
    return undefined;
  }
  await vscode.env.clipboard.writeText(status.podIP);
  vscode.window.setStatusBarMessage(`Copied ${status.podIP} (pod ${status.name})`, 3000);
  return status.podIP;
}

/** The ports the pod's manifest declares (containerPort and name), when the pod was run from this workspace. */
async function declaredPorts(ctx: Ctx, host: string, status: PodStatus): Promise<{ port: number; label: string }[]> {
  const source = ctx.sources.get(host, status.namespace, status.name);
  if (!source) return [];
  try {
    const text = (await vscode.workspace.openTextDocument(vscode.Uri.parse(source.uri))).getText();
    const plan = planManifest(text);
    const doc = plan?.documents.find((d) => d.index === source.index && d.name === source.name) ?? plan?.documents.find((d) => d.name === source.name);
    const pod = doc && podOf(doc);
    if (!pod?.ok) return [];
    const spec = pod.pod.spec as { containers?: { name?: string; ports?: { containerPort?: unknown; name?: unknown; protocol?: unknown }[] }[] } | undefined;
    const out: { port: number; label: string }[] = [];
    for (const c of spec?.containers ?? []) {
      for (const p of c.ports ?? []) {
        if (typeof p.containerPort === 'number' && (p.protocol ?? 'TCP') === 'TCP') out.push({ port: p.containerPort, label: `${p.containerPort}${typeof p.name === 'string' ? ` (${p.name})` : ''} — ${c.name}` });
      }
    }
    return out;
  } catch {
    return [];
  }
}

async function askPort(ctx: Ctx, host: string, status: PodStatus): Promise<number | undefined> {
  const declared = await declaredPorts(ctx, host, status);
  let port: number | undefined;
  if (declared.length) {
    const other = { label: 'Other port…', port: 0 };
    const pick = await vscode.window.showQuickPick([...declared, other], { placeHolder: `Port of pod ${status.name} to forward` });
    if (!pick) return undefined;
    if (pick !== other) port = pick.port;
  }
  if (port === undefined) {
    const text = await vscode.window.showInputBox({
      prompt: `Port of pod ${status.name} to forward (on the pod's loopback)`,
      validateInput: (v) => (/^\d{1,5}$/.test(v.trim()) && +v > 0 && +v < 65536 ? undefined : 'a port number, 1-65535'),
    });
    if (!text) return undefined;
    port = Number(text.trim());
  }
  return port;
}

async function portForward(ctx: Ctx, forwards: PortForwards, arg: unknown): Promise<{ local: number; remote: number; url: string } | undefined> {
  const ref = await podRefOf(ctx, arg, 'Pod to forward a port to');
  if (!ref) return undefined;
  const status = await guarded(ctx, `port forward to ${ref.pod}`, async () => (await ctx.engine.client(ref.host)).getPod(ref.pod));
  if (!status) return undefined;
  const remote = option<number>(arg, 'port', 'number') ?? (await askPort(ctx, ref.host, status));
  if (!remote) return undefined;
  const local = option<number>(arg, 'localPort', 'number');
  const forward = await guarded(ctx, `port forward to ${ref.pod}`, () => forwards.start(ref, status.name, remote, local));
  if (!forward) return undefined;
  const external = await vscode.env.asExternalUri(vscode.Uri.parse(`http://127.0.0.1:${forward.local}/`));
  if (option<boolean>(arg, 'open', 'boolean') !== false) void vscode.env.openExternal(external);
  void vscode.window.showInformationMessage(`Podsmith: forwarding 127.0.0.1:${forward.local} → ${status.name}:${remote}`, 'Open in Browser', 'Stop').then((choice) => {
    if (choice === 'Open in Browser') void vscode.env.openExternal(external);
    else if (choice === 'Stop') void forward.close();
  });
  return { local: forward.local, remote, url: external.toString() };
}

async function stopPortForward(forwards: PortForwards, arg: unknown): Promise<number> {
  const local = option<number>(arg, 'localPort', 'number');
  const active = forwards.list();
  let list: Forward[];
  if (local !== undefined) list = active.filter((f) => f.local === local);
  else if (active.length <= 1) list = active;
  else {
    const pick = await vscode.window.showQuickPick(active.map((f) => ({ label: `127.0.0.1:${f.local} → ${f.pod}:${f.remote}`, f })), { placeHolder: 'Port forward to stop' });
    list = pick ? [pick.f] : [];
  }
  await Promise.all(list.map((f) => f.close()));
  return list.length;
}

export function registerPodCommands(ctx: Ctx): PortForwards {
  const forwards = new PortForwards(ctx);
  ctx.extension.subscriptions.push(
    forwards,
    vscode.commands.registerCommand(COMMANDS.stop, (arg?: unknown) => stop(ctx, arg)),
    vscode.commands.registerCommand(COMMANDS.delete, (arg?: unknown) => remove(ctx, arg)),
    vscode.commands.registerCommand(COMMANDS.restart, (arg?: unknown) => restart(ctx, arg)),
    vscode.commands.registerCommand(COMMANDS.describe, (arg?: unknown) => describe(ctx, arg)),
    vscode.commands.registerCommand(COMMANDS.copyIp, (arg?: unknown) => copyIp(ctx, arg)),
    vscode.commands.registerCommand(COMMANDS.portForward, (arg?: unknown) => portForward(ctx, forwards, arg)),
    vscode.commands.registerCommand(COMMANDS.stopPortForward, (arg?: unknown) => stopPortForward(forwards, arg)),
    vscode.commands.registerCommand(COMMANDS.engineStart, async (arg?: unknown) => {
      try {
        const c = await ctx.engine.client(hostArg(arg));
        return { pid: c.info?.pid, home: c.info?.home };
      } catch (err) {
        showEngineError(ctx, err);
        return undefined;
      }
    }),
    vscode.commands.registerCommand(COMMANDS.engineStop, async (arg?: unknown) => {
      const host = hostArg(arg);
      let c;
      try {
        c = ctx.engine.connection(host).connected();
      } catch (err) {
        void vscode.window.showErrorMessage(`Podsmith: ${(err as Error).message}`);
        return false;
      }
      if (!c) return false;
      await c.shutdown();
      ctx.log(`asked the podsmith daemon${host === LOCAL_HOST ? '' : ` on ${host}`} to stop (pods keep running)`);
      return true;
    }),
  );
  return forwards;
}
