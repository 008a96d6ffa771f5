// Seccomp profiles in the Docker format (what Docker, podman, CRI-O and containerd's Localhost profiles use):
// the OCI `linux.seccomp` object plus `archMap` (sub-architectures per native one) and per-rule `includes` /
// `excludes` conditions on capabilities, architecture and kernel version. A plain OCI `linux.seccomp` object
// is a valid profile too. `parseSeccompProfile` checks a profile read from a file strictly (an unknown field is
// an error, so a typo does not silently loosen the filter); `resolveSeccompProfile` turns one into the
// `linux.seccomp` of a container with given capabilities on this host.

import { endianness } from 'node:os';
import {
  SECCOMP_ACTIONS,
  SECCOMP_ARCH,
  SECCOMP_FLAGS,
  SECCOMP_OPERATORS,
  SYSCALL_NAME,
  type OciSeccomp,
  type OciSeccompArg,
  type SeccompAction,
} from './oci-spec';

export interface SeccompCondition {
  /** Every one of these capabilities (includes) / any of them (excludes). */
  caps?: string[];
  /** Go architecture names (`amd64`, `arm64`, `s390x`, ...), as Docker writes them. */
  arches?: string[];
  /** `major.minor`: the running kernel is at least this (includes) / below it (excludes). */
  minKernel?: string;
}

export interface SeccompRule {
  name?: string;
  names?: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: OciSeccompArg[];
  comment?: string;
  includes?: SeccompCondition;
  excludes?: SeccompCondition;
}

export interface SeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures?: string[] | null }[];
  flags?: string[];
  syscalls: SeccompRule[];
}

/** The host as the resolver sees it. */
export interface SeccompHost {
  /** Node's `process.arch`. */
  arch: string;
  /** `os.release()`, e.g. `6.1.0-18-amd64`. */
  kernel: string;
  /** The container's capabilities (its bounding set). */
  capabilities: readonly string[];
  /**
   * Whether the kernel runs x32-ABI system calls. When false, the x32 sub-architecture is left out of the
   * filter: its calls then meet the filter's foreign-architecture action instead of failing in the kernel, and
   * libseccomp compiles a third fewer rules in every container start. Unknown (undefined) keeps it.
   */
  x32?: boolean;
}

/** Node's architecture names → the native seccomp architecture and Go's name (what `arches` conditions use). */
function hostArch(nodeArch: string): { native?: string; go: string } {
  switch (nodeArch) {
    case 'x64':
      return { native: 'SCMP_ARCH_X86_64', go: 'amd64' };
    case 'ia32':
      return { native: 'SCMP_ARCH_X86', go: '386' };
    case 'arm64':
      return { native: 'SCMP_ARCH_AARCH64', go: 'arm64' };
    case 'arm':
      return { native: 'SCMP_ARCH_ARM', go: 'arm' };
    case 's390x':
      return { native: 'SCMP_ARCH_S390X', go: 's390x' };
    case 'ppc64':
      return endianness() === 'LE' ? { native: 'SCMP_ARCH_PPC64LE', go: 'ppc64le' } : { native: 'SCMP_ARCH_PPC64', go: 'ppc64' };
    case 'riscv64':
      return { native: 'SCMP_ARCH_RISCV64', go: 'riscv64' };
    default:
      // Unknown to this table: no architecture list means the native one only, which is still filtered.
      return { go: nodeArch };
  }
}

function kernelAtLeast(release: string, min: string): boolean {
  const [a = 0, b = 0] = release.split(/[.-]/, 2).map((x) => Number.parseInt(x, 10) || 0);
  const [c = 0, d = 0] = min.split('.', 2).map((x) => Number.parseInt(x, 10) || 0);
  return a !== c ? a > c : b >= d;
}

function applies(rule: SeccompRule, host: SeccompHost, goArch: string): boolean {
  const inc = rule.includes;
  if (inc?.caps && !inc.caps.every((c) => host.capabilities.includes(c))) return false;
  if (inc?.arches && !inc.arches.includes(goArch)) return false;
  if (inc?.minKernel && !kernelAtLeast(host.kernel, inc.minKernel)) return false;
  const exc = rule.excludes;
  if (exc?.caps && exc.caps.some((c) => host.capabilities.includes(c))) return false;
  if (exc?.arches && exc.arches.includes(goArch)) return false;
  if (exc?.minKernel && kernelAtLeast(host.kernel, exc.minKernel)) return false;
  return true;
}

