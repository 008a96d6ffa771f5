// What every operation of one microVM runtime instance shares: the home, the image store and pulls (through a
// native RuntimeContext, so pull policies and events are the same), per-pod locks, listeners, the open
// channel to each running VM's agent, and the watch on running pods. A running pod is watched three ways: the
// agent's state nudges on the channel, file events on its out share (status.json), and a 1 s sweep that also
// checks QEMU is alive. A VM found gone, or a guest that stopped answering its pings, turns the pod Failed with
// a reason (from the guest's console when it says why: a kernel panic, the agent's exit). The out share's disk
// use is measured every few seconds, and a pod over its limits is evicted (out-share-usage.ts, evict.ts).
import { watch, type FSWatcher } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { isAlive, signalProcess, waitGone } from '../../runtime/processes';
import { RuntimeContext, type NativeRuntimeOptions } from '../native/context';
import { KeyedMutex } from '../native/keyed-mutex';
import { DEFAULT_VOLUME_USAGE_INTERVAL_MS } from '../native/volume-usage';
import type { PodEvent } from '../types';
import { AgentClient } from './agent-client';
import { evictVmPod, finishEviction } from './evict';
import { checkOutShare, outShareLimits, vmPodPaths, type OutShareLimits } from './out-share-usage';
import { VmPodPaths } from './paths';
import { readVmPod, writeVmPod, type VmPodRecord } from './records';
import { readGuestState } from './state';
import { checkGuestState } from './state';
import { asNativeRecord, markVmDead } from './status';
import type { GuestState } from './protocol/messages';

export interface MicrovmRuntimeOptions {
  home: string;
  pull?: NativeRuntimeOptions['pull'];
  /** Watch running pods, keep their channels open, notice dead VMs (default true). */
  supervise?: boolean;
  /** How long a booting guest may take to answer (default 120 s: TCG on a loaded host is slow). */
  bootTimeoutMs?: number;
  /** A connected guest that answers nothing for this long is unresponsive (default 30 s). */
  deadAfterMs?: number;
  /** Guest kernel and image cache (default guestCacheDir()). */
  cache?: string;
  /** Fetch the guest kernel when none is cached (default true). */
  fetchKernel?: boolean;
  /** Clone VMs from templates (template.ts; default true, unless PODSMITH_MICROVM_TEMPLATES=0). */
  templates?: boolean;
  /** Where templates are kept (default: `templates/` in the guest cache). */
  templatesDir?: string;
  /** How often running pods' out shares are measured against their limits (default 10 s, as native pods). */
  volumeUsageIntervalMs?: number;
}

interface PodWatch {
  watcher?: FSWatcher;
  pending?: NodeJS.Timeout;
  /** Measures the out share; `measuring` skips a tick while the last one runs. */
  usage?: NodeJS.Timeout;
  measuring?: boolean;
  limits?: OutShareLimits;
}

const SWEEP_MS = 1000;

/** The last lines of the guest's console, printable, for error messages (the pod directory may go right after). */
export async function consoleTail(paths: VmPodPaths, lines = 6): Promise<string> {
  const text = await readFile(paths.consoleLog, 'utf8').catch(() => '');
  return text
    .slice(-8192)
    .split('\n')
    .map((l) => l.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/[^\x20-\x7e]/g, '').trim())
    .filter(Boolean)
    .slice(-lines)
    .join(' | ');
}

/** Why a VM ended, from the last lines of its console. */
export async function deathReason(paths: VmPodPaths): Promise<{ reason: string; message: string }> {
  const text = await readFile(paths.consoleLog, 'utf8').catch(() => '');
  const tail = text.slice(-16384);
  const panic = /Kernel panic - not syncing:([^\n]*)/.exec(tail);
  if (panic) return { reason: 'GuestKernelPanic', message: `the guest kernel panicked:${panic[1].trim() ? ` ${panic[1].trim()}` : ''}`.replace(/[^\x20-\x7e]/g, '') };
  const agent = /podsmith-init: the agent exited with status (\d+)/.exec(tail);
  if (agent) return { reason: 'GuestAgentExited', message: `the guest agent exited with status ${agent[1]} and the VM powered off` };
  return { reason: 'VMExited', message: 'the VM (QEMU) exited' };
}

