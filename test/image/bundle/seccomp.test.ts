// The seccomp part of the bundle builder: the RuntimeDefault profile and what it blocks, capability- and
// kernel-conditional rules, the kubelet's precedence (container over pod, privileged unconfined), Docker-format
// profiles, and reading Localhost profiles from $PODSMITH_HOME/seccomp/ with hostile paths refused.
// The real filter in a real container is tested in test/pods/seccomp.test.ts.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BundleError,
  RUNTIME_DEFAULT_PROFILE,
  buildBundleConfig,
  checkSeccompProfile,
  containerSeccomp,
  readLocalhostProfile,
  resolveSeccompProfile,
  validateRuntimeSpec,
  type OciSeccomp,
  type SeccompProfile,
} from '../../../engine/image/bundle';
import { POD, input } from './fixtures';

const HOST = { arch: 'x64', kernel: '6.1.0-18-amd64' };
const code = (c: string) => (e: unknown) => e instanceof BundleError && e.code === c;

/** Syscalls allowed whatever their arguments. */
const allowedOutright = (s: OciSeccomp) =>
  new Set(s.syscalls!.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));
const rulesFor = (s: OciSeccomp, name: string) => s.syscalls!.filter((r) => r.names.includes(name));

function seccompOf(rest: Parameters<typeof input>[0] = {}, more: Parameters<typeof input>[1] = {}): OciSeccomp | undefined {
  return buildBundleConfig(input(rest, { seccomp: HOST, ...more })).config.linux.seccomp;
}