/** The `linux.seccomp` of one container: rules whose conditions hold, the host's architectures. */
export function resolveSeccompProfile(profile: SeccompProfile, host: SeccompHost): OciSeccomp {
  const arch = hostArch(host.arch);
  let architectures = profile.architectures;
  if (profile.archMap) {
    const entry = profile.archMap.find((a) => a.architecture === arch.native);
    architectures = entry ? [entry.architecture, ...(entry.subArchitectures ?? [])] : [];
  }
  if (host.x32 === false && architectures) architectures = architectures.filter((a) => a !== 'SCMP_ARCH_X32');
  const syscalls = profile.syscalls
    .filter((rule) => applies(rule, host, arch.go))
    .map((rule) => ({
      names: rule.names ?? (rule.name !== undefined ? [rule.name] : []),
      action: rule.action,
      ...(rule.errnoRet !== undefined ? { errnoRet: rule.errnoRet } : {}),
      ...(rule.args && rule.args.length > 0 ? { args: rule.args.map((a) => ({ ...a })) } : {}),
    }));
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    ...(architectures && architectures.length > 0 ? { architectures: [...architectures] } : {}),
    ...(profile.flags && profile.flags.length > 0 ? { flags: [...profile.flags] } : {}),
    syscalls,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isUint = (v: unknown, max = Number.MAX_SAFE_INTEGER): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

const PROFILE_FIELDS = new Set(['defaultAction', 'defaultErrnoRet', 'architectures', 'archMap', 'flags', 'syscalls']);
const RULE_FIELDS = new Set(['name', 'names', 'action', 'errnoRet', 'args', 'comment', 'includes', 'excludes']);
const CONDITION_FIELDS = new Set(['caps', 'arches', 'minKernel']);
const ARG_FIELDS = new Set(['index', 'value', 'valueTwo', 'op']);
/** An errno return only means something with these actions (runc refuses it elsewhere). */
const ERRNO_ACTIONS = new Set(['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE']);
const MAX_RULES = 4096;

/**
 * Checks a parsed JSON value as a profile. Returns the problems as `field: what is wrong` (empty when it is a
 * profile). Seccomp agents (SCMP_ACT_NOTIFY, listenerPath) are refused: Podsmith runs none.
 */
export function checkSeccompProfile(p: unknown): string[] {
  const problems: string[] = [];
  const bad = (path: string, what: string) => problems.push(`${path}: ${what}`);
  if (!isObject(p)) return ['profile: must be a JSON object'];
  for (const key of Object.keys(p))
    if (key === 'listenerPath' || key === 'listenerMetadata') bad(key, 'seccomp agents are not supported');
    else if (!PROFILE_FIELDS.has(key)) bad(key, 'unknown field');
  const action = (path: string, v: unknown) => {
    if (v === 'SCMP_ACT_NOTIFY') bad(path, 'SCMP_ACT_NOTIFY needs a seccomp agent, which Podsmith does not run');
    else if (typeof v !== 'string' || !SECCOMP_ACTIONS.has(v)) bad(path, `must be one of ${[...SECCOMP_ACTIONS].join(', ')}`);
  };
  action('defaultAction', p.defaultAction);
  if (p.defaultErrnoRet !== undefined) {
    if (!isUint(p.defaultErrnoRet, 4095)) bad('defaultErrnoRet', 'must be an errno number (0-4095)');
    else if (!ERRNO_ACTIONS.has(String(p.defaultAction))) bad('defaultErrnoRet', 'needs defaultAction SCMP_ACT_ERRNO or SCMP_ACT_TRACE');
  }
  const archList = (path: string, v: unknown) => {
    if (!(isStringArray(v) && v.every((a) => SECCOMP_ARCH.test(a)))) bad(path, 'must be an array of SCMP_ARCH_ names');
  };
  if (p.architectures !== undefined) archList('architectures', p.architectures);
  if (p.archMap !== undefined) {
    if (p.architectures !== undefined) bad('archMap', 'cannot be used together with architectures');
    if (!Array.isArray(p.archMap)) bad('archMap', 'must be an array');
    else
      p.archMap.forEach((m, i) => {
        if (!isObject(m) || typeof m.architecture !== 'string' || !SECCOMP_ARCH.test(m.architecture))
          return bad(`archMap[${i}].architecture`, 'must be a SCMP_ARCH_ name');
        if (m.subArchitectures !== undefined && m.subArchitectures !== null) archList(`archMap[${i}].subArchitectures`, m.subArchitectures);
      });
  }
  if (p.flags !== undefined && !(isStringArray(p.flags) && p.flags.every((f) => SECCOMP_FLAGS.has(f))))
    bad('flags', `must be made of ${[...SECCOMP_FLAGS].join(', ')}`);
  if (p.syscalls === undefined) return problems;
  if (!Array.isArray(p.syscalls)) return [...problems, 'syscalls: must be an array'];
  if (p.syscalls.length > MAX_RULES) return [...problems, `syscalls: more than ${MAX_RULES} rules`];
  p.syscalls.forEach((r, i) => {
    const at = `syscalls[${i}]`;
    if (!isObject(r)) return bad(at, 'must be an object');
    for (const key of Object.keys(r)) if (!RULE_FIELDS.has(key)) bad(`${at}.${key}`, 'unknown field');
    if (r.name !== undefined && r.names !== undefined) bad(at, 'has both name and names');
    const names = r.names ?? (r.name !== undefined ? [r.name] : undefined);
    if (!isStringArray(names) || names.length === 0 || !names.every((n) => SYSCALL_NAME.test(n)))
      bad(`${at}.names`, 'must be a non-empty array of syscall names');
    action(`${at}.action`, r.action);
    if (r.errnoRet !== undefined) {
      if (!isUint(r.errnoRet, 4095)) bad(`${at}.errnoRet`, 'must be an errno number (0-4095)');
      else if (!ERRNO_ACTIONS.has(String(r.action))) bad(`${at}.errnoRet`, 'needs action SCMP_ACT_ERRNO or SCMP_ACT_TRACE');
    }
    if (r.comment !== undefined && typeof r.comment !== 'string') bad(`${at}.comment`, 'must be a string');
    if (r.args !== undefined && r.args !== null) {
      if (!Array.isArray(r.args) || r.args.length > 6) bad(`${at}.args`, 'must be an array of at most 6 conditions');
      else
        r.args.forEach((a, j) => {
          const aat = `${at}.args[${j}]`;
          if (!isObject(a)) return bad(aat, 'must be an object');
          for (const key of Object.keys(a)) if (!ARG_FIELDS.has(key)) bad(`${aat}.${key}`, 'unknown field');
          if (!isUint(a.index, 5)) bad(`${aat}.index`, 'must be 0 to 5');
          if (!isUint(a.value)) bad(`${aat}.value`, 'must be an unsigned integer');
          if (a.valueTwo !== undefined && !isUint(a.valueTwo)) bad(`${aat}.valueTwo`, 'must be an unsigned integer');
          if (typeof a.op !== 'string' || !SECCOMP_OPERATORS.has(a.op))
            bad(`${aat}.op`, `must be one of ${[...SECCOMP_OPERATORS].join(', ')}`);
        });
    }
    for (const which of ['includes', 'excludes'] as const) {
      const c = r[which];
      if (c === undefined) continue;
      if (!isObject(c)) {
        bad(`${at}.${which}`, 'must be an object');
        continue;
      }
      for (const key of Object.keys(c)) if (!CONDITION_FIELDS.has(key)) bad(`${at}.${which}.${key}`, 'unknown field');
      if (c.caps !== undefined && !(isStringArray(c.caps) && c.caps.every((x) => /^CAP_[A-Z_]+$/.test(x))))
        bad(`${at}.${which}.caps`, 'must be an array of CAP_ names');
      if (c.arches !== undefined && !isStringArray(c.arches)) bad(`${at}.${which}.arches`, 'must be an array of strings');
      if (c.minKernel !== undefined && (typeof c.minKernel !== 'string' || !/^\d+\.\d+$/.test(c.minKernel)))
        bad(`${at}.${which}.minKernel`, 'must be major.minor');
    }
  });
  return problems;
}

/** The profile in `p`, or the problems that keep it from being one. */
export function toSeccompProfile(p: unknown): { profile: SeccompProfile } | { problems: string[] } {
  const problems = checkSeccompProfile(p);
  if (problems.length > 0) return { problems };
  const o = p as Record<string, unknown>;
  // Rules with `args: null` (Docker writes that) are the same as no args.
  const syscalls = ((o.syscalls as SeccompRule[] | undefined) ?? []).map((r) => (r.args === null ? { ...r, args: undefined } : r));
  return { profile: { ...(o as unknown as SeccompProfile), syscalls } };
}
