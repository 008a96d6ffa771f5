// The RuntimeDefault seccomp profile, as data: an allowlist (anything not named fails with EPERM), written for
// Podsmith after what Docker's, podman's and containerd's defaults allow and block. It is a profile in the
// Docker format (see seccomp-profile.ts), so syscalls that need a capability are allowed only to containers
// that hold it, and the same resolver turns it and a user's Localhost profile into `linux.seccomp`.
//
// Blocked for every container without the named capability:
// - new namespaces: unshare and clone with CLONE_NEW* flags, setns, clone3 (its flags sit in memory seccomp
//   cannot read, so it answers ENOSYS and libc falls back to clone) — CAP_SYS_ADMIN
// - mount, umount, the new mount API (fsopen, fsmount, move_mount, open_tree, ...), pivot_root, quotactl,
//   sethostname, fanotify_init, lookup_dcookie — CAP_SYS_ADMIN
// - bpf — CAP_BPF or CAP_SYS_ADMIN; perf_event_open — CAP_PERFMON or CAP_SYS_ADMIN
// - module loading (init_module, finit_module, delete_module) — CAP_SYS_MODULE
// - ptrace, process_vm_readv/writev on kernels before 4.8 (a tracer could skip seccomp there) — CAP_SYS_PTRACE;
//   kcmp, pidfd_getfd, process_madvise and userfaultfd — CAP_SYS_PTRACE
// - reboot — CAP_SYS_BOOT; acct — CAP_SYS_PACCT; iopl, ioperm — CAP_SYS_RAWIO; settimeofday, clock_settime —
//   CAP_SYS_TIME; vhangup — CAP_SYS_TTY_CONFIG; NUMA policy calls — CAP_SYS_NICE; syslog — CAP_SYSLOG;
//   open_by_handle_at — CAP_DAC_READ_SEARCH; chroot — CAP_SYS_CHROOT (in the default set)
// Blocked always: the kernel keyring (keyctl, add_key, request_key: not namespaced), kexec_load and
// kexec_file_load, io_uring (a large kernel attack surface that bypasses this filter's view of I/O), swapon and
// swapoff, AF_VSOCK sockets (a path to the host outside the pod's network), personality values other than
// the plain Linux ones, and old or obsolete calls (uselib, ustat, sysfs, _sysctl, nfsservctl, vm86, ...).

import type { SeccompProfile } from './seccomp-profile';

/** Every namespace flag of clone(2)/unshare(2) that has its own bit in the flags word (not CLONE_NEWTIME). */
const CLONE_NAMESPACE_FLAGS =
  0x0002_0000 /* NEWNS */ | 0x0200_0000 /* NEWCGROUP */ | 0x0400_0000 /* NEWUTS */ | 0x0800_0000 /* NEWIPC */ |
  0x1000_0000 /* NEWUSER */ | 0x2000_0000 /* NEWPID */ | 0x4000_0000; /* NEWNET */
/** unshare(2) has no exit signal in its low byte, so CLONE_NEWTIME (0x80) can be refused there too. */
const UNSHARE_NAMESPACE_FLAGS = (CLONE_NAMESPACE_FLAGS | 0x80) >>> 0;
const AF_VSOCK = 40;
const ENOSYS = 38;

