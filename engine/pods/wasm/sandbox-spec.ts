// The OCI config of a wasm pod's sandbox: the supervisor (a Node process) runs as root of its own user
// namespace, mapped to one unprivileged host id (never host root), with no capabilities at all, no_new_privs,
// its own mount, pid, ipc, uts, cgroup and network namespaces (WASI preview 1 has no sockets: the network
// namespace holds only a loopback that is down), a read-only root holding only Node, its libraries and the
// supervisor's code (sandbox-root.ts), /proc read-only, a small /tmp, and `/s`: the slot through which the
// pod arrives (sandbox.ts bind-mounts the pod's directories into it on the host; `rslave` makes them appear
// here). A seccomp filter refuses the calls that only serve to widen or leave the sandbox (namespaces,
// mounts, ptrace, kernel keyrings, BPF, io_uring, ...), and its cgroup caps its tasks at 1024, should a module
// ever get native code to run.
import type { OciMount, OciSeccomp, RuntimeSpec } from '../../image/bundle/oci-spec';
import { SANDBOX_SLOT } from './paths';
import type { SandboxBind } from './sandbox-root';

export interface SandboxSpecInput {
  /** The skeleton root (sandbox-root.ts ensureSkeleton). */
  root: string;
  binds: readonly SandboxBind[];
  /** The host directory that becomes /s. */
  slot: string;
  /** Host uid and gid the sandbox's root is mapped to. */
  hostId: number;
  args: string[];
  cwd: string;
  env: string[];
  cgroupsPath: string;
  /** The daemon's own NOFILE hard limit: a config asking for more fails (no CAP_SYS_RESOURCE). */
  nofileHard: number;
}

/** Syscalls refused with EPERM (and clone3 with ENOSYS, so the C library falls back to clone, which is filtered). */
const REFUSED = [
  'acct', 'add_key', 'bpf', 'chroot', 'delete_module', 'finit_module', 'fsconfig', 'fsmount', 'fsopen', 'fspick',
  'init_module', 'io_uring_enter', 'io_uring_register', 'io_uring_setup', 'kexec_file_load', 'kexec_load', 'keyctl',
  'mount', 'mount_setattr', 'move_mount', 'name_to_handle_at', 'open_by_handle_at', 'open_tree', 'perf_event_open',
  'pivot_root', 'process_vm_readv', 'process_vm_writev', 'ptrace', 'quotactl', 'reboot', 'request_key', 'setns',
  'swapoff', 'swapon', 'umount2', 'unshare', 'userfaultfd',
];

/** CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET: no namespaces from inside. */
const CLONE_NAMESPACE_FLAGS = [0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000];
const EPERM = 1;
const ENOSYS = 38;

function seccomp(): OciSeccomp {
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
    syscalls: [
      { names: REFUSED, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
      // One rule per flag: (flags & flag) == flag. The flags are clone's first argument on x86 and arm.
      ...CLONE_NAMESPACE_FLAGS.map((flag) => ({
        names: ['clone'],
        action: 'SCMP_ACT_ERRNO' as const,
        errnoRet: EPERM,
        args: [{ index: 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' as const }],
      })),
    ],
  };
}

export function sandboxSpec(i: SandboxSpecInput): RuntimeSpec & { linux: Record<string, unknown> } {
  const code: OciMount[] = i.binds.map((b) => ({ destination: b.path, type: 'bind', source: b.source, options: ['bind', 'ro', 'nosuid', 'nodev'] }));
  const nofile = Math.min(4096, i.nofileHard);
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: i.args,
      env: i.env,
      cwd: i.cwd,
      capabilities: { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] },
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: nofile, hard: nofile }],
      noNewPrivileges: true,
    },
    root: { path: i.root, readonly: true },
    hostname: 'wasm',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'noexec', 'strictatime', 'mode=755', 'size=64k'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'mode=1777', 'size=32m'] },
      { destination: SANDBOX_SLOT, type: 'bind', source: i.slot, options: ['rbind', 'rslave', 'nosuid', 'nodev', 'noexec'] },
      ...code,
    ],
    linux: {
      uidMappings: [{ containerID: 0, hostID: i.hostId, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: i.hostId, size: 1 }],
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'user' }, { type: 'network' }, { type: 'cgroup' }],
      cgroupsPath: i.cgroupsPath,
      // Node's threads (a worker per container, V8's and libuv's pools) stay far below; a fork bomb does not.
      resources: { pids: { limit: 1024 } },
      // /proc as runc's default spec masks it, and read-only everywhere: no /proc/self/mem writes.
      maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'],
      readonlyPaths: ['/proc'],
      seccomp: seccomp(),
    },
  };
}
