// Reads on raw file descriptors. The log readers use fds rather than FileHandles because a follower must open a
// newly rotated file synchronously, inside the fs.watch callback (see follow.ts), and only fds open synchronously.
// Rule that keeps this safe: an fd is closed only when no read on it is in flight (the readers close in the
// `finally` of a generator that is not awaiting), so a read can never hit a reused descriptor number.
import { close, fstat, read } from 'node:fs';

/** Reads up to `length` bytes at `position` into `buf` (from its start); resolves with the count read. */
export function readAt(fd: number, buf: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buf, 0, length, position, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead)));
  });
}

export function fdSize(fd: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fstat(fd, (err, st) => (err ? reject(err) : resolve(st.size)));
  });
}

/** Closes `fd`, ignoring errors (the descriptor is gone either way). */
export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve) => close(fd, () => resolve()));
}