const ALLOWED: string[] = [
  // processes, threads and scheduling
  'brk', 'capget', 'capset', 'execve', 'execveat', 'exit', 'exit_group', 'fork', 'vfork', 'wait4', 'waitid',
  'waitpid', 'get_robust_list', 'set_robust_list', 'get_thread_area', 'set_thread_area', 'set_tid_address',
  'getpid', 'getppid', 'gettid', 'getpgid', 'setpgid', 'getpgrp', 'getsid', 'setsid', 'kill', 'tkill', 'tgkill',
  'pidfd_open', 'pidfd_send_signal', 'process_mrelease', 'prctl', 'prlimit64', 'getrlimit', 'setrlimit',
  'ugetrlimit', 'getrusage', 'getpriority', 'setpriority', 'getcpu', 'rseq', 'restart_syscall', 'times', 'uname',
  'sysinfo', 'ioprio_get', 'ioprio_set', 'membarrier', 'seccomp', 'landlock_add_rule', 'landlock_create_ruleset',
  'landlock_restrict_self', 'sched_getaffinity', 'sched_setaffinity', 'sched_getattr', 'sched_setattr',
  'sched_getparam', 'sched_setparam', 'sched_getscheduler', 'sched_setscheduler', 'sched_get_priority_max',
  'sched_get_priority_min', 'sched_rr_get_interval', 'sched_rr_get_interval_time64', 'sched_yield',
  // user and group ids (changing them needs CAP_SETUID/CAP_SETGID, which the kernel checks)
  'getuid', 'getuid32', 'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getegid', 'getegid32', 'getgroups',
  'getgroups32', 'setgroups', 'setgroups32', 'setuid', 'setuid32', 'setgid', 'setgid32', 'setreuid', 'setreuid32',
  'setregid', 'setregid32', 'setresuid', 'setresuid32', 'setresgid', 'setresgid32', 'getresuid', 'getresuid32',
  'getresgid', 'getresgid32', 'setfsuid', 'setfsuid32', 'setfsgid', 'setfsgid32',
  // signals and timers
  'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_sigreturn', 'rt_sigsuspend',
  'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_tgsigqueueinfo', 'sigaltstack', 'signalfd', 'signalfd4',
  'sigprocmask', 'sigreturn', 'pause', 'alarm', 'getitimer', 'setitimer', 'timer_create', 'timer_delete',
  'timer_getoverrun', 'timer_gettime', 'timer_gettime64', 'timer_settime', 'timer_settime64', 'timerfd_create',
  'timerfd_gettime', 'timerfd_gettime64', 'timerfd_settime', 'timerfd_settime64',
  // clocks (adjtimex and clock_adjtime only read without CAP_SYS_TIME)
  'clock_gettime', 'clock_gettime64', 'clock_getres', 'clock_getres_time64', 'clock_nanosleep',
  'clock_nanosleep_time64', 'nanosleep', 'gettimeofday', 'time', 'adjtimex', 'clock_adjtime', 'clock_adjtime64',
  // memory
  'mmap', 'mmap2', 'munmap', 'mprotect', 'mremap', 'madvise', 'mincore', 'mlock', 'mlock2', 'mlockall', 'munlock',
  'munlockall', 'msync', 'remap_file_pages', 'memfd_create', 'memfd_secret', 'pkey_alloc', 'pkey_free',
  'pkey_mprotect', 'map_shadow_stack', 'mseal', 'cachestat',
  // files and directories
  'access', 'faccessat', 'faccessat2', 'chdir', 'fchdir', 'getcwd', 'chmod', 'fchmod', 'fchmodat', 'fchmodat2',
  'chown', 'chown32', 'fchown', 'fchown32', 'lchown', 'lchown32', 'fchownat', 'open', 'openat', 'openat2', 'creat',
  'close', 'close_range', 'dup', 'dup2', 'dup3', 'fcntl', 'fcntl64', 'flock', 'fsync', 'fdatasync', 'sync',
  'syncfs', 'sync_file_range', 'fallocate', 'fadvise64', 'fadvise64_64', 'ftruncate', 'ftruncate64', 'truncate',
  'truncate64', 'read', 'readv', 'pread64', 'preadv', 'preadv2', 'write', 'writev', 'pwrite64', 'pwritev',
  'pwritev2', 'lseek', '_llseek', 'sendfile', 'sendfile64', 'splice', 'tee', 'vmsplice', 'copy_file_range',
  'readahead', 'stat', 'stat64', 'lstat', 'lstat64', 'fstat', 'fstat64', 'fstatat64', 'newfstatat', 'statx',
  'statfs', 'statfs64', 'fstatfs', 'fstatfs64', 'getdents', 'getdents64', 'mkdir', 'mkdirat', 'mknod', 'mknodat',
  'rmdir', 'rename', 'renameat', 'renameat2', 'link', 'linkat', 'symlink', 'symlinkat', 'unlink', 'unlinkat',
  'readlink', 'readlinkat', 'umask', 'utime', 'utimes', 'utimensat', 'utimensat_time64', 'futimesat',
  'getxattr', 'lgetxattr', 'fgetxattr', 'getxattrat', 'setxattr', 'lsetxattr', 'fsetxattr', 'setxattrat',
  'listxattr', 'llistxattr', 'flistxattr', 'listxattrat', 'removexattr', 'lremovexattr', 'fremovexattr',
  'removexattrat', 'inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch', 'fanotify_mark',
  'name_to_handle_at', 'ioctl',
  // waiting on descriptors, and classic asynchronous I/O
  'pipe', 'pipe2', 'eventfd', 'eventfd2', 'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old',
  'epoll_pwait', 'epoll_pwait2', 'epoll_wait', 'epoll_wait_old', 'poll', 'ppoll', 'ppoll_time64', 'select',
  '_newselect', 'pselect6', 'pselect6_time64', 'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents',
  'io_pgetevents', 'io_pgetevents_time64', 'futex', 'futex_time64', 'futex_waitv', 'futex_wake', 'futex_wait',
  'futex_requeue',
  // System V and POSIX IPC (namespaced with the pod's IPC namespace)
  'ipc', 'msgctl', 'msgget', 'msgrcv', 'msgsnd', 'semctl', 'semget', 'semop', 'semtimedop', 'semtimedop_time64',
  'shmat', 'shmctl', 'shmdt', 'shmget', 'mq_getsetattr', 'mq_notify', 'mq_open', 'mq_timedreceive',
  'mq_timedreceive_time64', 'mq_timedsend', 'mq_timedsend_time64', 'mq_unlink',
  // sockets (socket itself is below: every family but AF_VSOCK)
  'socketpair', 'socketcall', 'bind', 'connect', 'listen', 'accept', 'accept4', 'getsockname', 'getpeername',
  'getsockopt', 'setsockopt', 'send', 'sendto', 'sendmsg', 'sendmmsg', 'recv', 'recvfrom', 'recvmsg', 'recvmmsg',
  'recvmmsg_time64', 'shutdown',
  'getrandom',
];

