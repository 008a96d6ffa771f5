// Pseudo-terminals. Node can use a terminal it was given but cannot create one (no openpty), cannot set a
// window size on a pty it does not own as stdout (TIOCSWINSZ), and its tty.ReadStream treats a pty master
// as a slave: libuv leaves the fd blocking and writes synchronously, so a child that stops reading stdin
// would freeze the event loop. PtyMasterStream instead reads and writes the master non-blocking through
// FdHandle, and turns EIO (every slave closed: the session exited) into a clean end of stream.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, constants as fsConstants } from 'node:fs';
import { Duplex, type DuplexOptions } from 'node:stream';
import { AGAIN, FdClosedError, FdHandle, nonBlocking } from './fd-handle';
import { check, errnoException, lastErrno, lazyBindings, NativeUnavailableError } from './libc';

const O_RDWR = 0o2;
const O_NOCTTY = 0o400;
const O_CLOEXEC = 0o2000000; // neither end may leak into unrelated children Node spawns
const TIOCGWINSZ = 0x5413;
const TIOCSWINSZ = 0x5414;
const TIOCGPTPEER = 0x5441;
const TCSANOW = 0;
// struct termios: c_iflag, c_oflag, ... (tcflag_t = 32 bits); ONLCR as in the generic Linux ABI.
const C_OFLAG_OFFSET = 4;
const ONLCR = 0o4;
const EIO = 5;
// glibc's struct termios is 60 bytes on Linux; the buffer is opaque to us (cfmakeraw edits it), so over-allocate.
const TERMIOS_BYTES = 256;

export interface WindowSize {
  cols: number;
  rows: number;
  /** Pixel sizes are optional and rarely used; 0 when unknown. */
  widthPx?: number;
  heightPx?: number;
}

interface Winsize {
  ws_row: number;
  ws_col: number;
  ws_xpixel: number;
  ws_ypixel: number;
}

const fns = lazyBindings('pseudo-terminals (posix_openpt, ioctl, termios)', (lib, k) => {
  const winsize = k.struct({ ws_row: 'unsigned short', ws_col: 'unsigned short', ws_xpixel: 'unsigned short', ws_ypixel: 'unsigned short' });
  return {
    winsizeIn: k.pointer(winsize),
    winsizeOut: k.out(k.pointer(winsize)),
    posix_openpt: lib.func('int posix_openpt(int flags)') as (flags: number) => number,
    grantpt: lib.func('int grantpt(int fd)') as (fd: number) => number,
    unlockpt: lib.func('int unlockpt(int fd)') as (fd: number) => number,
    ptsname_r: lib.func('int ptsname_r(int fd, void *buf, size_t len)') as (fd: number, buf: Buffer, len: number) => number,
    ioctl: lib.func('int ioctl(int fd, unsigned long request, ...)') as (fd: number, req: number, ...rest: unknown[]) => number,
    tcgetattr: lib.func('int tcgetattr(int fd, void *termios)') as (fd: number, t: Buffer) => number,
    tcsetattr: lib.func('int tcsetattr(int fd, int when, void *termios)') as (fd: number, when: number, t: Buffer) => number,
    cfmakeraw: lib.func('void cfmakeraw(void *termios)') as (t: Buffer) => void,
    read: lib.func('intptr_t read(int fd, void *buf, size_t len)') as (fd: number, buf: Buffer, len: number) => number,
    write: lib.func('intptr_t write(int fd, void *buf, size_t len)') as (fd: number, buf: Buffer, len: number) => number,
  };
});

export interface PtyPair {
  /** The side the controlling program (us) reads output from and writes input to. */
  master: number;
  /** The side a child uses as its terminal (stdin/stdout/stderr). Close it here once the child has it. */
  slave: number;
  /** e.g. /dev/pts/3 */
  slavePath: string;
}

