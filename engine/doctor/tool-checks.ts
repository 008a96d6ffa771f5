// Checks that a tool is installed and answers for its version: conmon, catatonit, nsenter, ip, qemu, skopeo,
// docker-registry, busybox. Whether a tool really works is checked elsewhere where it matters (runtimes, pasta).
import { findExecutable, runTool } from '../network/run-tool';
import { timed, type CheckGroup, type CheckResult } from './types';

/** The first dotted version number in a tool's --version output ("tini version 0.1.7_catatonit" -> 0.1.7). */
export function parseVersion(output: string): string | undefined {
  return /(\d+\.\d+(?:\.\d+)?)/.exec(output)?.[1];
}

export async function toolVersion(path: string, args: string[]): Promise<string | undefined> {
  const r = await runTool(path, args, { timeoutMs: 10_000 });
  return parseVersion(`${r.stdout}\n${r.stderr}`);
}

export interface ToolSpec {
  name: string;
  binary: string;
  /** Debian package providing it. */
  apt: string;
  group: CheckGroup;
  required: boolean;
  /** What Podsmith needs it for (said when it is missing). */
  purpose: string;
  versionArgs?: string[];
  /** Other binaries that do the job too (busybox's ip for iproute2's). */
  alternatives?: string[];
}

export function toolCheck(spec: ToolSpec): Promise<CheckResult> {
  return timed(spec.name, spec.group, spec.required, async () => {
    const path = findExecutable(spec.binary) ?? spec.alternatives?.map((b) => findExecutable(b)).find(Boolean);
    if (!path) {
      return { ok: false, detail: `${spec.binary} not found: ${spec.purpose}`, fix: `apt-get install -y ${spec.apt}` };
    }
    if (!path.endsWith(`/${spec.binary}`)) {
      return { ok: true, path, detail: `${path} stands in for ${spec.binary} (package ${spec.apt})` };
    }
    const version = await toolVersion(path, spec.versionArgs ?? ['--version']);
    return { ok: true, path, ...(version ? { version } : {}), detail: `${path}${version ? ` ${version}` : ''}` };
  });
}

export const TOOLS: ToolSpec[] = [
  { name: 'conmon', binary: 'conmon', apt: 'conmon', group: 'containers', required: true, purpose: 'it supervises every container (exit codes, logs, exec)' },
  { name: 'catatonit', binary: 'catatonit', apt: 'catatonit', group: 'containers', required: true, purpose: "it is each pod's pause process, holding the pod's namespaces" },
  { name: 'nsenter', binary: 'nsenter', apt: 'util-linux', group: 'network', required: true, purpose: "it configures pod network namespaces (loopback) and carries port-forward", versionArgs: ['--version'] },
  { name: 'ip', binary: 'ip', apt: 'iproute2', group: 'network', required: true, purpose: "it brings up each pod's loopback", versionArgs: ['-V'], alternatives: ['busybox'] },
  { name: 'busybox', binary: 'busybox', apt: 'busybox-static', group: 'containers', required: false, purpose: 'the built-in default image and the runtime self-test are built from it', versionArgs: ['--help'] },
  { name: 'qemu', binary: 'qemu-system-x86_64', apt: 'qemu-system-x86', group: 'microvm', required: false, purpose: 'the microVM runtime class runs pods in QEMU' },
  { name: 'mksquashfs', binary: 'mksquashfs', apt: 'squashfs-tools', group: 'microvm', required: false, purpose: "it packs the microVM guest's read-only tools image", versionArgs: ['-version'] },
  { name: 'skopeo', binary: 'skopeo', apt: 'skopeo', group: 'dev', required: false, purpose: 'development only: tests push images to a local registry with it' },
  { name: 'docker-registry', binary: 'docker-registry', apt: 'docker-registry', group: 'dev', required: false, purpose: 'development only: tests run a registry on loopback' },
];