describe('the RuntimeDefault seccomp profile', () => {
  it('is an allowlist that fails everything else with EPERM, for this host architecture and its 32-bit ones', () => {
    const s = seccompOf()!;
    assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(s.defaultErrnoRet, 1);
    assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    assert.deepEqual(seccompOf({}, { seccomp: { ...HOST, arch: 'arm64' } })!.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    // A kernel that refuses x32 calls (Debian's, unless booted with syscall.x32=y) gets no x32 rules; unknown keeps them.
    assert.deepEqual(seccompOf({}, { seccomp: { ...HOST, x32: false } })!.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
    assert.deepEqual(seccompOf({}, { seccomp: { ...HOST, x32: true } })!.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    assert.deepEqual(seccompOf({}, { seccomp: { ...HOST, arch: 'arm64', x32: false } })!.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    const allowed = allowedOutright(s);
    for (const ok of ['read', 'write', 'openat', 'execve', 'mmap', 'futex', 'epoll_wait', 'socketpair', 'arch_prctl', 'chroot'])
      assert.ok(allowed.has(ok), `${ok} is allowed`);
    assert.deepEqual(validateRuntimeSpec(buildBundleConfig(input({}, { seccomp: HOST })).config), []);
  });

  it('blocks namespace creation, mounts, the keyring, bpf, kexec, modules and io_uring for a default container', () => {
    const s = seccompOf()!;
    const allowed = allowedOutright(s);
    for (const blocked of [
      'unshare', 'setns', 'clone', 'mount', 'umount2', 'fsopen', 'move_mount', 'pivot_root', 'keyctl', 'add_key',
      'request_key', 'bpf', 'perf_event_open', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module',
      'delete_module', 'io_uring_setup', 'userfaultfd', 'reboot', 'swapon', 'settimeofday', 'acct', 'kcmp',
    ])
      assert.ok(!allowed.has(blocked), `${blocked} is not allowed outright`);
    // clone and unshare only without namespace flags; clone3 answers ENOSYS so libc falls back to clone.
    assert.deepEqual(rulesFor(s, 'clone'), [
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
    ]);
    assert.deepEqual(rulesFor(s, 'unshare'), [
      { names: ['unshare'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020080, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
    ]);
    assert.deepEqual(rulesFor(s, 'clone3'), [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
    assert.deepEqual(rulesFor(s, 'socket')[0].args, [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }], 'no AF_VSOCK');
  });

  it('grants the syscalls of a capability to containers that hold it, and takes chroot away with CAP_SYS_CHROOT', () => {
    const admin = seccompOf({ securityContext: { capabilities: { add: ['SYS_ADMIN'] } } })!;
    const allowed = allowedOutright(admin);
    for (const name of ['mount', 'umount2', 'unshare', 'setns', 'clone', 'clone3', 'bpf', 'pivot_root']) assert.ok(allowed.has(name), name);
    assert.ok(!rulesFor(admin, 'clone3').some((r) => r.action === 'SCMP_ACT_ERRNO'), 'clone3 is not refused');
    assert.ok(!allowedOutright(admin).has('keyctl'), 'the keyring stays blocked even for CAP_SYS_ADMIN');
    const ptrace = allowedOutright(seccompOf({ securityContext: { capabilities: { add: ['SYS_PTRACE', 'SYS_MODULE', 'BPF'] } } })!);
    for (const name of ['kcmp', 'pidfd_getfd', 'userfaultfd', 'init_module', 'finit_module', 'bpf']) assert.ok(ptrace.has(name), name);
    assert.ok(!allowedOutright(seccompOf({ securityContext: { capabilities: { drop: ['SYS_CHROOT'] } } })!).has('chroot'));
  });

  it('allows ptrace from kernel 4.8 on only (earlier, a tracer could get around the filter)', () => {
    assert.ok(allowedOutright(seccompOf()!).has('ptrace'));
    assert.ok(!allowedOutright(seccompOf({}, { seccomp: { ...HOST, kernel: '4.4.0-210-generic' } })!).has('ptrace'));
    assert.ok(!allowedOutright(seccompOf({}, { seccomp: { ...HOST, kernel: '3.10.0' } })!).has('process_vm_readv'));
  });

  it('follows each architecture: s390x passes clone flags second, arm gets its own calls, x86 its own', () => {
    const s390 = resolveSeccompProfile(RUNTIME_DEFAULT_PROFILE, { arch: 's390x', kernel: '6.1', capabilities: [] });
    assert.deepEqual(s390.architectures, ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390']);
    assert.equal(rulesFor(s390, 'clone')[0].args![0].index, 1);
    const arm = allowedOutright(resolveSeccompProfile(RUNTIME_DEFAULT_PROFILE, { arch: 'arm64', kernel: '6.1', capabilities: [] }));
    assert.ok(arm.has('set_tls') && !arm.has('arch_prctl'));
  });
});

describe('which profile a container gets', () => {
  it('the container setting wins over the pod setting', () => {
    const podUnconfined = { pod: { ...POD, securityContext: { seccompProfile: { type: 'Unconfined' } } } };
    assert.equal(seccompOf({}, podUnconfined), undefined);
    assert.ok(seccompOf({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }, podUnconfined));
    const podDefault = { pod: { ...POD, securityContext: { seccompProfile: { type: 'RuntimeDefault' } } } };
    assert.equal(seccompOf({ securityContext: { seccompProfile: { type: 'Unconfined' } } }, podDefault), undefined);
  });

  it('a privileged container runs unconfined, whatever it asks for', () => {
    assert.equal(seccompOf({ securityContext: { privileged: true, seccompProfile: { type: 'RuntimeDefault' } } }), undefined);
    assert.equal(seccompOf({ securityContext: { privileged: true, seccompProfile: { type: 'Localhost', localhostProfile: 'x.json' } } }), undefined);
  });

  it('Localhost uses the profile handed in, resolved for the container; without one, or without a path, it is an error', () => {
    const profile: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['mount'], action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN'] } },
      ],
    };
    const spec = { securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'deny-mkdir.json' } } };
    assert.deepEqual(seccompOf(spec, { seccomp: { ...HOST, localhost: profile } }), {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
    });
    assert.throws(() => seccompOf(spec), (e: unknown) => code('SECCOMP')(e) && /container "app".*deny-mkdir\.json.*not loaded/.test((e as Error).message));
    assert.throws(() => seccompOf({ securityContext: { seccompProfile: { type: 'Localhost' } } }), /container "app".*names no localhostProfile/);
    assert.throws(() => seccompOf({ securityContext: { seccompProfile: { type: 'Strict' } } }), /container "app".*"Strict" is not RuntimeDefault/);
  });

  it('the pod-level Localhost setting names the pod in its error', () => {
    assert.throws(
      () => containerSeccomp({ container: { name: 'c' }, pod: { ...POD, securityContext: { seccompProfile: { type: 'Localhost' } } }, capabilities: [] }),
      /container "c": the pod securityContext.seccompProfile is Localhost but names no localhostProfile/,
    );
  });
});

describe('Docker-format profiles', () => {
  it('accepts a plain OCI linux.seccomp object and Docker archMap, includes and excludes', () => {
    assert.deepEqual(checkSeccompProfile({ defaultAction: 'SCMP_ACT_LOG' }), []);
    assert.deepEqual(checkSeccompProfile(RUNTIME_DEFAULT_PROFILE), []);
    assert.deepEqual(
      checkSeccompProfile({
        defaultAction: 'SCMP_ACT_ERRNO',
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [{ name: 'read', action: 'SCMP_ACT_ALLOW', args: null, comment: 'x' }],
      }),
      [],
    );
  });

  it('names every field it refuses: unknown fields, seccomp agents, errnos without ERRNO, bad args', () => {
    const problems = checkSeccompProfile({
      defaultAction: 'SCMP_ACT_NOTIFY',
      listenerPath: '/run/agent.sock',
      defaultErrnoRet: 1,
      architecture: ['SCMP_ARCH_X86_64'],
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 },
        { names: ['Bad Name'], action: 'ALLOW' },
        { names: ['write'], action: 'SCMP_ACT_ERRNO', args: [{ index: 7, value: -1, op: 'EQ' }] },
        { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['sys_admin'], kernel: '5' } },
      ],
    });
    const text = problems.join('\n');
    for (const expected of [
      /^defaultAction: SCMP_ACT_NOTIFY needs a seccomp agent/m,
      /^listenerPath: seccomp agents are not supported/m,
      /^defaultErrnoRet: needs defaultAction SCMP_ACT_ERRNO/m,
      /^architecture: unknown field/m,
      /^syscalls\[0\]\.errnoRet: needs action SCMP_ACT_ERRNO/m,
      /^syscalls\[1\]\.names: must be a non-empty array of syscall names/m,
      /^syscalls\[1\]\.action: must be one of/m,
      /^syscalls\[2\]\.args\[0\]\.index: must be 0 to 5/m,
      /^syscalls\[2\]\.args\[0\]\.value: must be an unsigned integer/m,
      /^syscalls\[2\]\.args\[0\]\.op: must be one of/m,
      /^syscalls\[3\]\.includes\.caps: must be an array of CAP_ names/m,
      /^syscalls\[3\]\.includes\.kernel: unknown field/m,
    ])
      assert.match(text, expected);
  });

  it('validateRuntimeSpec checks linux.seccomp too', () => {
    const c = buildBundleConfig(input({}, { seccomp: HOST })).config;
    const broken = { ...c, linux: { ...c.linux, seccomp: { defaultAction: 'DENY', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] } } };
    assert.deepEqual(validateRuntimeSpec(broken), [
      'linux.seccomp.defaultAction: must be a SCMP_ACT_ action',
      'linux.seccomp.syscalls[0].names: must be a non-empty array of syscall names',
    ]);
  });
});

