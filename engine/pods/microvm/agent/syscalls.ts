// mount(2) and sethostname(2) called directly (koffi), for what pod.start does on its critical path: under
// TCG, each busybox process the agent spawns costs about 0.1 s (a fork of Node, an exec, both emulated),
// where the system call itself costs next to nothing. busybox remains the fallback should the FFI fail.
import { check, lazyBindings } from '../../../../native/libc';
import { busybox } from './tools';

export const MS_RDONLY = 1;

const calls = lazyBindings('mount and sethostname', (lib) => ({
  mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)') as (
    source: string,
    target: string,
    fstype: string,
    flags: number,
    data: string,
  ) => number,
  sethostname: lib.func('int sethostname(const char *name, size_t len)') as (name: string, len: number) => number,
}));

/** Mounts `source` (a 9p tag, `overlay`, `tmpfs`) of type `fstype` at `target`. */
export async function mountAt(source: string, target: string, fstype: string, data: string, flags = 0): Promise<void> {
  let fn: ReturnType<typeof calls> | undefined;
  try {
    fn = calls();
  } catch {
    fn = undefined;
  }
  if (fn) {
    check('mount', fn.mount(source, target, fstype, flags, data), target);
    return;
  }
  await busybox(['mount', '-t', fstype, '-o', `${flags & MS_RDONLY ? 'ro,' : ''}${data}`, source, target]);
}

export async function setHostnameTo(name: string): Promise<void> {
  let fn: ReturnType<typeof calls> | undefined;
  try {
    fn = calls();
  } catch {
    fn = undefined;
  }
  if (fn) {
    check('sethostname', fn.sethostname(name, Buffer.byteLength(name)), name);
    return;
  }
  await busybox(['hostname', name]);
}

/** Declares the bindings now (a template, before it is saved: a clone does not pay for loading them). */
export function prepareSyscalls(): void {
  try {
    calls();
  } catch {
    // busybox then.
  }
}