export class VmContext {
  readonly locks = new KeyedMutex();
  readonly listeners = new Set<(e: PodEvent) => void>();
  readonly native: RuntimeContext;
  private readonly agents = new Map<string, AgentClient>();
  private readonly connecting = new Map<string, Promise<AgentClient>>();
  private readonly watches = new Map<string, PodWatch>();
  private sweep: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(readonly options: MicrovmRuntimeOptions) {
    this.native = new RuntimeContext({ home: options.home, ...(options.pull ? { pull: options.pull } : {}), supervise: false });
    this.native.listeners.add((e) => this.emit(e));
  }

  get home(): string {
    return this.options.home;
  }

  get supervising(): boolean {
    return this.options.supervise !== false && !this.closed;
  }

  emit(e: PodEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A listener's failure is its own business.
      }
    }
  }

  announce(pod: VmPodRecord, state: GuestState | undefined): void {
    this.native.announce(asNativeRecord(pod, state));
  }

  forget(uid: string): void {
    this.native.forget(uid);
  }

  async save(pod: VmPodRecord, state?: GuestState): Promise<void> {
    await writeVmPod(this.home, pod);
    this.announce(pod, state ?? (await this.state(pod)));
  }

  /** The pod's state: the agent's status file, or the host's final record once the VM died. */
  async state(pod: VmPodRecord): Promise<GuestState | undefined> {
    const paths = new VmPodPaths(this.home, pod.uid);
    if (pod.vmDied) {
      const text = await readFile(paths.finalStateFile, 'utf8').catch(() => undefined);
      const s = text ? checkGuestState(text, pod) : undefined;
      if (s) return s;
      return markVmDead(pod, await readGuestState(paths.statusFile, pod), pod.vmDied.message);
    }
    return readGuestState(paths.statusFile, pod);
  }

  vmAlive(pod: VmPodRecord): boolean {
    return !!pod.vm && isAlive(pod.vm.pid, pod.vm.startTime);
  }

  /** The open channel to the pod's agent, connecting (or reconnecting) when there is none. */
  agent(pod: VmPodRecord, timeoutMs = this.options.bootTimeoutMs ?? 120_000): Promise<AgentClient> {
    const open = this.agents.get(pod.uid);
    if (open && !open.closed) return Promise.resolve(open);
    let p = this.connecting.get(pod.uid);
    if (!p) {
      const paths = new VmPodPaths(this.home, pod.uid);
      p = AgentClient.connect(paths.controlSocket, { timeoutMs, alive: () => this.vmAlive(pod), deadAfterMs: this.options.deadAfterMs ?? 30_000 }).then((client) => {
        this.agents.set(pod.uid, client);
        client.on('state', () => this.schedule(pod.uid));
        client.on('occurrence', (o: { reason: string; message: string; severity: 'Normal' | 'Warning'; container?: string }) =>
          this.emit({ type: 'occurrence', time: new Date().toISOString(), pod: pod.name, uid: pod.uid, ...o }),
        );
        client.on('unresponsive', (err: Error) => void this.guestUnresponsive(pod.uid, err.message));
        client.on('close', () => {
          if (this.agents.get(pod.uid) === client) this.agents.delete(pod.uid);
        });
        return client;
      });
      const pending = p;
      this.connecting.set(pod.uid, pending);
      void pending.finally(() => {
        if (this.connecting.get(pod.uid) === pending) this.connecting.delete(pod.uid);
      }).catch(() => undefined);
    }
    return p;
  }

  /** Closes the pod's channel (stop, delete, teardown). */
  disconnect(uid: string): void {
    const c = this.agents.get(uid);
    this.agents.delete(uid);
    c?.close();
  }

  /** The guest stopped answering: its VM is killed and the pod recorded as Failed. */
  private async guestUnresponsive(uid: string, why: string): Promise<void> {
    await this.locks.run(uid, async () => {
      const pod = await readVmPod(this.home, uid);
      if (!pod || pod.lifecycle !== 'running' || pod.vmDied || !pod.vm) return;
      if (isAlive(pod.vm.pid, pod.vm.startTime)) {
        signalProcess(pod.vm.pid, 'SIGKILL');
        await waitGone(pod.vm.pid, 10_000, pod.vm.startTime);
      }
      await this.recordDeath(pod, { reason: 'GuestUnresponsive', message: `the guest stopped answering (${why}); its VM was killed` });
    });
  }

  /** Records that the VM ended without being asked (lock held by the caller). */
  async recordDeath(pod: VmPodRecord, death: { reason: string; message: string }): Promise<void> {
    const paths = new VmPodPaths(this.home, pod.uid);
    const state = markVmDead(pod, await readGuestState(paths.statusFile, pod), death.message);
    const temp = `${paths.finalStateFile}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(state) + '\n', { mode: 0o600 });
    await rename(temp, paths.finalStateFile);
    pod.vmDied = { ...death, at: new Date().toISOString() };
    await writeVmPod(this.home, pod);
    this.disconnect(pod.uid);
    this.stopPasst(pod);
    this.announce(pod, state);
  }

  stopPasst(pod: VmPodRecord): void {
    if (pod.passt && isAlive(pod.passt.pid, pod.passt.startTime)) signalProcess(pod.passt.pid, 'SIGTERM');
  }

  /** Follows a running pod: its changes become events, a dead VM is recorded, the channel stays open. */
  watchPod(uid: string): void {
    if (!this.supervising || this.watches.has(uid)) return;
    const w: PodWatch = {};
    this.watches.set(uid, w);
    w.usage = setInterval(() => void this.measure(uid, w), this.options.volumeUsageIntervalMs ?? DEFAULT_VOLUME_USAGE_INTERVAL_MS);
    w.usage.unref();
    try {
      w.watcher = watch(new VmPodPaths(this.home, uid).out, (_type, name) => {
        if (name === 'status.json') this.schedule(uid);
      });
      w.watcher.on('error', () => undefined);
    } catch {
      // The sweep still notices changes.
    }
    this.sweep ??= setInterval(() => {
      for (const id of this.watches.keys()) this.schedule(id);
    }, SWEEP_MS);
    this.sweep.unref();
    this.schedule(uid);
  }

  unwatchPod(uid: string): void {
    const w = this.watches.get(uid);
    if (!w) return;
    this.watches.delete(uid);
    w.watcher?.close();
    if (w.pending) clearTimeout(w.pending);
    if (w.usage) clearInterval(w.usage);
    if (this.watches.size === 0 && this.sweep) {
      clearInterval(this.sweep);
      this.sweep = undefined;
    }
  }

  /** One measurement of the pod's out share; over its limits, the pod is evicted. */
  private async measure(uid: string, w: PodWatch): Promise<void> {
    if (w.measuring) return;
    w.measuring = true;
    try {
      if (!w.limits) {
        const pod = await readVmPod(this.home, uid);
        if (!pod) return;
        w.limits = outShareLimits(pod.pod, pod.containers.map((c) => c.name), vmPodPaths(this.home, pod));
      }
      const over = await checkOutShare(w.limits);
      if (over && this.watches.get(uid) === w) await evictVmPod(this, uid, over);
    } catch {
      // Measured again at the next tick.
    } finally {
      w.measuring = false;
    }
  }

  private schedule(uid: string): void {
    const w = this.watches.get(uid);
    if (!w || w.pending) return;
    w.pending = setTimeout(() => {
      w.pending = undefined;
      void this.locks.run(uid, () => this.refreshLocked(uid)).catch(() => undefined);
    }, 5);
  }

  /** Both sides of the pod, fresh, with a dead VM recorded first (lock held by the caller). */
  async refreshLocked(uid: string): Promise<{ pod: VmPodRecord; state: GuestState | undefined } | undefined> {
    const pod = await readVmPod(this.home, uid);
    if (!pod) {
      this.unwatchPod(uid);
      return undefined;
    }
    const paths = new VmPodPaths(this.home, uid);
    if (pod.lifecycle === 'running' && !pod.vmDied && pod.vm && !this.vmAlive(pod)) {
      // An eviction cut short (a daemon killed after the VM): finished, not taken for a crash.
      if (pod.evicting) await finishEviction(this, pod);
      else await this.recordDeath(pod, await deathReason(paths));
    }
    const state = await this.state(pod);
    if (this.watches.has(uid)) {
      this.announce(pod, state);
      if (pod.lifecycle !== 'running' || pod.vmDied) this.unwatchPod(uid);
      // Keep the channel open while the pod runs (pings, occurrences), reconnecting after a daemon restart.
      else if (this.vmAlive(pod) && !this.agents.has(uid) && !this.connecting.has(uid)) void this.agent(pod).catch(() => undefined);
    }
    return { pod, state };
  }

  refresh(uid: string): Promise<{ pod: VmPodRecord; state: GuestState | undefined } | undefined> {
    return this.locks.run(uid, () => this.refreshLocked(uid));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const uid of [...this.watches.keys()]) this.unwatchPod(uid);
    for (const uid of [...this.agents.keys()]) this.disconnect(uid);
  }
}
