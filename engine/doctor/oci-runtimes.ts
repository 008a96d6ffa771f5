// The OCI runtimes: each one's presence, version and self-test, and which one pods would use here (crun where
// it works, else runc, else youki, as the pod runtime chooses).
import { findExecutable } from '../network/run-tool';
import { tryRuntime, trialProgram, type TrialProgram } from './runtime-trial';
import { toolVersion } from './tool-checks';
import { result, timed, type CheckResult } from './types';

interface RuntimeSpec {
  name: string;
  /** How to install it when missing. */
  install: string;
}

/** In order of preference. */
export const RUNTIMES: RuntimeSpec[] = [
  { name: 'crun', install: 'apt-get install -y crun' },
  { name: 'runc', install: 'apt-get install -y runc' },
  { name: 'youki', install: 'youki is not packaged in Debian 12: install a release from https://github.com/youki-dev/youki/releases' },
];

/** What to do when a present runtime cannot run containers, for the failures we recognise. */
function fixFor(error: string): string | undefined {
  if (/hybrid mode/i.test(error)) {
    return 'this runtime needs pure cgroup v2: boot with systemd.unified_cgroup_hierarchy=1 (or cgroup_no_v1=all); another runtime can be used meanwhile';
  }
  if (/rlimit/i.test(error)) return 'raise the hard limits (ulimit -H) of the user running podsmith';
  return undefined;
}

export function runtimeCheck(spec: RuntimeSpec, program: TrialProgram | undefined): Promise<CheckResult> {
  return timed(spec.name, 'containers', false, async () => {
    const path = findExecutable(spec.name);
    if (!path) return { ok: false, detail: `${spec.name} not installed`, fix: spec.install };
    const version = await toolVersion(path, ['--version']);
    const v = version ? `${spec.name} ${version}` : spec.name;
    if (!program) {
      return {
        ok: false,
        path,
        ...(version ? { version } : {}),
        detail: `${v} is installed but was not tried: no static binary to build a test container from`,
        fix: 'apt-get install -y busybox-static',
      };
    }
    const trial = await tryRuntime(path, program);
    if (trial.ok) {
      return { ok: true, path, ...(version ? { version } : {}), detail: `${v} ran a test container in ${Math.round(trial.ms)} ms`, facts: { trialMs: Math.round(trial.ms) } };
    }
    const fix = fixFor(trial.error ?? '');
    return {
      ok: false,
      path,
      ...(version ? { version } : {}),
      detail: `${v} cannot run containers here: ${trial.error}`,
      ...(fix ? { fix } : {}),
      facts: { error: trial.error },
    };
  });
}

/** One result per runtime, plus the verdict: which runtime pods use, or that none works. */
export async function ociRuntimeChecks(): Promise<{ checks: CheckResult[]; chosen?: string }> {
  const program = trialProgram();
  const t = performance.now();
  const checks = await Promise.all(RUNTIMES.map((r) => runtimeCheck(r, program)));
  const working = checks.filter((c) => c.ok);
  const chosen = working[0]?.name;
  const others = checks.filter((c) => c.name !== chosen && c.path).map((c) => `${c.name} ${c.ok ? 'works too' : 'fails here'}`);
  const verdict = chosen
    ? result({
        name: 'oci-runtime',
        group: 'containers',
        required: true,
        ok: true,
        detail: `pods will use ${chosen}${others.length ? ` (${others.join(', ')})` : ''}`,
        facts: { chosen, working: working.map((c) => c.name) },
        ms: performance.now() - t,
      })
    : result({
        name: 'oci-runtime',
        group: 'containers',
        required: true,
        ok: false,
        detail: checks.some((c) => c.path) ? 'no installed OCI runtime can run a container here (see below)' : 'no OCI runtime installed',
        fix: checks.some((c) => c.path) ? checks.find((c) => c.fix)?.fix : 'apt-get install -y runc crun',
        facts: { working: [] },
        ms: performance.now() - t,
      });
  return { checks: [verdict, ...checks], ...(chosen ? { chosen } : {}) };
}