describe('reading a Localhost profile', () => {
  let home = '';
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'podsmith-seccomp-'));
    mkdirSync(join(home, 'seccomp', 'team'), { recursive: true });
    writeFileSync(join(home, 'seccomp', 'team', 'ok.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] }));
    writeFileSync(join(home, 'outside.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW' }));
    symlinkSync(join(home, 'outside.json'), join(home, 'seccomp', 'escape.json'));
    symlinkSync('team/ok.json', join(home, 'seccomp', 'alias.json'));
    writeFileSync(join(home, 'seccomp', 'broken.json'), '{"defaultAction": "SCMP_ACT_ALLOW", secret-token-1234');
    writeFileSync(join(home, 'seccomp', 'wrong.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscals: [] }));
    mkdirSync(join(home, 'seccomp', 'dir.json'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('reads a profile below $PODSMITH_HOME/seccomp/, through a symlink that stays inside', async () => {
    const p = await readLocalhostProfile(home, 'team/ok.json', 'app');
    assert.equal(p.defaultAction, 'SCMP_ACT_ALLOW');
    assert.deepEqual((await readLocalhostProfile(home, 'alias.json', 'app')).syscalls, p.syscalls);
  });

  it('refuses absolute paths, "..", escaping symlinks, missing files and directories, naming the container', async () => {
    const cases: [string, RegExp][] = [
      [join(home, 'seccomp', 'team', 'ok.json'), /must be a path relative to .*seccomp without "\.\."/],
      ['../outside.json', /must be a path relative to/],
      ['team/../../outside.json', /must be a path relative to/],
      ['escape.json', /leads out of/],
      ['missing.json', /no such file .*seccomp\/missing\.json/],
      ['dir.json', /is not a regular file/],
    ];
    for (const [path, expected] of cases)
      await assert.rejects(readLocalhostProfile(home, path, 'app'), (e: unknown) => {
        assert.ok(e instanceof BundleError && e.code === 'SECCOMP', String(e));
        assert.match(e.message, /^container "app": seccomp localhostProfile /);
        assert.match(e.message, expected);
        return true;
      });
  });

  it('a file that is not JSON or not a profile is named with the reason, and its contents are not quoted', async () => {
    await assert.rejects(readLocalhostProfile(home, 'broken.json', 'app'), (e: Error) => {
      assert.match(e.message, /broken\.json is not valid JSON at line 1, column \d+/);
      assert.doesNotMatch(e.message, /secret-token/);
      return true;
    });
    await assert.rejects(readLocalhostProfile(home, 'wrong.json', 'app'), /wrong\.json is not a seccomp profile: syscals: unknown field/);
  });
});
