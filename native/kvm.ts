// Whether KVM gives real hardware acceleration here. Node can open /dev/kvm but cannot issue its ioctls
// (KVM_GET_API_VERSION, KVM_CREATE_VM). A working /dev/kvm is not enough: under kvm_pvm (pagetable-based
// virtualization, used inside VMs without nested vmx/svm) stock guest kernels fail to boot, so the microVM
// backend must fall back to TCG there. probeKvm never throws: every failure becomes part of the verdict.
import { closeSync, existsSync, openSync, constants as fsConstants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errnoException, lastErrno, lazyBindings } from './libc';

const KVM_GET_API_VERSION = 0xae00;
const KVM_CREATE_VM = 0xae01;
const KVM_API_VERSION = 12; // the only stable KVM API version there has ever been

export type KvmVerdict = 'hardware' | 'unusable' | 'absent';

export interface KvmFacts {
  devicePresent: boolean;
  apiVersion?: number;
  canCreateVm: boolean;
  cpuFlags: { vmx: boolean; svm: boolean };
  /** The kvm_pvm module is loaded (/sys/module/kvm_pvm or /proc/modules). */
  pvm: boolean;
  /** Why opening or using the device failed, when it did. */
  error?: string;
}

export interface KvmProbe extends KvmFacts {
  verdict: KvmVerdict;
  detail: string;
}

export interface KvmProbeOptions {
  devicePath?: string;
  cpuinfoPath?: string;
  sysModuleDir?: string;
  procModulesPath?: string;
}

const fns = lazyBindings('KVM ioctls', (lib) => ({
  ioctl: lib.func('int ioctl(int fd, unsigned long request, ...)') as (fd: number, req: number, ...rest: unknown[]) => number,
}));

function cpuFlags(cpuinfoPath: string): { vmx: boolean; svm: boolean } {
  let text = '';
  try {
    text = readFileSync(cpuinfoPath, 'utf8');
  } catch {
    return { vmx: false, svm: false };
  }
  const flags = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^flags\s*:(.*)$/.exec(line);
    if (m) for (const f of m[1].trim().split(/\s+/)) flags.add(f);
  }
  return { vmx: flags.has('vmx'), svm: flags.has('svm') };
}

function moduleLoaded(name: string, sysModuleDir: string, procModulesPath: string): boolean {
  if (existsSync(join(sysModuleDir, name))) return true;
  try {
    return readFileSync(procModulesPath, 'utf8')
      .split('\n')
      .some((l) => l.split(' ')[0] === name);
  } catch {
    return false;
  }
}

/** Opens the device, asks for the API version and creates (then closes) one VM. */
function probeDevice(devicePath: string): Pick<KvmFacts, 'apiVersion' | 'canCreateVm' | 'error'> {
  let fd: number;
  try {
    fd = openSync(devicePath, fsConstants.O_RDWR);
  } catch (e) {
    return { canCreateVm: false, error: (e as Error).message };
  }
  try {
    const { ioctl } = fns();
    const version = ioctl(fd, KVM_GET_API_VERSION, 'int', 0);
    if (version < 0) return { canCreateVm: false, error: errnoException('ioctl(KVM_GET_API_VERSION)', lastErrno(), devicePath).message };
    const vm = ioctl(fd, KVM_CREATE_VM, 'int', 0);
    if (vm < 0) return { apiVersion: version, canCreateVm: false, error: errnoException('ioctl(KVM_CREATE_VM)', lastErrno(), devicePath).message };
    closeSync(vm);
    return { apiVersion: version, canCreateVm: true };
  } catch (e) {
    return { canCreateVm: false, error: (e as Error).message };
  } finally {
    closeSync(fd);
  }
}

/** The verdict for a set of facts (exported so the rules can be tested on facts from other machines). */
export function kvmVerdict(f: KvmFacts): { verdict: KvmVerdict; detail: string } {
  if (!f.devicePresent) return { verdict: 'absent', detail: 'no /dev/kvm: no KVM on this machine; VMs need software emulation (TCG)' };
  if (f.apiVersion !== undefined && f.apiVersion !== KVM_API_VERSION) {
    return { verdict: 'unusable', detail: `/dev/kvm answers API version ${f.apiVersion}, expected ${KVM_API_VERSION}; use TCG` };
  }
  if (!f.canCreateVm) return { verdict: 'unusable', detail: `/dev/kvm exists but cannot create a VM (${f.error ?? 'unknown error'}); use TCG` };
  if (f.pvm) {
    return {
      verdict: 'unusable',
      detail: 'KVM is kvm_pvm (pagetable-based virtualization, no hardware vmx/svm): stock guest kernels do not boot under it; use TCG',
    };
  }
  if (!f.cpuFlags.vmx && !f.cpuFlags.svm) {
    return { verdict: 'unusable', detail: 'KVM opens but the CPU reports neither vmx nor svm: not hardware virtualization; use TCG' };
  }
  return { verdict: 'hardware', detail: `KVM API ${f.apiVersion} with ${f.cpuFlags.vmx ? 'Intel VT-x (vmx)' : 'AMD-V (svm)'}: hardware acceleration available` };
}

export function probeKvm(opts: KvmProbeOptions = {}): KvmProbe {
  const devicePath = opts.devicePath ?? '/dev/kvm';
  const devicePresent = existsSync(devicePath);
  const facts: KvmFacts = {
    devicePresent,
    canCreateVm: false,
    cpuFlags: cpuFlags(opts.cpuinfoPath ?? '/proc/cpuinfo'),
    pvm: moduleLoaded('kvm_pvm', opts.sysModuleDir ?? '/sys/module', opts.procModulesPath ?? '/proc/modules'),
    ...(devicePresent ? probeDevice(devicePath) : {}),
  };
  return { ...facts, ...kvmVerdict(facts) };
}
