// run_pod for pod-microvm-containers: admission, images and the guest image (kernel, initramfs, tools), the
// pod's shares (root filesystems, OCI configs, volumes), passt, then QEMU, detached: a clone of the template
// for the pod's shape (template.ts; thawed before anything else: entropy, clock), or a booted VM when
// templates are off or the clone fails. Once the agent answers, pod.start hands it the plan and resolves when
// the app containers run. Atomic: any failure (an image, a
// config, a VM that does not boot, an init container that fails) kills the VM and passt and removes the
// directory and the name, and rejects with a PodError naming the container. pod.json says `creating` until
// then, so a daemon killed midway leaves a pod that reconcile removes, VM and all.
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { instanceLogPath } from '../../logs';
import { claimName } from '../native/state';
import { failpoint } from '../native/failpoint';
import { lastOutput } from '../native/failure-evidence';
import { ensureImages } from '../native/images';
import { runFailedReason } from '../native/occurrences';
import { hostnameOf, podFacts } from '../native/pod-facts';
import { toPodError } from '../native/pod-errors';
import { PodError, type PodEvent, type PodStatus, type RunPodRequest } from '../types';
import { chooseAccel } from './accel';
import { admitVmPod } from './admit';
import { AgentError, AgentGoneError, type AgentClient } from './agent-client';
import { consoleTail, deathReason, type VmContext } from './context';
import { ensureGuestImage, KernelUnavailableError, ToolsUnavailableError } from './guest';
import { hostTscKhz, startClone, startPasst, startQemu, vmProcessName } from './launch';
import { microvmPodsDir, VmPodPaths } from './paths';
import { guestPlan, preparePod, passtPorts } from './plan';
import type { VmPodRecord } from './records';
import { vmSize } from './sizing';
import { toVmPodStatus } from './status';
import { killPodProcesses, teardownVmPod } from './teardown';
import { cloneSeed, discardTemplate, ensureTemplate, restoreClone, templatesDir, templateShares, templatesWanted } from './template';

/** How long a clone may take to load its state and answer (seconds under TCG on a loaded host) before it is given up for a boot. */
const CLONE_ANSWER_MS = 30_000;
import { NETWORK_ANNOTATION } from '../native/pod-network';
import { assertHostPortsFree } from '../../network/host-ports-free';

