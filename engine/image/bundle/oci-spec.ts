// The OCI runtime-spec `config.json` (Linux parts the builder emits) and a shape check run on every built
// config, so a malformed bundle fails here with a readable list instead of deep inside runc.

export interface OciUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
  umask?: number;
}

export interface OciCapabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export interface OciRlimit {
  type: string;
  soft: number;
  hard: number;
}

export interface OciProcess {
  terminal?: boolean;
  user: OciUser;
  args: string[];
  env?: string[];
  cwd: string;
  capabilities?: OciCapabilities;
  rlimits?: OciRlimit[];
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
}

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';

export interface OciNamespace {
  type: NamespaceType;
  path?: string;
}

export interface OciDeviceRule {
  allow: boolean;
  type?: string;
  major?: number;
  minor?: number;
  access?: string;
}

export interface OciResources {
  devices?: OciDeviceRule[];
  memory?: { limit?: number; reservation?: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number };
  pids?: { limit: number };
}

export type SeccompAction =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG';

export type SeccompOperator =
  | 'SCMP_CMP_NE'
  | 'SCMP_CMP_LT'
  | 'SCMP_CMP_LE'
  | 'SCMP_CMP_EQ'
  | 'SCMP_CMP_GE'
  | 'SCMP_CMP_GT'
  | 'SCMP_CMP_MASKED_EQ';

export interface OciSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: SeccompOperator;
}

export interface OciSeccompSyscall {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: OciSeccompArg[];
}

/** `linux.seccomp`. SCMP_ACT_NOTIFY and listenerPath are left out: Podsmith runs no seccomp agent. */
export interface OciSeccomp {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  syscalls?: OciSeccompSyscall[];
}

export interface OciLinux {
  namespaces?: OciNamespace[];
  cgroupsPath?: string;
  resources?: OciResources;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  sysctl?: Record<string, string>;
  seccomp?: OciSeccomp;
}

export interface RuntimeSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly?: boolean };
  hostname?: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: OciLinux;
}

const NAMESPACE_TYPES = new Set<string>(['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup']);
export const SECCOMP_ACTIONS: ReadonlySet<string> = new Set<SeccompAction>([
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
]);
export const SECCOMP_OPERATORS: ReadonlySet<string> = new Set<SeccompOperator>([
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
]);
/** The filter flags runc 1.1 knows. */
export const SECCOMP_FLAGS: ReadonlySet<string> = new Set([
  'SECCOMP_FILTER_FLAG_TSYNC',
  'SECCOMP_FILTER_FLAG_LOG',
  'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
]);
export const SECCOMP_ARCH = /^SCMP_ARCH_[A-Z0-9_]+$/;
export const SYSCALL_NAME = /^[a-z_][a-z0-9_]*$/;
const UINT32_MAX = 0xffff_ffff;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isUint = (v: unknown, max = Number.MAX_SAFE_INTEGER): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isAbsolute = (v: unknown): v is string => typeof v === 'string' && v.startsWith('/') && !v.includes('\0');

/**
 * Checks a config against the runtime-spec schema's Linux requirements as runc enforces them. Returns the
 * problems as `path: what is wrong`; an empty list means the shape is right. Takes `unknown` so it can check
 * configs read back from disk.
 */
export function validateRuntimeSpec(spec: unknown): string[] {
  const problems: string[] = [];
  const bad = (path: string, what: string) => problems.push(`${path}: ${what}`);
  if (!isObject(spec)) return ['config: must be an object'];

  if (typeof spec.ociVersion !== 'string' || !/^1\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(spec.ociVersion))
    bad('ociVersion', 'must be a 1.x.y version string');

  if (!isObject(spec.root)) bad('root', 'required object');
  else {
    if (typeof spec.root.path !== 'string' || spec.root.path === '') bad('root.path', 'required non-empty string');
    if (spec.root.readonly !== undefined && typeof spec.root.readonly !== 'boolean')
      bad('root.readonly', 'must be a boolean');
  }

  checkProcess(spec.process, bad);

  if (spec.hostname !== undefined && typeof spec.hostname !== 'string') bad('hostname', 'must be a string');

  if (!Array.isArray(spec.mounts)) bad('mounts', 'must be an array');
  else
    spec.mounts.forEach((m, i) => {
      if (!isObject(m)) return bad(`mounts[${i}]`, 'must be an object');
      if (!isAbsolute(m.destination)) bad(`mounts[${i}].destination`, 'must be an absolute path');
      if (m.type !== undefined && typeof m.type !== 'string') bad(`mounts[${i}].type`, 'must be a string');
      if (m.source !== undefined && typeof m.source !== 'string') bad(`mounts[${i}].source`, 'must be a string');
      if (m.options !== undefined && !isStringArray(m.options))
        bad(`mounts[${i}].options`, 'must be an array of strings');
    });

  checkLinux(spec.linux, spec.hostname, bad);
  return problems;
}