/** Opens a new pty pair, both ends close-on-exec, with an optional initial window size. */
export function openPty(size?: WindowSize): PtyPair {
  const f = fns();
  const master = check('posix_openpt', f.posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  try {
    check('grantpt', f.grantpt(master));
    check('unlockpt', f.unlockpt(master));
    const name = Buffer.alloc(128);
    const err = f.ptsname_r(master, name, name.length); // returns the error number itself, not -1
    if (err !== 0) throw errnoException('ptsname_r', err);
    const slavePath = name.subarray(0, name.indexOf(0)).toString();
    // TIOCGPTPEER opens the slave from the master itself, immune to a different /dev/pts being mounted.
    let slave = f.ioctl(master, TIOCGPTPEER, 'int', O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) slave = openSync(slavePath, fsConstants.O_RDWR | fsConstants.O_NOCTTY); // libuv adds O_CLOEXEC
    if (size) setWindowSize(master, size);
    return { master, slave, slavePath };
  } catch (e) {
    closeSync(master);
    throw e;
  }
}

/** Sets the window size (TIOCSWINSZ); the foreground process group of the terminal then gets SIGWINCH. */
export function setWindowSize(fd: number, size: WindowSize): void {
  const f = fns();
  for (const [k, v] of Object.entries(size)) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 0xffff)) throw new RangeError(`window size ${k} must be 0..65535, got ${v}`);
  }
  const ws: Winsize = { ws_row: size.rows, ws_col: size.cols, ws_xpixel: size.widthPx ?? 0, ws_ypixel: size.heightPx ?? 0 };
  check('ioctl(TIOCSWINSZ)', f.ioctl(fd, TIOCSWINSZ, f.winsizeIn, ws));
}

export function getWindowSize(fd: number): WindowSize {
  const f = fns();
  const ws = {} as Winsize;
  check('ioctl(TIOCGWINSZ)', f.ioctl(fd, TIOCGWINSZ, f.winsizeOut, ws));
  return { cols: ws.ws_col, rows: ws.ws_row, widthPx: ws.ws_xpixel, heightPx: ws.ws_ypixel };
}

/**
 * Puts the terminal in raw mode (cfmakeraw: no echo, no line editing, no signal keys, 8-bit clean). Terminal
 * settings are shared by both ends, so this works on the master too. Only for terminals we drive
 * programmatically: an interactive program sets its own modes.
 */
export function setRawMode(fd: number): void {
  const f = fns();
  const t = Buffer.alloc(TERMIOS_BYTES);
  check('tcgetattr', f.tcgetattr(fd, t));
  f.cfmakeraw(t);
  // cfmakeraw clears OPOST but leaves ONLCR set; a child that turns OPOST back on (runc's SetRaw on its stdin
  // does) would then translate \n again. c_oflag is the second 32-bit field of struct termios.
  t.writeUInt32LE(t.readUInt32LE(C_OFLAG_OFFSET) & ~ONLCR, C_OFLAG_OFFSET);
  check('tcsetattr', f.tcsetattr(fd, TCSANOW, t));
}

const READ_CHUNK = 64 * 1024;

/**
 * A pty master as a Duplex: readable = the terminal's output, writable = its input. Owns the fd. Reading ends
 * when the last slave closes (EIO), after which the stream finishes and closes the fd; destroying it early
 * hangs up the terminal (its session gets SIGHUP). Input written after the terminal hung up is dropped.
 */
export class PtyMasterStream extends Duplex {
  #handle: FdHandle;
  #wanted = false;
  #pumping = false;
  #scratch = Buffer.allocUnsafe(READ_CHUNK);

  constructor(fd: number, opts: DuplexOptions = {}) {
    super({ ...opts, allowHalfOpen: false });
    this.#handle = new FdHandle(fd);
  }

  get fd(): number {
    return this.#handle.fd;
  }

