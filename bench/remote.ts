// A remote host over SSH against this machine, on a real OpenSSH server (Debian's sshd on 127.0.1.60 only, its
// own host key and engine state, logging in as root with a key), rounds alternating:
//   bootstrap  first contact: SSH login, probe, SFTP upload, check, daemon start, doctor (cold: no engine
//              there, no daemon); a full bootstrap with the bundle there and its daemon running (warm); and a
//              later connection of the same client, which reuses that daemon without running anything there
//   run        a 2-container pod to Running through a held daemon client (as the editor holds one): over
//              the SSH connection to the host's daemon vs this machine's daemon
//   exec       `true` in the pod through a held client (remote vs local), against OpenSSH's `ssh box true`
//              over a held ControlMaster connection
//   CLI        `podsmith exec --host box pod -- true` (a new SSH connection per command) against plain
//              `ssh box true` (the same: a new connection), and against `podsmith exec` on this machine
// The host runs root's login shell for every session command (`ssh box true`, the probe, `daemon start`), with
// its startup files: their cost on this machine is measured and said.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { connectDaemon } from '../engine/client/connect';
import type { DaemonClient } from '../engine/client/daemon-client';
import { bootstrapEngine } from '../engine/remote/bootstrap';
import { RemoteHost } from '../engine/remote/remote-host';
import { openSsh } from '../engine/remote/ssh-connect';
import { alive, cli, REPO, TestClient, TestSshd, waitFor, whyNoSshd } from '../test/remote/support/sshd';
import { whyNoNativePods } from '../test/pods/fixtures';
import { LeakTracker } from '../test/support/leaks';
import { summarize, type Stats } from './stats';

const PLAN = { cold: 3, warm: 10, runs: 8, execs: 30, cliExecs: 10 };

function log(s: string): void {
  process.stderr.write(s + '\n');
}

const fmt = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? '-' : ms < 10 ? ms.toFixed(2) : ms.toFixed(0));

export function whyNoRemoteBench(): string | undefined {
  return whyNoSshd() ?? whyNoNativePods();
}

function podManifest(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, annotations: { 'podsmith.io/network': 'none' } },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: ['one', 'two'].map((c) => ({ name: c, image: 'podsmith.local/busybox:1', command: ['sleep', '1000'] })),
    },
  });
}

async function execTrue(c: DaemonClient, pod: string): Promise<number> {
  const t = performance.now();
  const s = await c.exec({ pod, command: ['true'], tty: false, stdin: false });
  s.stdout.resume();
  s.stderr?.resume();
  const end = await s.ended;
  if (end.kind !== 'exit' || end.code !== 0) throw new Error(`exec true in ${pod}: ${JSON.stringify(end)}`);
  return performance.now() - t;
}

