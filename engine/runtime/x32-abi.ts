// Whether this kernel runs x32-ABI system calls (x86-64 only). Debian's kernels are built with the x32 ABI but
// leave it off unless booted with syscall.x32=y. Where it is off, the containers' seccomp filters leave the
// x32 sub-architecture out: a third of the rules libseccomp compiles inside every runc start (about 5 ms of
// each container's start here), for calls the kernel would refuse anyway.
//
// Probed once per process, and in a child: a process under a seccomp filter that lacks x32 (an engine run in
// someone else's container) is killed by its first x32 call, and that must not be the daemon. perl is in
// every Debian system (perl-base is essential) and its syscall() makes the raw call; anything else it says,
// or its absence, keeps the x32 rules.
import { spawnSync } from 'node:child_process';
import { findExecutable } from './executables';

/** getpid with the x32 bit (__X32_SYSCALL_BIT | 39). */
const X32_GETPID = 0x4000_0027;

let known: boolean | undefined;

/** true: x32 calls run; false: the kernel refuses them; undefined: not x86-64, or the probe could not tell. */
export function x32AbiEnabled(): boolean | undefined {
  if (process.arch !== 'x64') return undefined;
  if (known !== undefined) return known;
  const perl = findExecutable('perl');
  if (!perl) return undefined;
  const r = spawnSync(perl, ['-e', `my $r = syscall(${X32_GETPID}); print $r == $$ ? "on" : $r == -1 ? "off" : "?"`], {
    encoding: 'utf8',
    timeout: 5000,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const said = r.status === 0 ? r.stdout.trim() : '';
  if (said === 'on' || said === 'off') known = said === 'on';
  return known;
}