function checkProcess(p: unknown, bad: (path: string, what: string) => void): void {
  if (!isObject(p)) return bad('process', 'required object');
  if (!isStringArray(p.args) || p.args.length === 0) bad('process.args', 'required non-empty array of strings');
  if (!isAbsolute(p.cwd)) bad('process.cwd', 'must be an absolute path');
  if (p.terminal !== undefined && typeof p.terminal !== 'boolean') bad('process.terminal', 'must be a boolean');
  if (p.noNewPrivileges !== undefined && typeof p.noNewPrivileges !== 'boolean')
    bad('process.noNewPrivileges', 'must be a boolean');
  if (p.env !== undefined) {
    if (!isStringArray(p.env)) bad('process.env', 'must be an array of strings');
    else p.env.forEach((e, i) => e.indexOf('=') <= 0 && bad(`process.env[${i}]`, 'must be NAME=value'));
  }
  if (!isObject(p.user)) bad('process.user', 'required object');
  else {
    if (!isUint(p.user.uid, UINT32_MAX)) bad('process.user.uid', 'must be a uint32');
    if (!isUint(p.user.gid, UINT32_MAX)) bad('process.user.gid', 'must be a uint32');
    const extra = p.user.additionalGids;
    if (extra !== undefined && !(Array.isArray(extra) && extra.every((g) => isUint(g, UINT32_MAX))))
      bad('process.user.additionalGids', 'must be an array of uint32');
  }
  if (p.capabilities !== undefined) {
    if (!isObject(p.capabilities)) bad('process.capabilities', 'must be an object');
    else
      for (const [set, list] of Object.entries(p.capabilities)) {
        if (!['bounding', 'effective', 'inheritable', 'permitted', 'ambient'].includes(set))
          bad(`process.capabilities.${set}`, 'unknown capability set');
        else if (!isStringArray(list) || list.some((c) => !/^CAP_[A-Z_]+$/.test(c)))
          bad(`process.capabilities.${set}`, 'must be an array of CAP_ names');
      }
  }
  if (p.rlimits !== undefined) {
    if (!Array.isArray(p.rlimits)) bad('process.rlimits', 'must be an array');
    else
      p.rlimits.forEach((r, i) => {
        if (!isObject(r) || typeof r.type !== 'string' || !/^RLIMIT_[A-Z]+$/.test(r.type))
          return bad(`process.rlimits[${i}].type`, 'must be an RLIMIT_ name');
        if (!isUint(r.soft) || !isUint(r.hard))
          return bad(`process.rlimits[${i}]`, 'soft and hard must be unsigned integers');
        if (r.soft > r.hard) bad(`process.rlimits[${i}]`, 'soft exceeds hard');
      });
  }
}