const allow = (names: string[], extra: Omit<SeccompProfile['syscalls'][number], 'names' | 'action'> = {}) => ({
  names,
  action: 'SCMP_ACT_ALLOW' as const,
  ...extra,
});

export const RUNTIME_DEFAULT_PROFILE: SeccompProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1, // EPERM
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    { architecture: 'SCMP_ARCH_S390X', subArchitectures: ['SCMP_ARCH_S390'] },
    { architecture: 'SCMP_ARCH_PPC64LE', subArchitectures: [] },
    { architecture: 'SCMP_ARCH_RISCV64', subArchitectures: [] },
  ],
  syscalls: [
    allow(ALLOWED),
    allow(['socket'], { args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }] }),
    // Linux personality, with and without ADDR_NO_RANDOMIZE / UNAME26, and the query (0xffffffff).
    ...[0x0, 0x8, 0x2_0000, 0x2_0008, 0xffff_ffff].map((value) =>
      allow(['personality'], { args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] }),
    ),
    // Architecture-specific calls.
    allow(['arch_prctl'], { includes: { arches: ['amd64', 'x32'] } }),
    allow(['modify_ldt'], { includes: { arches: ['amd64', 'x32', '386'] } }),
    allow(['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'], {
      includes: { arches: ['arm', 'arm64'] },
    }),
    allow(['sync_file_range2', 'swapcontext'], { includes: { arches: ['ppc64le'] } }),
    allow(['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr'], { includes: { arches: ['s390x'] } }),
    allow(['riscv_flush_icache'], { includes: { arches: ['riscv64'] } }),
    // Threads and processes, but no new namespaces, without CAP_SYS_ADMIN (s390 passes clone's flags second).
    allow(['clone'], {
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390x'] },
    }),
    allow(['clone'], {
      args: [{ index: 1, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      includes: { arches: ['s390x'] },
      excludes: { caps: ['CAP_SYS_ADMIN'] },
    }),
    allow(['unshare'], {
      args: [{ index: 0, value: UNSHARE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      excludes: { caps: ['CAP_SYS_ADMIN'] },
    }),
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    // Tracing is safe with seccomp from 4.8 on (a tracer can no longer change a syscall after the filter ran).
    allow(['ptrace', 'process_vm_readv', 'process_vm_writev'], { includes: { minKernel: '4.8' } }),
    // What a capability grants in the kernel, the filter grants with it.
    allow(
      [
        'bpf', 'clone', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie',
        'mount', 'mount_setattr', 'move_mount', 'open_tree', 'perf_event_open', 'pivot_root', 'quotactl',
        'quotactl_fd', 'setdomainname', 'sethostname', 'setns', 'syslog', 'umount', 'umount2', 'unshare',
      ],
      { includes: { caps: ['CAP_SYS_ADMIN'] } },
    ),
    allow(['bpf'], { includes: { caps: ['CAP_BPF'] } }),
    allow(['perf_event_open'], { includes: { caps: ['CAP_PERFMON'] } }),
    allow(['chroot'], { includes: { caps: ['CAP_SYS_CHROOT'] } }),
    allow(['reboot'], { includes: { caps: ['CAP_SYS_BOOT'] } }),
    allow(['init_module', 'finit_module', 'delete_module'], { includes: { caps: ['CAP_SYS_MODULE'] } }),
    allow(['acct'], { includes: { caps: ['CAP_SYS_PACCT'] } }),
    allow(['ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd', 'process_madvise', 'userfaultfd'], {
      includes: { caps: ['CAP_SYS_PTRACE'] },
    }),
    allow(['iopl', 'ioperm'], { includes: { caps: ['CAP_SYS_RAWIO'] } }),
    allow(['settimeofday', 'stime', 'clock_settime', 'clock_settime64'], { includes: { caps: ['CAP_SYS_TIME'] } }),
    allow(['vhangup'], { includes: { caps: ['CAP_SYS_TTY_CONFIG'] } }),
    allow(['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'], { includes: { caps: ['CAP_SYS_NICE'] } }),
    allow(['syslog'], { includes: { caps: ['CAP_SYSLOG'] } }),
    allow(['open_by_handle_at'], { includes: { caps: ['CAP_DAC_READ_SEARCH'] } }),
  ],
};
