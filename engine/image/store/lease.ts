// The store-wide lease: every operation that adds to the store or relies on something being in it holds the
// store lock shared; prune holds it exclusively, so it never sweeps while a blob is being committed, an image
// tagged or a layer unpacked. Within one process the shared lock is reference-counted, so concurrent operations
// share one flock instead of spawning one each.
import { acquireLock, type HeldLock } from './lock';

/** How long an operation waits for a running prune before failing with BUSY. */
const LEASE_TIMEOUT_MS = 10 * 60_000;

export class StoreLease {
  private count = 0;
  private lock?: Promise<HeldLock>;

  constructor(private readonly lockPath: string) {}

  /** Takes the shared lease; the returned function gives it back (idempotent). */
  async acquire(): Promise<() => Promise<void>> {
    this.count++;
    if (!this.lock) this.lock = acquireLock(this.lockPath, 'shared', { timeoutMs: LEASE_TIMEOUT_MS, what: 'the image store (a prune is running)' });
    const mine = this.lock;
    try {
      await mine;
    } catch (err) {
      this.count--;
      if (this.lock === mine) this.lock = undefined;
      throw err;
    }
    let given = false;
    return async () => {
      if (given) return;
      given = true;
      if (--this.count === 0 && this.lock === mine) {
        this.lock = undefined;
        await (await mine).release();
      }
    };
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      await release();
    }
  }
}
