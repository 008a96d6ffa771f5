// Making and starting container instances. A container's config is built once, at pod creation
// (`prepareContainer`: rootfs, user lookup in the image's /etc/passwd, env with resolved ConfigMaps and
// Secrets, mounts); every instance (`launchInstance`: first start and each restart) copies it into a bundle of
// its own with a new cgroup and the pause container's namespace paths, on a fresh rootfs, under its own conmon.
// subPaths are resolved and mounted again for every instance: a container may have rewritten its volumes.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBundleConfig, buildNamespaces, readLocalhostProfile, seccompSettingOf, writeBundle, type EnvSources, type MountInput, type OciNamespace, type PodFacts, type RuntimeSpec } from '../../image/bundle';
import { createRootfs, removeRootfs } from '../../image/unpack';
import { conmonLogArgs, instanceLogPath } from '../../logs';
import { containerCgroupPath, createUnderConmon, hostFacts } from '../../runtime';
import type { RuntimeContext } from './context';
import { occur } from './occurrences';
import { PodPaths, containerId } from './paths';
import type { PodContainer } from './pod-spec';
import { specOf } from './spec-of';
import { mountSubPaths } from './subpath-mounts';
import type { ContainerRecord, PodRecord } from './state';

/** Reads a file of the image rootfs without following a symlink out of it (an image cannot make us read host files). */
export async function rootfsFile(rootfs: string, rel: string): Promise<string | undefined> {
  let path = rootfs;
  for (const part of rel.split('/')) {
    path = join(path, part);
    const st = await lstat(path).catch(() => undefined);
    if (!st || st.isSymbolicLink()) return undefined;
  }
  return readFile(path, 'utf8').catch(() => undefined);
}

export interface PrepareInput {
  container: PodContainer;
  imageDigest: string;
  /** May still be coming: the pod's address (for fieldRefs) is known once its network is attached. */
  facts: PodFacts | Promise<PodFacts>;
  sources: EnvSources;
  mounts: MountInput[] | Promise<MountInput[]>;
  pidsLimit?: number;
}

/** Creates the rootfs and writes the config template; returns the stop signal and the builder's warnings. */
export async function prepareContainer(ctx: RuntimeContext, record: PodRecord, input: PrepareInput): Promise<{ stopSignal: string; warnings: string[] }> {
  const paths = new PodPaths(ctx.home, record.uid);
  const store = await ctx.store();
  const name = input.container.name;
  // The Localhost seccomp profile is read as soon as the pod's facts are known (the rootfs is made meanwhile);
  // a bad one fails the start, and run_pod's rollback removes what was made.
  const localhostReady = Promise.resolve(input.facts).then((pod) => {
    const seccomp = seccompSettingOf(input.container, pod);
    return seccomp.type === 'Localhost' ? readLocalhostProfile(ctx.home, seccomp.localhostProfile, name) : undefined;
  });
  localhostReady.catch(() => undefined);
  await mkdir(paths.container(name), { recursive: true, mode: 0o700 });
  const rootfs = await createRootfs(store, { image: input.imageDigest, dir: paths.rootfsDir(name) });
  const [passwd, group, pod, mounts, localhost] = await Promise.all([
    rootfsFile(rootfs.path, 'etc/passwd'),
    rootfsFile(rootfs.path, 'etc/group'),
    input.facts,
    input.mounts,
    localhostReady,
  ]);
  const facts = hostFacts();
  const result = buildBundleConfig({
    image: rootfs.image.config,
    container: input.container,
    pod,
    sources: input.sources,
    rootfs: { path: rootfs.path, ...(passwd !== undefined ? { passwd } : {}), ...(group !== undefined ? { group } : {}) },
    // Replaced per instance; the builder insists on one.
    cgroupsPath: containerCgroupPath(record.uid, `${name}-template`),
    mounts,
    rlimitCeilings: facts.rlimitCeilings,
    allCapabilities: facts.allCapabilities,
    pidsLimit: input.pidsLimit,
    ...(localhost || facts.x32 !== undefined ? { seccomp: { ...(localhost ? { localhost } : {}), ...(facts.x32 !== undefined ? { x32: facts.x32 } : {}) } } : {}),
  });
  await writeFile(paths.template(name), JSON.stringify(result.config) + '\n', { mode: 0o600 });
  return { stopSignal: result.stopSignal, warnings: result.warnings };
}

