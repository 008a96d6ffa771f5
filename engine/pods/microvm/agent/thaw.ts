// What a clone does first after it is restored from a template (template.ts on the host): every clone starts
// from the same saved RAM, so its kernel RNG state and wall clock are the template's. Fresh bytes from the
// host are mixed into the input pool and the CRNG is reseeded from it at once (RNDRESEEDCRNG; a write to
// /dev/urandom alone is only drawn on at the next scheduled reseed), and the clock is set to the host's, to
// the nanosecond (busybox date takes whole seconds). The boot id is made by the kernel on its first read,
// which the agent of a template never does before this: each clone gets its own.
import { readFileSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { lazyBindings } from '../../../../native/libc';

/** _IO('R', 0x07): reseed the CRNG from the input pool (CAP_SYS_ADMIN; the agent is root in the guest). */
const RNDRESEEDCRNG = 0x5207;
const CLOCK_REALTIME = 0;

const bindings = lazyBindings('RNG reseeding and clock setting (ioctl, clock_settime)', (lib, k) => {
  const timespec = k.struct({ tv_sec: 'int64', tv_nsec: 'int64' });
  return {
    ioctl: lib.func('ioctl', 'int', ['int', 'ulong', 'ulong']),
    clockSettime: lib.func('clock_settime', 'int', ['int', k.pointer(timespec)]),
  };
});

export function reseedRandom(seed: Buffer): void {
  if (seed.length < 32) throw new Error('the seed is too short');
  writeFileSync('/dev/urandom', seed);
  const fd = openSync('/dev/urandom', 'r');
  try {
    if (bindings().ioctl(fd, RNDRESEEDCRNG, 0) !== 0) throw new Error('ioctl RNDRESEEDCRNG failed');
  } finally {
    closeSync(fd);
  }
}

export function setWallClock(epochMs: number): void {
  const ms = Math.floor(epochMs);
  const ts = { tv_sec: Math.floor(ms / 1000), tv_nsec: (ms % 1000) * 1_000_000 };
  if (bindings().clockSettime(CLOCK_REALTIME, ts) !== 0) throw new Error('clock_settime failed');
}

/** Loads the FFI bindings now (a template, before it is saved), so a clone's thaw does not pay for it. */
export function prepareThaw(): void {
  bindings();
}

export function kernelBootId(): string {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

/** Whether this guest booted to be saved as a template (the kernel command line says so). */
export function bootedAsTemplate(): boolean {
  try {
    return /(^|\s)podsmith\.mode=template(\s|$)/.test(readFileSync('/proc/cmdline', 'utf8'));
  } catch {
    return false;
  }
}
