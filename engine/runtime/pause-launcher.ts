// The program that starts a direct pause (pause-direct.ts): a short Perl script, run by the `perl` every Debian
// system has (perl-base is Essential), because Node cannot run code in a child between fork and exec and
// util-linux's unshare/setpriv cannot load a seccomp filter. It does what runc does for the pause container,
// in one process of a few ms instead of conmon + runc create + runc start:
//   parent: joins the pause's cgroups (so everything after is accounted to the pod), unshares the mount,
//           network, IPC, UTS and pid namespaces, forks, and prints the child's pid once the child has
//           exec'd catatonit (a close-on-exec pipe tells), or the child's error;
//   child:  pid 1 of the new pid namespace; sets the hostname; makes the read-only pause rootfs its root with
//           pivot_root and detaches the old root (no host mount stays reachable, not even through
//           /proc/<pid>/root of a process sharing its pid namespace); RLIMIT_NOFILE; empties the capability
//           bounding set; setgroups/setresgid/setresuid to the pause user (which clears the other capability
//           sets), clears the inheritable set; no_new_privs; /dev/null on fds 0-2; loads the seccomp filter
//           (read from stdin, compiled by native/seccomp-bpf.ts); execs /catatonit -P.
// Arguments: flags hostname rootfs uid gid nofile-soft nofile-hard last_cap cgroup.procs-path...; the BPF
// program on stdin.
// Syscall numbers are per architecture; only x86-64 and arm64 are known here (others use the runtime pause).

const NUMBERS: Record<string, Record<string, number>> = {
  x64: { exit_group: 231, unshare: 272, sethostname: 170, mount: 165, umount2: 166, pivot_root: 155, prlimit64: 302, prctl: 157, setgroups: 116, setresgid: 119, setresuid: 117, capset: 126, seccomp: 317 },
  arm64: { exit_group: 94, unshare: 97, sethostname: 161, mount: 40, umount2: 39, pivot_root: 41, prlimit64: 261, prctl: 167, setgroups: 159, setresgid: 149, setresuid: 147, capset: 91, seccomp: 277 },
};

export const CLONE_NEWNS = 0x00020000;
export const CLONE_NEWUTS = 0x04000000;
export const CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;

/** The launcher script for this architecture, or undefined where its syscall numbers are not known. */
export function pauseLauncherScript(arch: string = process.arch): string | undefined {
  const nr = NUMBERS[arch];
  if (!nr) return undefined;
  const table = Object.entries(nr)
    .map(([k, v]) => `${k} => ${v}`)
    .join(', ');
  return `
# No modules (not even strict and POSIX): loading them costs more than the rest of the script.
my %NR = (${table});
# Arguments from the command line are strings: numify, or syscall() would pass them as pointers.
my ($flags, $hostname, $rootfs, $uid, $gid, $soft, $hard, $lastcap, @cgroups) = @ARGV;
($flags, $uid, $gid, $soft, $hard, $lastcap) = map { $_ + 0 } ($flags, $uid, $gid, $soft, $hard, $lastcap);
# syscall() may write through string arguments: it is given copies (literals are read-only).
sub sys { my ($name, @a) = @_; my $r = syscall($NR{$name}, @a); die "$name: $!\\n" if $r < 0; return $r; }
binmode STDIN; my $bpf = do { local $/; <STDIN> };
die "no seccomp program on stdin\\n" if !defined $bpf || length($bpf) == 0 || length($bpf) % 8;
open(my $null, '+<', '/dev/null') or die "/dev/null: $!\\n";
for my $path (@cgroups) {
  open(my $f, '>', $path) or die "$path: $!\\n";
  defined(syswrite($f, "0")) or die "joining $path: $!\\n";
  close($f);
}
sys('unshare', $flags);
pipe(my $r, my $w) or die "pipe: $!\\n";
my $pid = fork();
die "fork: $!\\n" unless defined $pid;
if ($pid == 0) {
  close($r);
  eval {
    sys('sethostname', $hostname, length($hostname)) if length($hostname);
    sys('mount', 0, '/', 0, 16384 | 262144, 0);                      # MS_REC | MS_PRIVATE
    sys('mount', $rootfs, $rootfs, 0, 4096 | 16384, 0);               # MS_BIND | MS_REC
    chdir($rootfs) or die "chdir $rootfs: $!\\n";
    sys('pivot_root', '.', '.');
    sys('umount2', '.', 2);                                           # MNT_DETACH
    chdir('/') or die "chdir /: $!\\n";
    sys('mount', 0, '/', 0, 32 | 4096 | 1 | 2 | 4, 0);                # MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV
    sys('prlimit64', 0, 7, pack('QQ', $soft, $hard), 0) if $hard;     # RLIMIT_NOFILE
    sys('prctl', 24, $_, 0, 0, 0) for 0 .. $lastcap;                  # PR_CAPBSET_DROP
    sys('setgroups', 1, pack('L', $gid));
    sys('setresgid', $gid, $gid, $gid);
    sys('setresuid', $uid, $uid, $uid);
    sys('capset', pack('Li', 0x20080522, 0), pack('L6', 0, 0, 0, 0, 0, 0));
    sys('prctl', 38, 1, 0, 0, 0);                                     # PR_SET_NO_NEW_PRIVS
    open(STDIN, '<&', $null) or die "stdin: $!\\n";
    open(STDOUT, '>&', $null) or die "stdout: $!\\n";
    open(STDERR, '>&', $null) or die "stderr: $!\\n";
    %ENV = (PATH => '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOSTNAME => $hostname);
    sys('seccomp', 1, 0, pack('S x6 P', length($bpf) / 8, $bpf));    # SECCOMP_SET_MODE_FILTER
    exec { '/catatonit' } '/catatonit', '-P';
    die "exec /catatonit: $!\\n";
  };
  syswrite($w, $@ || "failed\\n");
  syscall($NR{exit_group}, 127);                                      # no END blocks, no buffers flushed
}
close($w);
my $err = '';
while (sysread($r, my $buf, 4096)) { $err .= $buf; }
if (length $err) { waitpid($pid, 0); print STDERR $err; exit 1; }
print "$pid\\n";
exit 0;
`;
}