/** The pause container's namespaces for a container of this pod. */
export function joinedNamespaces(facts: PodFacts, pausePid: number): OciNamespace[] {
  const ns = (t: string) => `/proc/${pausePid}/ns/${t}`;
  return buildNamespaces(facts, { network: ns('net'), ipc: ns('ipc'), uts: ns('uts'), pid: ns('pid') }, false);
}

export interface LaunchOptions {
  /** Restarts get a fresh rootfs, as a new container would (its writes are gone). */
  freshRootfs: boolean;
  facts: PodFacts;
}

/** Starts instance `container.restartCount` of a prepared container; the record is updated, not saved. */
export async function launchInstance(ctx: RuntimeContext, record: PodRecord, container: ContainerRecord, o: LaunchOptions): Promise<void> {
  const paths = new PodPaths(ctx.home, record.uid);
  const runtime = ctx.oci(record);
  const name = container.name;
  if (!record.pause) throw new Error(`pod ${record.name} has no pause container`);
  if (o.freshRootfs) {
    const store = await ctx.store();
    await removeRootfs(store, paths.rootfsDir(name));
    await createRootfs(store, { image: container.imageID!, dir: paths.rootfsDir(name) });
  }
  const id = containerId(record.uid, name, container.restartCount);
  const config = JSON.parse(await readFile(paths.template(name), 'utf8')) as RuntimeSpec;
  config.linux = { ...config.linux, cgroupsPath: containerCgroupPath(record.uid, id), namespaces: joinedNamespaces(o.facts, record.pause.pid) };
  const bundle = paths.bundle(name, container.restartCount);
  await rm(bundle, { recursive: true, force: true });
  await writeBundle(bundle, config);
  const persist = join(bundle, 'p');
  const logDir = paths.logDir(name);
  await Promise.all([mkdir(persist, { recursive: true, mode: 0o700 }), mkdir(logDir, { recursive: true, mode: 0o700 })]);
  const spec = specOf(record, name);
  if (spec) await mountSubPaths(paths, record.pod.spec.volumes ?? [], spec);
  const socketId = randomBytes(6).toString('hex');
  container.state = { waiting: { reason: 'ContainerCreating' } };
  const created = await createUnderConmon({
    conmon: ctx.conmon(),
    runtime,
    timeoutMs: ctx.containerStartMs(),
    id,
    socketId,
    name: `${record.name}/${name}`,
    bundle,
    exitDir: paths.exits,
    persistDir: persist,
    socketDir: paths.sockets,
    pidFile: join(bundle, 'pid'),
    conmonPidFile: join(bundle, 'conmon.pid'),
    logArgs: conmonLogArgs(instanceLogPath(logDir, container.restartCount)),
    tty: config.process.terminal === true,
  });
  // Recorded before start: a failed start must still be cleaned up by its id.
  container.process = { id, socketId, pid: created.pid, ...(created.startTime ? { startTime: created.startTime } : {}), conmonPid: created.conmonPid, ...(created.conmonStartTime ? { conmonStartTime: created.conmonStartTime } : {}) };
  occur(ctx, record, name, 'Normal', 'Created', `Created container ${name}`);
  // startedAt is a file time, as finishedAt is (conmon's exit file): the pid file the runtime wrote when it
  // made the process. One clock for both, so a container that exits at once never seems to end before it
  // began (the daemon's clock once `start` returned was later than conmon's exit file).
  const startedAt = (await stat(join(bundle, 'pid')).catch(() => undefined))?.mtime ?? new Date();
  await runtime.start(id, ctx.containerStartMs());
  container.state = { running: { startedAt: startedAt.toISOString() } };
  delete container.backoff;
  // Without probes a running container is started and ready at once; with them the probes decide.
  container.started = !spec?.startupProbe;
  container.ready = container.kind !== 'init' && !spec?.startupProbe && !spec?.readinessProbe;
}
