// Compiling an OCI seccomp profile (`linux.seccomp` of a runtime config) to the classic BPF program the kernel
// loads, with libseccomp (the library runc and crun use for the same job), through koffi. The direct pause
// (engine/runtime/pause-direct.ts) has no OCI runtime to compile its filter: its launcher loads this program.
// The translation follows runc's (libcontainer/seccomp): an unknown syscall name is skipped, a rule with the
// default action is dropped, and a rule naming one argument twice becomes one rule per condition.
import { closeSync, openSync, readFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { koffi, NativeUnavailableError, type KoffiLib } from './libc';

export interface OciSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface OciSeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: OciSeccompArg[];
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  syscalls?: OciSeccompRule[];
}

const EPERM = 1;
const EEXIST = 17;
const OPS: Record<string, number> = {
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
};

interface Seccomp {
  init(action: number): unknown;
  release(ctx: unknown): void;
  archResolve(name: string): number;
  archAdd(ctx: unknown, token: number): number;
  resolve(name: string): number;
  ruleAdd(ctx: unknown, action: number, syscall: number, count: number, args: ArgCmp[] | null): number;
  exportBpf(ctx: unknown, fd: number): number;
}

interface ArgCmp {
  arg: number;
  op: number;
  datum_a: bigint;
  datum_b: bigint;
}

let bound: Seccomp | undefined;
let failure: NativeUnavailableError | undefined;

function seccomp(): Seccomp {
  if (bound) return bound;
  if (failure) throw failure;
  try {
    const k = koffi();
    let lib: KoffiLib;
    try {
      lib = k.load('libseccomp.so.2');
    } catch (e) {
      throw new NativeUnavailableError('libseccomp.so.2', `could not be loaded (${(e as Error).message}; apt-get install libseccomp2)`, e);
    }
    k.struct('podsmith_scmp_arg_cmp', { arg: 'uint32_t', op: 'int', datum_a: 'uint64_t', datum_b: 'uint64_t' });
    bound = {
      init: lib.func('void *seccomp_init(uint32_t def_action)') as Seccomp['init'],
      release: lib.func('void seccomp_release(void *ctx)') as Seccomp['release'],
      archResolve: lib.func('uint32_t seccomp_arch_resolve_name(const char *name)') as Seccomp['archResolve'],
      archAdd: lib.func('int seccomp_arch_add(void *ctx, uint32_t arch)') as Seccomp['archAdd'],
      resolve: lib.func('int seccomp_syscall_resolve_name(const char *name)') as Seccomp['resolve'],
      ruleAdd: lib.func('int seccomp_rule_add_array(void *ctx, uint32_t action, int syscall, unsigned int count, const podsmith_scmp_arg_cmp *args)') as Seccomp['ruleAdd'],
      exportBpf: lib.func('int seccomp_export_bpf(void *ctx, int fd)') as Seccomp['exportBpf'],
    };
    return bound;
  } catch (e) {
    failure = e instanceof NativeUnavailableError ? e : new NativeUnavailableError('libseccomp', (e as Error).message, e);
    throw failure;
  }
}

/** libseccomp's action value for an OCI action name (SCMP_ACT_NOTIFY has no listener here: refused). */
export function seccompAction(name: string, errnoRet: number | undefined): number {
  switch (name) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return 0;
    case 'SCMP_ACT_KILL_PROCESS':
      return 0x80000000;
    case 'SCMP_ACT_TRAP':
      return 0x00030000;
    case 'SCMP_ACT_ERRNO':
      return (0x00050000 | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_TRACE':
      return (0x7ff00000 | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_LOG':
      return 0x7ffc0000;
    case 'SCMP_ACT_ALLOW':
      return 0x7fff0000;
    default:
      throw new Error(`seccomp action ${name} cannot be compiled here`);
  }
}

/** libseccomp's name of an OCI architecture (SCMP_ARCH_X86_64 → x86_64). */
function archName(oci: string): string {
  return oci.replace(/^SCMP_ARCH_/, '').toLowerCase();
}

/** The profile's BPF program (struct sock_filter array, 8 bytes per instruction) for this machine. */
export function compileSeccomp(profile: OciSeccomp): Buffer {
  if (profile.flags?.length) throw new Error(`seccomp flags (${profile.flags.join(', ')}) cannot be compiled here`);
  const s = seccomp();
  const defaultAction = seccompAction(profile.defaultAction, profile.defaultErrnoRet);
  const ctx = s.init(defaultAction);
  if (!ctx) throw new Error('seccomp_init failed');
  const file = join(tmpdir(), `podsmith-seccomp-${process.pid}-${Math.random().toString(16).slice(2)}.bpf`);
  try {
    for (const arch of profile.architectures ?? []) {
      const token = s.archResolve(archName(arch));
      if (token === 0) continue; // this libseccomp does not know it
      const r = s.archAdd(ctx, token);
      if (r < 0 && r !== -EEXIST) throw new Error(`seccomp_arch_add(${arch}) failed: ${r}`);
    }
    for (const rule of profile.syscalls ?? []) {
      const action = seccompAction(rule.action, rule.errnoRet);
      // libseccomp refuses a rule that does what the default does anyway.
      if (action === defaultAction) continue;
      const conditions = (rule.args ?? []).map((a): ArgCmp => {
        const op = OPS[a.op];
        if (op === undefined) throw new Error(`seccomp operator ${a.op} is unknown`);
        return { arg: a.index, op, datum_a: BigInt(a.value), datum_b: BigInt(a.valueTwo ?? 0) };
      });
      const counts = new Map<number, number>();
      for (const c of conditions) counts.set(c.arg, (counts.get(c.arg) ?? 0) + 1);
      // Conditions on one argument cannot all hold at once: each is a rule of its own (OR), as runc does.
      const sets = [...counts.values()].some((n) => n > 1) ? conditions.map((c) => [c]) : [conditions];
      for (const name of rule.names) {
        const nr = s.resolve(name);
        if (nr === -1 /* __NR_SCMP_ERROR */) continue; // not a syscall libseccomp knows: skipped, as runc does
        for (const set of sets) {
          const r = s.ruleAdd(ctx, action, nr, set.length, set.length ? set : null);
          if (r < 0) throw new Error(`seccomp rule for ${name} failed: ${r}`);
        }
      }
    }
    const fd = openSync(file, 'wx', 0o600);
    try {
      const r = s.exportBpf(ctx, fd);
      if (r < 0) throw new Error(`seccomp_export_bpf failed: ${r}`);
    } finally {
      closeSync(fd);
    }
    return readFileSync(file);
  } finally {
    s.release(ctx);
    try {
      unlinkSync(file);
    } catch {
      // never made
    }
  }
}

/** Whether libseccomp can be used here (a probe: never throws). */
export function seccompCompilerAvailable(): boolean {
  try {
    seccomp();
    return true;
  } catch {
    return false;
  }
}