  resize(size: WindowSize): void {
    setWindowSize(this.#handle.fd, size);
  }

  windowSize(): WindowSize {
    return getWindowSize(this.#handle.fd);
  }

  override _read(): void {
    this.#wanted = true;
    if (!this.#pumping) void this.#pump();
  }

  // `#wanted` is set again by _read even while a push() is in progress, so no read request is ever lost.
  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#wanted && !this.destroyed) {
        this.#wanted = false;
        const chunk = await this.#handle.retry('readable', () => this.#readOnce());
        if (chunk === null) {
          this.push(null);
          return;
        }
        if (this.push(chunk)) this.#wanted = true;
      }
    } catch (e) {
      if (!(e instanceof FdClosedError)) this.destroy(e as Error);
    } finally {
      this.#pumping = false;
    }
  }

  #readOnce(): Buffer | null | typeof AGAIN {
    const n = fns().read(this.#handle.fd, this.#scratch, this.#scratch.length);
    if (n < 0 && lastErrno() === EIO) return null;
    const r = nonBlocking('read', n);
    if (r === AGAIN) return AGAIN;
    return r === 0 ? null : Buffer.from(this.#scratch.subarray(0, r));
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#writeAll(chunk).then(() => cb(), cb);
  }

  async #writeAll(chunk: Buffer): Promise<void> {
    const { write } = fns();
    for (let off = 0; off < chunk.length; ) {
      const rest = chunk.subarray(off);
      let n: number;
      try {
        n = await this.#handle.retry('writable', () => {
          const r = write(this.#handle.fd, rest, rest.length);
          return r < 0 && lastErrno() === EIO ? -1 : nonBlocking('write', r);
        });
      } catch (e) {
        if (e instanceof FdClosedError) return; // destroyed while waiting: the input has nowhere to go
        throw e;
      }
      if (n < 0) return; // hung up: nobody is left to read the input
      off += n;
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    cb(); // a pty has no half-close; the fd closes when the stream is destroyed
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    try {
      this.#handle.close();
    } catch (e) {
      err ??= e as Error;
    }
    cb(err);
  }
}

export interface PtySpawnOptions {
  size?: WindowSize;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Raw from the start: for a child that is itself a terminal proxy (runc exec -t has the container's own
   * pty do the line discipline). Cooked here too, output would be translated twice (\n -> \r\r\n) until
   * the child gets round to making it raw.
   */
  raw?: boolean;
}

export interface PtyProcess {
  child: ChildProcess;
  terminal: PtyMasterStream;
  slavePath: string;
}

let setsidPath: string | undefined;

/**
 * Starts `file args` on a new pty as its controlling terminal. Node cannot run code between fork and exec,
 * so `setsid -c` (util-linux, or busybox) does it: a new session, then TIOCSCTTY on stdin, then exec. The
 * child is not made a group leader first, so setsid does not fork and child.pid is the program's pid.
 */
export function spawnInPty(file: string, args: readonly string[], opts: PtySpawnOptions = {}): PtyProcess {
  setsidPath ??= ['/usr/bin/setsid', '/bin/setsid'].find((p) => existsSync(p));
  const [cmd, pre] = setsidPath
    ? [setsidPath, ['-c']]
    : existsSync('/bin/busybox')
      ? ['/bin/busybox', ['setsid', '-c']]
      : [undefined, []];
  if (!cmd) throw new NativeUnavailableError('spawnInPty', 'it needs setsid (util-linux or busybox) to give the child its controlling terminal');
  const pair = openPty(opts.size ?? { cols: 80, rows: 24 });
  let child: ChildProcess;
  try {
    if (opts.raw) setRawMode(pair.master);
    child = spawn(cmd, [...pre, '--', file, ...args], { stdio: [pair.slave, pair.slave, pair.slave], cwd: opts.cwd, env: opts.env });
  } catch (e) {
    closeSync(pair.master);
    throw e;
  } finally {
    // The child holds its own copies now; ours would keep the terminal open and EIO would never come.
    closeSync(pair.slave);
  }
  return { child, terminal: new PtyMasterStream(pair.master), slavePath: pair.slavePath };
}
