// Where the image store keeps things, under `<PODSMITH_HOME>/images/`:
//
//   blobs/sha256/<hex>        verified blobs (manifests, configs, compressed layers), 0644, read-only by convention
//   ingest/<hex>              a partial download kept for resume; ingest/<hex>.lock serialises its writers
//   tmp/                      blobs being imported whose digest is not known yet (load)
//   layers/<chain hex>/       unpacked layers: root/ (the files) + meta.json (see unpack/layer-meta.ts)
//   rootfs-refs/<hash>.json   rootfs directories assembled from cached layers, which prune must keep
//   index.json                image names -> manifest digests
//   locks/store.lock          shared by every writer, exclusive for prune
//   locks/names.lock          serialises updates of index.json
//   locks/layer-<hex>.lock    serialises unpacking of one layer
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { digestHex } from './digest';
import type { Digest } from '../types';

export class StorePaths {
  constructor(readonly root: string) {}

  get blobs(): string {
    return join(this.root, 'blobs', 'sha256');
  }
  blob(d: Digest): string {
    return join(this.blobs, digestHex(d));
  }
  get ingest(): string {
    return join(this.root, 'ingest');
  }
  partial(d: Digest): string {
    return join(this.ingest, digestHex(d));
  }
  ingestLock(d: Digest): string {
    return join(this.ingest, digestHex(d) + '.lock');
  }
  get tmp(): string {
    return join(this.root, 'tmp');
  }
  get layers(): string {
    return join(this.root, 'layers');
  }
  layer(chainId: Digest): string {
    return join(this.layers, digestHex(chainId));
  }
  layerLock(chainId: Digest): string {
    return join(this.locks, `layer-${digestHex(chainId)}.lock`);
  }
  get rootfsRefs(): string {
    return join(this.root, 'rootfs-refs');
  }
  get index(): string {
    return join(this.root, 'index.json');
  }
  get locks(): string {
    return join(this.root, 'locks');
  }
  get storeLock(): string {
    return join(this.locks, 'store.lock');
  }
  get namesLock(): string {
    return join(this.locks, 'names.lock');
  }

  /** Creates every directory owner-only (0700): image contents may be private. */
  async create(): Promise<void> {
    for (const d of [this.root, this.blobs, this.ingest, this.tmp, this.layers, this.rootfsRefs, this.locks]) {
      await mkdir(d, { recursive: true, mode: 0o700 });
    }
  }
}
