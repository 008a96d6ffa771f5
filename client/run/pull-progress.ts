// Pull progress for a notification: bytes over all blobs of the images a run pulls, and a one-line message.
// A notification's bar only moves forward, so the tally hands out increments. No VS Code imports.
import type { PullProgress } from '../../engine/image/types';
import { formatBytes } from '../../engine/cli/commands/transfer-progress';

interface Blob {
  bytes: number;
  size: number;
}

export class PullTally {
  private readonly blobs = new Map<string, Blob>();
  private image?: string;
  private reported = 0;

  update(image: string, p: PullProgress): void {
    this.image = image;
    switch (p.type) {
      case 'blob-start':
        this.blobs.set(p.digest, { bytes: this.blobs.get(p.digest)?.bytes ?? 0, size: p.size });
        break;
      case 'blob-progress':
        this.blobs.set(p.digest, { bytes: p.bytes, size: p.size });
        break;
      case 'blob-done': {
        const b = this.blobs.get(p.digest);
        if (b) b.bytes = b.size;
        break;
      }
      default:
        break;
    }
  }

  get bytes(): number {
    let n = 0;
    for (const b of this.blobs.values()) n += Math.min(b.bytes, b.size);
    return n;
  }

  get total(): number {
    let n = 0;
    for (const b of this.blobs.values()) n += b.size;
    return n;
  }

  /** "pulling nginx:1.25: 1.2 MiB / 3.4 MiB", or undefined before anything is known. */
  message(): string | undefined {
    if (!this.image) return undefined;
    return this.total > 0 ? `pulling ${this.image}: ${formatBytes(this.bytes)} / ${formatBytes(this.total)}` : `pulling ${this.image}`;
  }

  /** Percent points gained since the last call (for Progress.report's increment). */
  increment(): number {
    const pct = this.total > 0 ? Math.floor((this.bytes / this.total) * 100) : 0;
    const inc = Math.max(0, pct - this.reported);
    this.reported = Math.max(this.reported, pct);
    return inc;
  }
}
