// Lazy access to koffi and the C library. Nothing here runs at import time, so importing the engine never
// fails on a machine without koffi's prebuilt binary or without a symbol: the first call that needs one throws
// NativeUnavailableError instead, naming what is missing.
import { getSystemErrorMap } from 'node:util';
import type * as K from 'koffi';

export type Koffi = typeof K;
export type KoffiLib = K.IKoffiLib;

export class NativeUnavailableError extends Error {
  readonly code = 'ERR_PODSMITH_NATIVE_UNAVAILABLE';
  /** What is missing and why, kept apart so a nested failure reads "X is not available: Y could not be loaded". */
  readonly subject: string;
  readonly because: string;
  constructor(subject: string, because: string, cause?: unknown) {
    super(`${subject} is not available on this machine: ${because}`, { cause });
    this.name = 'NativeUnavailableError';
    this.subject = subject;
    this.because = because;
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// The constants in these modules (socket flags, ioctl numbers) are the generic Linux ABI values; MIPS, SPARC,
// PowerPC and Alpha use different ones, so refuse there rather than issue wrong ioctls.
const GENERIC_ABI_ARCHES = new Set(['x64', 'arm64', 'arm', 'ia32', 'riscv64', 'loong64']);

let koffiModule: Koffi | undefined;
let koffiFailure: NativeUnavailableError | undefined;

export function koffi(): Koffi {
  if (koffiModule) return koffiModule;
  if (koffiFailure) throw koffiFailure;
  try {
    // A plain require keeps the dependency optional at run time (and lets bundlers mark it external).
    koffiModule = require('koffi') as Koffi;
    return koffiModule;
  } catch (e) {
    koffiFailure = new NativeUnavailableError('the koffi FFI module', `could not be loaded (${describe(e)})`, e);
    throw koffiFailure;
  }
}

let libcHandle: KoffiLib | undefined;

export function libc(): KoffiLib {
  if (libcHandle) return libcHandle;
  if (process.platform !== 'linux') throw new NativeUnavailableError('libc bindings', `are Linux only (this is ${process.platform})`);
  if (!GENERIC_ABI_ARCHES.has(process.arch)) throw new NativeUnavailableError('libc bindings', `do not know the ABI constants of ${process.arch}`);
  try {
    libcHandle = koffi().load('libc.so.6');
  } catch (e) {
    if (e instanceof NativeUnavailableError) throw e;
    throw new NativeUnavailableError('libc.so.6', `could not be loaded (${describe(e)})`, e);
  }
  return libcHandle;
}

/**
 * Declares a group of bindings on first use and caches them (or the failure). `what` names the group in the
 * error, e.g. "pseudo-terminal support (openpty)".
 */
export function lazyBindings<T>(what: string, declare: (lib: KoffiLib, k: Koffi) => T): () => T {
  let value: T | undefined;
  let failure: NativeUnavailableError | undefined;
  return () => {
    if (value !== undefined) return value;
    if (failure) throw failure;
    try {
      value = declare(libc(), koffi());
      return value;
    } catch (e) {
      failure = new NativeUnavailableError(what, e instanceof NativeUnavailableError ? `${e.subject} ${e.because}` : describe(e), e);
      throw failure;
    }
  };
}

/** errno of the last C call on this thread; read it right after the call, before anything else runs. */
export function lastErrno(): number {
  return koffi().errno();
}

let errorMap: Map<number, [string, string]> | undefined;

/** An Error shaped like Node's own system errors (code 'EAGAIN', errno -11, syscall), so callers can share handling. */
export function errnoException(syscall: string, errno: number, path?: string): NodeJS.ErrnoException {
  errorMap ??= getSystemErrorMap();
  const [code, text] = errorMap.get(-errno) ?? [`E${errno}`, 'unknown error'];
  const err: NodeJS.ErrnoException = new Error(`${code}: ${text}, ${syscall}${path ? ` '${path}'` : ''}`);
  err.code = code;
  err.errno = -errno;
  err.syscall = syscall;
  if (path) err.path = path;
  return err;
}

/** Throws the errno as an exception when a C call returned a negative result; returns the result otherwise. */
export function check(syscall: string, result: number, path?: string): number {
  if (result < 0) throw errnoException(syscall, lastErrno(), path);
  return result;
}

// Linux errno values that mean "not now, try when the fd is ready".
export const EAGAIN = 11;
export const EINTR = 4;
export const EINPROGRESS = 115;

/** True for errors that only mean the non-blocking call would have blocked. */
export function wouldBlock(errno: number): boolean {
  return errno === EAGAIN || errno === EINTR;
}
