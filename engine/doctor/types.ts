// What `podsmith doctor` reports: one result per check, and a verdict on whether `pod-containers` can run.

/** ok: works. warn: missing or broken but optional. fail: needed for pod-containers and missing or broken. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export type CheckGroup = 'containers' | 'rootless' | 'network' | 'wasm' | 'microvm' | 'state' | 'dev';

export interface CheckResult {
  name: string;
  ok: boolean;
  /** What was found, or why it does not work. */
  detail: string;
  /** What to do about it, e.g. "apt-get install -y conmon". */
  fix?: string;
  /** Needed for `pod-containers`; a failing optional check is only a warning. */
  required: boolean;
  status: CheckStatus;
  group: CheckGroup;
  /** Absolute path of the tool checked, when it is a tool. */
  path?: string;
  version?: string;
  /** Structured findings (cgroup mode and controllers, KVM verdict, ...) for machines to read. */
  facts?: Record<string, unknown>;
  ms: number;
}

export interface DoctorReport {
  /** Every required check passed: `pod-containers` can run here. */
  ok: boolean;
  /** The OCI runtime pods would use here (crun where it works, else runc, else youki). */
  ociRuntime?: string;
  checks: CheckResult[];
  ms: number;
}

/** Builds a result, deriving `status` from `ok` and `required`. */
export function result(r: Omit<CheckResult, 'status' | 'ms'> & { ms?: number }): CheckResult {
  const status: CheckStatus = r.ok ? 'ok' : r.required ? 'fail' : 'warn';
  const out: CheckResult = { ...r, status, ms: Math.round((r.ms ?? 0) * 10) / 10 };
  if (out.fix === undefined) delete out.fix;
  return out;
}

/** Runs `fn`, timing it, and turns an unexpected exception into a failed result instead of a crashed doctor. */
export async function timed(
  name: string,
  group: CheckGroup,
  required: boolean,
  fn: () => Promise<Omit<CheckResult, 'status' | 'ms' | 'name' | 'group' | 'required'>>,
): Promise<CheckResult> {
  const t = performance.now();
  try {
    const r = await fn();
    return result({ name, group, required, ...r, ms: performance.now() - t });
  } catch (e) {
    return result({ name, group, required, ok: false, detail: `check failed: ${(e as Error).message}`, ms: performance.now() - t });
  }
}