export async function runVmPod(ctx: VmContext, req: RunPodRequest, onEvent?: (e: PodEvent) => void): Promise<PodStatus> {
  const admitted = admitVmPod(req);
  const { pod, namespace } = admitted;
  const name = pod.metadata.name;
  const uid = randomUUID();
  const paths = new VmPodPaths(ctx.home, uid);
  await mkdir(microvmPodsDir(ctx.home), { recursive: true, mode: 0o700 });
  await mkdir(paths.dir, { mode: 0o700 });
  const holder = await claimName(ctx.home, namespace, name, uid).catch(async (err) => {
    await rm(paths.dir, { recursive: true, force: true });
    throw err;
  });
  if (holder) {
    await rm(paths.dir, { recursive: true, force: true });
    throw new PodError(`pod ${namespace}/${name} already exists (uid ${holder}): delete it first`, 'ALREADY_EXISTS');
  }
  failpoint('run_pod:claimed');

  const forward = onEvent
    ? (e: PodEvent) => {
        if ((e.type === 'pull' && e.pod === name) || (e.type !== 'pull' && e.uid === uid)) onEvent(e);
      }
    : undefined;
  if (forward) ctx.listeners.add(forward);
  let record: VmPodRecord | undefined;
  try {
    const network = pod.metadata.annotations?.[NETWORK_ANNOTATION] === 'none' ? 'none' : 'dhcp';
    const specs = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
    record = {
      version: 1,
      uid,
      name,
      namespace,
      createdAt: new Date().toISOString(),
      lifecycle: 'creating',
      hostname: hostnameOf(pod, uid),
      ...(req.fileName ? { fileName: req.fileName } : {}),
      pod,
      containers: [
        ...(pod.spec.initContainers ?? []).map((c) => ({ name: c.name, kind: c.restartPolicy === 'Always' ? ('sidecar' as const) : ('init' as const), image: c.image ?? '' })),
        ...pod.spec.containers.map((c) => ({ name: c.name, kind: 'app' as const, image: c.image ?? '' })),
      ],
      network,
      warnings: admitted.warnings.map((f) => `${req.fileName ?? 'manifest'}:${f.range.start.line + 1}: ${f.message} [${f.rule}]`),
    };
    const rec = record;
    await ctx.save(rec);
    failpoint('run_pod:recorded');

    const ports = passtPorts(pod);
    if (ports.mappings.length) await assertHostPortsFree(ports.mappings).catch((err: Error) => Promise.reject(new PodError(err.message, 'START_FAILED')));
    const [images, image] = await Promise.all([
      ensureImages(ctx.native, specs, { name }),
      ensureGuestImage({ ...(ctx.options.cache ? { cache: ctx.options.cache } : {}), fetchKernel: ctx.options.fetchKernel !== false }).catch((err: Error) => {
        const code = err instanceof KernelUnavailableError || err instanceof ToolsUnavailableError ? 'NOT_SUPPORTED' : 'START_FAILED';
        throw new PodError(`the microVM guest image is not available: ${err.message}`, code);
      }),
    ]);
    for (const c of rec.containers) c.imageID = images.get(c.image);
    const facts = podFacts(pod, uid);
    // passt gives the guest the host's own address (as pasta does for native pods).
    const withIp = network === 'dhcp' && facts.hostIP ? { ...facts, podIP: facts.hostIP, podIPs: facts.hostIPs ?? [facts.hostIP] } : facts;
    const prepared = await preparePod({ store: await ctx.native.store(), home: ctx.home, pod, admitted, paths, images, facts: withIp, kernelRelease: image.kernel.release, containers: rec.containers });
    rec.warnings.push(...prepared.warnings);
    failpoint('run_pod:prepared');

    const accel = await chooseAccel(image, ctx.options.cache);
    const size = vmSize(pod);
    await mkdir(paths.run, { mode: 0o700 });
    const vmBase = { image, accel: accel.accel, vcpus: size.vcpus, memoryMiB: size.memoryMiB, controlSocket: paths.controlSocket, consoleLog: paths.consoleLog, shares: templateShares(paths.share, paths.out), tscKhz: hostTscKhz(), name: vmProcessName(uid) };
    const withNetwork = async () => {
      if (network === 'dhcp') rec.passt = await startPasst(paths.passtSocket, paths.passtLog, prepared.ports);
      return rec.passt ? { passtSocket: paths.passtSocket } : {};
    };
    // A clone of the template for this shape when there is one (built now, once, when there is not); a cold
    // boot when templates are off or the template cannot be built or cloned.
    const template = templatesWanted(ctx.options.templates)
      ? await ensureTemplate({ image, shape: { accel: accel.accel, ...size, nic: network === 'dhcp' }, dir: ctx.options.templatesDir ?? templatesDir(ctx.options.cache), ...(ctx.options.bootTimeoutMs ? { bootTimeoutMs: ctx.options.bootTimeoutMs } : {}) }).catch((err: Error) => {
          rec.warnings.push(`the VM booted instead of being cloned from a template: ${err.message}`);
          return undefined;
        })
      : undefined;
    let agent: AgentClient | undefined;
    if (template) {
      const net = await withNetwork();
      rec.vm = { pid: 0, accel: accel.accel, ...size, kernel: image.kernel.release, template: template.key };
      const vm = await startClone({ ...vmBase, ...net, mode: 'template', ramFile: { path: template.ramFile, share: false }, incoming: true, qmpSocket: paths.qmpSocket }, template.stateFile, paths.qemuLog);
      rec.vm = { ...rec.vm, ...vm };
      await ctx.save(rec);
      failpoint('run_pod:vm-started');
      try {
        await restoreClone(paths.qmpSocket, () => ctx.vmAlive(rec));
        const a = await ctx.agent(rec, CLONE_ANSWER_MS);
        // Before anything runs in it: its own entropy, boot id and clock.
        const thawed = await a.request('guest.thaw', { epochMs: Date.now(), seed: cloneSeed() }, CLONE_ANSWER_MS);
        rec.vm.bootId = typeof thawed.bootId === 'string' ? thawed.bootId.slice(0, 64) : undefined;
        agent = a;
      } catch (err) {
        // The template is no good here (or the clone died): forget it, and boot this pod's VM instead.
        rec.warnings.push(`the VM booted instead of being cloned from a template: the clone failed (${(err as Error).message})`);
        await discardTemplate(template);
        ctx.disconnect(uid);
        await killPodProcesses(paths, rec);
        delete rec.passt;
        for (const f of [paths.controlSocket, paths.qmpSocket, paths.passtSocket]) await rm(f, { force: true });
      }
    }
    if (!agent) {
      const net = await withNetwork();
      rec.vm = { pid: 0, accel: accel.accel, ...size, kernel: image.kernel.release };
      const vm = await startQemu({ ...vmBase, ...net }, paths.qemuLog);
      rec.vm = { ...rec.vm, ...vm };
      await ctx.save(rec);
      if (!template) failpoint('run_pod:vm-started');
      agent = await ctx.agent(rec).catch(async (err: Error) => {
        const why = ctx.vmAlive(rec) ? err.message : (await deathReason(paths)).message;
        const tail = await consoleTail(paths);
        throw new PodError(`pod ${name}: the microVM did not come up: ${why}${tail ? ` (guest console: ${tail})` : ''}`, 'START_FAILED');
      });
    }
    rec.vm = { ...rec.vm!, ociRuntime: agent.welcome.ociRuntime === 'crun' ? 'crun' : 'runc' };
    failpoint('run_pod:agent-connected');
    const plan = guestPlan({
      uid,
      name,
      namespace,
      hostname: rec.hostname,
      pod,
      containers: prepared.containers,
      network,
      memoryVolumes: prepared.memoryVolumes,
    });
    try {
      // No time limit of its own: init containers may run long. A VM that dies ends it (the channel closes).
      await agent.request('pod.start', { plan }, 0);
    } catch (err) {
      if (err instanceof AgentError) {
        const f = err.failure;
        const container = f?.container ?? err.container;
        const code = f?.code ?? (err.code === 'INIT_FAILED' ? 'INIT_FAILED' : 'START_FAILED');
        throw new PodError(err.message, code, container ? { container, failure: { container, reason: f?.reason ?? 'StartError', ...(f?.exitCode !== undefined ? { exitCode: f.exitCode } : {}), lastLines: [] } } : undefined);
      }
      if (err instanceof AgentGoneError) {
        const tail = await consoleTail(paths);
        throw new PodError(`pod ${name}: the microVM went away while starting the pod: ${(await deathReason(paths)).message}${tail ? ` (guest console: ${tail})` : ''}`, 'START_FAILED');
      }
      throw err;
    }
    failpoint('run_pod:before-running');
    rec.lifecycle = 'running';
    await ctx.save(rec);
    ctx.watchPod(uid);
    return toVmPodStatus(rec, await ctx.state(rec));
  } catch (err) {
    const error = toPodError(err);
    const failure = error.details?.failure;
    if (failure && record) failure.lastLines = await lastOutput(instanceLogPath(paths.logDir(failure.container), 0));
    try {
      await teardownVmPod(ctx, uid, record);
    } catch (cleanup) {
      error.message += ` (cleanup after the failure also failed: ${(cleanup as Error).message})`;
    }
    if (!record) await rm(paths.dir, { recursive: true, force: true }).catch(() => undefined);
    ctx.emit({ type: 'pod', time: new Date().toISOString(), pod: name, uid, phase: 'Failed', reason: runFailedReason(error), code: error.code, message: error.message, ...(failure ? { failure } : {}) });
    throw error;
  } finally {
    if (forward) ctx.listeners.delete(forward);
  }
}
