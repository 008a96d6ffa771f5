// A real engine for a suite of extension-host tests: a fresh PODSMITH_HOME, the daemon from dist/ (as users get
// it), and the extension pointed at it through `podsmith.engine.home`. dispose() deletes every pod, stops the
// daemon and checks that nothing of the runtime is left (the leak checker of the pod tests).
import * as assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { connectDaemon } from '../../../engine/client/connect';
import type { DaemonClient } from '../../../engine/client/daemon-client';
import { daemonPaths } from '../../../engine/daemon/paths';
import type { PodStatus } from '../../../engine/pods/types';
import { whyNoNativePods } from '../../pods/fixtures';
import { LeakTracker } from '../../support/leaks';
import { EXTENSION_ID, setSetting } from './util';

export const BUSYBOX = 'podsmith.local/busybox:1';

export interface TestEngine {
  home: string;
  client: DaemonClient;
  /** Runs a pod from manifest text and resolves once it runs. */
  run(manifest: string): Promise<PodStatus>;
  /** Stops the daemon (pods keep running); `start` brings one back. */
  stopDaemon(): Promise<void>;
  startDaemon(): Promise<void>;
  dispose(): Promise<void>;
}

/** Why these tests cannot run here (native pods need root, runc, conmon...), or undefined. */
export function whyNoEngine(): string | undefined {
  return whyNoNativePods();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `promise`, or an error naming `what` after `timeoutMs`: a step that hangs says which it was. */
export function within<T>(what: string, promise: Promise<T>, timeoutMs = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startEngine(): Promise<TestEngine> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not loaded`);
  // Short: the socket path must stay under 108 bytes.
  const home = mkdtempSync('/tmp/psv-');
  // Named for run.mjs, which sweeps a home a run left (the extension host killed before the suite's teardown).
  if (process.env.PODSMITH_VSCODE_ENGINE_HOMES) appendFileSync(process.env.PODSMITH_VSCODE_ENGINE_HOMES, home + '\n');
  const paths = daemonPaths(home);
  const daemonCommand = { command: process.execPath, args: [join(ext.extensionPath, 'dist', 'podsmith.js'), 'daemon'] };
  const leaks = new LeakTracker(home);
  const connect = async (): Promise<DaemonClient> => {
    const c = await connectDaemon({ home, daemonCommand, clientName: 'vscode-tests' });
    await c.subscribe({}, (e) => e.type !== 'pull' && leaks.uids.add(e.uid));
    return c;
  };
  const daemonPid = (): number | undefined => {
    try {
      return Number(readFileSync(paths.pidFile, 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  };

  const engine: TestEngine = {
    home,
    client: await connect(),
    async run(manifest) {
      const status = await engine.client.runPod({ manifest, fileName: 'test.yaml' });
      leaks.uids.add(status.uid);
      return status;
    },
    async stopDaemon() {
      const pid = daemonPid();
      await engine.client.shutdown();
      engine.client.close();
      if (pid) await until(`daemon ${pid} to exit`, () => !alive(pid));
    },
    async startDaemon() {
      engine.client = await connect();
    },
    async dispose() {
      let client: DaemonClient | undefined = engine.client;
      try {
        await client.listPods();
      } catch {
        client = await connect().catch(() => undefined);
      }
      for (const p of (await client?.listPods().catch(() => [])) ?? []) await client!.deletePod({ pod: p.uid, force: true }).catch(() => {});
      const pid = daemonPid();
      await client?.shutdown().catch(() => {});
      client?.close();
      if (pid) await until(`daemon ${pid} to exit`, () => !alive(pid)).catch(() => process.kill(pid, 'SIGKILL'));
      await setSetting('engine.home', undefined);
      const left = await leaks.check();
      rmSync(home, { recursive: true, force: true });
      assert.deepEqual(left, [], 'the suite left parts of pods behind');
    },
  };
  await setSetting('engine.home', home);
  return engine;
}