/** Runs a program to completion; its wall time, failing on a non-zero exit. */
function timedRun(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - t) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`))));
  });
}

/** Stops the host's daemon (through its socket on this machine) and removes its engine bundles: a host never contacted. */
async function makeCold(host: TestSshd): Promise<void> {
  try {
    const c = await connectDaemon({ home: host.home, autoStart: false });
    const pid = c.info!.pid;
    await c.shutdown();
    c.close();
    await waitFor('the remote daemon to exit', () => !alive(pid), 15_000);
  } catch {
    // none running
  }
  rmSync(join(host.cache, 'podsmith'), { recursive: true, force: true });
}

export async function runRemoteBench(): Promise<object> {
  const client = new TestClient();
  let host: TestSshd | undefined;
  const localHome = mkdtempSync('/tmp/psb-');
  let local: DaemonClient | undefined;
  let remote: DaemonClient | undefined;
  let rh: RemoteHost | undefined;
  let master: ReturnType<typeof spawn> | undefined;
  const controlPath = join(client.home, 'cm.sock');
  try {
    host = await new TestSshd({ index: 60, authorizedKeys: [client.publicKey] }).start();
    client.trust(host);
    // One ssh config for both clients: Podsmith's and OpenSSH's (which takes ~ from the passwd entry, not $HOME:
    // every path is spelt out).
    const sshConfig = join(client.ssh, 'config');
    client.writeConfig(
      `Host box\n  HostName ${host.address}\n  Port ${host.port}\n  User root\n  IdentityFile ${client.key}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${client.knownHosts}\n  BatchMode yes\n`,
    );
    const ssh = (args: string[]) => ['-F', sshConfig, ...args];
    const env = client.env();
    const samples: Record<string, number[]> = {};
    const add = (k: string, v: number) => (samples[k] ??= []).push(v);
    const steps: Record<string, Record<string, number[]>> = { cold: {}, warm: {} };

    log(`remote bench: sshd on ${host.address}:${host.port}; bootstrap cold x${PLAN.cold}, warm x${PLAN.warm} ...`);
    for (let i = 0; i < PLAN.cold + PLAN.warm; i++) {
      const cold = i < PLAN.cold;
      if (cold) await makeCold(host);
      const t = performance.now();
      const conn = await openSsh({ alias: 'box' }, { config: client.sshConfig(), env });
      const login = performance.now() - t;
      try {
        const boot = await bootstrapEngine(conn);
        if (boot.uploaded !== cold) throw new Error(`bootstrap ${i}: uploaded ${boot.uploaded}, expected ${cold}`);
        add(cold ? 'bootstrapCold' : 'bootstrapWarm', performance.now() - t);
        const s = steps[cold ? 'cold' : 'warm'];
        (s.login ??= []).push(login);
        for (const [k, v] of Object.entries(boot.timings)) (s[k] ??= []).push(v);
      } finally {
        conn.close();
      }
    }

    log('remote bench: a daemon here and the client held to the host ...');
    local = await connectDaemon({ home: localHome, daemonCommand: { command: process.execPath, args: [join(REPO, 'dist', 'podsmith.js'), 'daemon'] }, clientName: 'bench' });
    // A RemoteHost connects as the CLI and the editor do: after the first connection, the daemon it left is
    // reused without running anything on the host (engine/remote/reuse-record.ts).
    const remoteHost = () => new RemoteHost({ name: 'box', dest: { alias: 'box' }, ssh: { config: client.sshConfig(), env }, bootstrap: { doctor: 'never' }, clientName: 'bench' });
    for (let i = 0; i < PLAN.warm + 1; i++) {
      const h = remoteHost();
      const t = performance.now();
      const c = await h.client();
      const ms = performance.now() - t;
      if (i > 0 && !h.boot!.reused) throw new Error('the connection did not reuse the daemon the last one left');
      if (i > 0) add('connectReuse', ms);
      c.close();
      h.close();
    }
    rh = remoteHost();
    remote = await rh.client();
    const where = { local, remote };

    log(`remote bench: run to Running x${PLAN.runs} each, exec round trip x${PLAN.execs} ...`);
    for (let i = 0; i < PLAN.runs + 1; i++) {
      const keep = i > 0; // round 0 warms up both daemons (the busybox image made there, code paths)
      const order = (i % 2 === 0 ? ['local', 'remote'] : ['remote', 'local']) as ('local' | 'remote')[];
      for (const side of order) {
        const c = where[side];
        const name = `bench-${side}-${i}`;
        const t = performance.now();
        const status = await c.runPod({ manifest: podManifest(name) });
        const up = performance.now() - t;
        if (status.phase !== 'Running') throw new Error(`${side}: ${name} is ${status.phase}`);
        if (keep) add(`run-${side}`, up);
        if (i === PLAN.runs) continue; // the last pods stay for the exec rounds
        const d = performance.now();
        await c.deletePod({ pod: name, force: true });
        if (keep) add(`delete-${side}`, performance.now() - d);
      }
    }
    for (let k = 0; k < PLAN.execs; k++) {
      for (const s of k % 2 ? (['local', 'remote'] as const) : (['remote', 'local'] as const)) add(`exec-${s}`, await execTrue(where[s], `bench-${s}-${PLAN.runs}`));
    }
    const lastLocal = `bench-local-${PLAN.runs}`;
    const lastRemote = `bench-remote-${PLAN.runs}`;

    log('remote bench: OpenSSH over a held (ControlMaster) connection ...');
    master = spawn('ssh', ssh(['-M', '-N', '-o', `ControlPath=${controlPath}`, 'box']), { env, stdio: 'ignore' });
    await waitFor('the ControlMaster', () => spawnSync('ssh', ssh(['-o', `ControlPath=${controlPath}`, '-O', 'check', 'box']), { env, stdio: 'ignore' }).status === 0);
    for (let k = 0; k < PLAN.execs; k++) add('ssh-held', await timedRun('ssh', ssh(['-o', `ControlPath=${controlPath}`, 'box', 'true']), env));

    log(`remote bench: the CLI and plain ssh, a new connection each, x${PLAN.cliExecs} ...`);
    const podsmith = join(REPO, 'dist', 'podsmith.js');
    for (let k = 0; k < PLAN.cliExecs + 1; k++) {
      const rows: [string, () => Promise<number>][] = [
        ['cli-remote', () => timedRun(process.execPath, [podsmith, 'exec', '--host', 'box', lastRemote, '--', 'true'], env)],
        ['ssh-new', () => timedRun('ssh', ssh(['box', 'true']), env)],
        ['cli-local', () => timedRun(process.execPath, [podsmith, 'exec', lastLocal, '--', 'true'], { ...env, PODSMITH_HOME: localHome })],
      ];
      for (const [k2, fn] of k % 2 ? rows.reverse() : rows) {
        const ms = await fn();
        if (k > 0) add(k2, ms);
      }
    }
    // The CLI finds the remote pod by name: `podsmith ps --host box` is what it lists.
    const ps = await cli(client, ['ps', '--host', 'box']);
    if (!ps.stdout.includes(lastRemote)) throw new Error(`podsmith ps --host box does not list ${lastRemote}: ${ps.stdout}${ps.stderr}`);

    // What root's login shell costs each session command on this host (its startup files; sshd sets
    // SSH_CLIENT, which makes bash read ~/.bashrc even for `bash -c`).
    const shell = (sshClient: boolean) => timedRun('/bin/bash', ['-c', 'true'], { HOME: '/root', PATH: process.env.PATH, ...(sshClient ? { SSH_CLIENT: '127.0.0.1 1 22' } : {}) });
    for (let k = 0; k < 5; k++) {
      add('shell-login', await shell(true));
      add('shell-bare', await shell(false));
    }

    const stats: Record<string, Stats> = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
    const stepStats = Object.fromEntries(Object.entries(steps).map(([k, s]) => [k, Object.fromEntries(Object.entries(s).map(([n, v]) => [n, summarize(v).p50]))]));
    const p = (k: string) => stats[k]?.p50;
    const ratio = (a: string, b: string) => ((p(a) ?? NaN) / (p(b) ?? NaN)).toFixed(2);
    const stepText = (k: 'cold' | 'warm') => Object.entries(stepStats[k]).map(([n, v]) => `${n} ${fmt(v)}`).join(', ');
    const lines = [
      `Remote host over SSH (Debian OpenSSH on ${host.address}, root, key login; medians):`,
      `  bootstrap cold (nothing there)              ${fmt(p('bootstrapCold'))} ms  (${stepText('cold')}; ${PLAN.cold} runs)`,
      `  bootstrap warm (bundle there, daemon up)    ${fmt(p('bootstrapWarm'))} ms  (${stepText('warm')}; ${PLAN.warm} runs)`,
      `  later connections (the daemon reused)       ${fmt(p('connectReuse'))} ms  (login, one channel to the daemon, hello)`,
      `  run to Running, 2 containers: remote        ${fmt(p('run-remote'))} ms  (${ratio('run-remote', 'run-local')}x local)`,
      `                                 local        ${fmt(p('run-local'))} ms`,
      `  delete (force): remote / local              ${fmt(p('delete-remote'))} / ${fmt(p('delete-local'))} ms`,
      `  exec true, held connection: remote          ${fmt(p('exec-remote'))} ms  (p95 ${fmt(stats['exec-remote']?.p95)}; ${ratio('exec-remote', 'exec-local')}x local)`,
      `                              local           ${fmt(p('exec-local'))} ms  (p95 ${fmt(stats['exec-local']?.p95)})`,
      `                              ssh box true    ${fmt(p('ssh-held'))} ms  (OpenSSH over a ControlMaster connection)`,
      `  new connection: podsmith exec --host box    ${fmt(p('cli-remote'))} ms  (${ratio('cli-remote', 'ssh-new')}x ssh)`,
      `                  ssh box true                ${fmt(p('ssh-new'))} ms`,
      `                  podsmith exec (local)       ${fmt(p('cli-local'))} ms`,
      `  root's login shell per session command here: bash -c true ${fmt(p('shell-login'))} ms with its startup files, ${fmt(p('shell-bare'))} ms without`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return { plan: PLAN, stats, steps: stepStats };
  } finally {
    if (master) {
      master.kill('SIGTERM');
      await new Promise((r) => (master!.exitCode !== null || master!.signalCode !== null ? r(undefined) : master!.once('exit', r)));
    }
    for (const c of [local, remote]) {
      if (!c) continue;
      for (const pod of await c.listPods().catch(() => [])) await c.deletePod({ pod: pod.uid, force: true }).catch(() => undefined);
    }
    remote?.close();
    rh?.close();
    if (local) {
      const pid = local.info!.pid;
      await local.shutdown().catch(() => undefined);
      local.close();
      await waitFor('the local daemon to exit', () => !alive(pid), 15_000).catch(() => undefined);
    }
    const leaks = await new LeakTracker(localHome).check();
    rmSync(localHome, { recursive: true, force: true });
    leaks.push(...((await host?.dispose()) ?? []));
    client.dispose();
    if (leaks.length) log(`remote bench: left behind: ${leaks.join('; ')}`);
  }
}
