// Runs every check (concurrently: the slow ones are the runtime and pasta self-tests) and gives the verdict:
// `pod-containers` can run here when every required check passes.
import { cgroupsCheck } from './cgroups';
import { rootlessChecks } from './rootless-checks';
import { homeCheck } from './home-check';
import { microvmGuestCheck } from './microvm-check';
import { pastaCheck } from './network-checks';
import { ociRuntimeChecks } from './oci-runtimes';
import { TOOLS, toolCheck } from './tool-checks';
import type { CheckGroup, CheckResult, DoctorReport } from './types';
import { kvmCheck, vsockCheck } from './virtualization';
import { wasmCheck, wasmSandboxCheck } from './wasm-check';

export interface DoctorOptions {
  env?: NodeJS.ProcessEnv;
  /** A plain user's doctor that could not enter the user namespace: why (rootless-checks.ts). */
  enterError?: string;
}

const GROUP_ORDER: CheckGroup[] = ['containers', 'rootless', 'network', 'state', 'wasm', 'microvm', 'dev'];

export async function runDoctor(opts: DoctorOptions = {}): Promise<DoctorReport> {
  const started = performance.now();
  const [runtimes, ...rest] = await Promise.all([
    ociRuntimeChecks(),
    cgroupsCheck(),
    pastaCheck(),
    kvmCheck(),
    vsockCheck(),
    microvmGuestCheck(),
    homeCheck(opts.env),
    wasmCheck(),
    wasmSandboxCheck(),
    rootlessChecks({ enterError: opts.enterError }),
    ...TOOLS.map(toolCheck),
  ]);
  const all: CheckResult[] = [...runtimes.checks, ...rest.flat()];
  // Stable order: by group, keeping each group's checks in the order they were listed.
  const checks = GROUP_ORDER.flatMap((g) => all.filter((c) => c.group === g));
  return {
    ok: checks.every((c) => c.ok || !c.required),
    ...(runtimes.chosen ? { ociRuntime: runtimes.chosen } : {}),
    checks,
    ms: Math.round(performance.now() - started),
  };
}