function checkLinux(l: unknown, hostname: unknown, bad: (path: string, what: string) => void): void {
  if (!isObject(l)) return bad('linux', 'required object on Linux');
  const seen = new Set<string>();
  let newUts = false;
  if (l.namespaces !== undefined) {
    if (!Array.isArray(l.namespaces)) bad('linux.namespaces', 'must be an array');
    else
      l.namespaces.forEach((n, i) => {
        if (!isObject(n) || typeof n.type !== 'string' || !NAMESPACE_TYPES.has(n.type))
          return bad(`linux.namespaces[${i}].type`, 'unknown namespace type');
        if (seen.has(n.type)) bad(`linux.namespaces[${i}]`, `duplicate ${n.type} namespace`);
        seen.add(n.type);
        if (n.path !== undefined && !isAbsolute(n.path)) bad(`linux.namespaces[${i}].path`, 'must be an absolute path');
        if (n.type === 'uts' && n.path === undefined) newUts = true;
      });
  }
  // runc refuses to set a hostname in a UTS namespace it did not create.
  if (typeof hostname === 'string' && hostname !== '' && !newUts) bad('hostname', 'needs a new uts namespace');
  if (l.cgroupsPath !== undefined && typeof l.cgroupsPath !== 'string') bad('linux.cgroupsPath', 'must be a string');
  for (const key of ['maskedPaths', 'readonlyPaths'] as const) {
    const v = l[key];
    if (v !== undefined && !(Array.isArray(v) && v.every(isAbsolute)))
      bad(`linux.${key}`, 'must be an array of absolute paths');
  }
  if (l.seccomp !== undefined) checkSeccomp(l.seccomp, bad);
  const r = l.resources;
  if (r === undefined) return;
  if (!isObject(r)) return bad('linux.resources', 'must be an object');
  if (r.memory !== undefined) {
    if (!isObject(r.memory) || (r.memory.limit !== undefined && !isUint(r.memory.limit)))
      bad('linux.resources.memory.limit', 'must be a byte count');
  }
  if (r.cpu !== undefined) {
    if (!isObject(r.cpu)) bad('linux.resources.cpu', 'must be an object');
    else
      for (const k of ['shares', 'quota', 'period'] as const)
        if (r.cpu[k] !== undefined && !isUint(r.cpu[k])) bad(`linux.resources.cpu.${k}`, 'must be an unsigned integer');
  }
  if (r.pids !== undefined && !(isObject(r.pids) && Number.isInteger(r.pids.limit)))
    bad('linux.resources.pids.limit', 'must be an integer');
  if (r.devices !== undefined) {
    if (!Array.isArray(r.devices)) bad('linux.resources.devices', 'must be an array');
    else
      r.devices.forEach((d, i) => {
        if (!isObject(d) || typeof d.allow !== 'boolean')
          bad(`linux.resources.devices[${i}].allow`, 'must be a boolean');
        else if (d.access !== undefined && (typeof d.access !== 'string' || !/^[rwm]*$/.test(d.access)))
          bad(`linux.resources.devices[${i}].access`, 'must be made of r, w, m');
      });
  }
}

/** `linux.seccomp` as runc reads it (an errno only with SCMP_ACT_ERRNO or TRACE, args at most 6). */
function checkSeccomp(s: unknown, bad: (path: string, what: string) => void): void {
  if (!isObject(s)) return bad('linux.seccomp', 'must be an object');
  if (typeof s.defaultAction !== 'string' || !SECCOMP_ACTIONS.has(s.defaultAction))
    bad('linux.seccomp.defaultAction', 'must be a SCMP_ACT_ action');
  if (s.defaultErrnoRet !== undefined && !isUint(s.defaultErrnoRet, 4095))
    bad('linux.seccomp.defaultErrnoRet', 'must be an errno number');
  if (s.architectures !== undefined && !(isStringArray(s.architectures) && s.architectures.every((a) => SECCOMP_ARCH.test(a))))
    bad('linux.seccomp.architectures', 'must be an array of SCMP_ARCH_ names');
  if (s.flags !== undefined && !(isStringArray(s.flags) && s.flags.every((f) => SECCOMP_FLAGS.has(f))))
    bad('linux.seccomp.flags', `must be made of ${[...SECCOMP_FLAGS].join(', ')}`);
  if (s.syscalls === undefined) return;
  if (!Array.isArray(s.syscalls)) return bad('linux.seccomp.syscalls', 'must be an array');
  s.syscalls.forEach((c, i) => {
    const at = `linux.seccomp.syscalls[${i}]`;
    if (!isObject(c)) return bad(at, 'must be an object');
    if (!isStringArray(c.names) || c.names.length === 0 || !c.names.every((n) => SYSCALL_NAME.test(n)))
      bad(`${at}.names`, 'must be a non-empty array of syscall names');
    if (typeof c.action !== 'string' || !SECCOMP_ACTIONS.has(c.action)) bad(`${at}.action`, 'must be a SCMP_ACT_ action');
    if (c.errnoRet !== undefined && !isUint(c.errnoRet, 4095)) bad(`${at}.errnoRet`, 'must be an errno number');
    if (c.args === undefined) return;
    if (!Array.isArray(c.args) || c.args.length > 6) return bad(`${at}.args`, 'must be an array of at most 6 conditions');
    c.args.forEach((a, j) => {
      if (!isObject(a) || !isUint(a.index, 5)) return bad(`${at}.args[${j}].index`, 'must be 0 to 5');
      if (!isUint(a.value)) bad(`${at}.args[${j}].value`, 'must be an unsigned integer');
      if (a.valueTwo !== undefined && !isUint(a.valueTwo)) bad(`${at}.args[${j}].valueTwo`, 'must be an unsigned integer');
      if (typeof a.op !== 'string' || !SECCOMP_OPERATORS.has(a.op)) bad(`${at}.args[${j}].op`, 'must be a SCMP_CMP_ operator');
    });
  });
}
