// A container's root filesystem from a stored image:
//
//   const r = await createRootfs(store, { image: 'busybox', dir: '/…/containers/ID' });
//   // r.path === '/…/containers/ID/rootfs'; r.method is 'overlay' or 'copy'
//   await removeRootfs(store, r.dir);
//
// Layers are unpacked once into the layer cache; every rootfs after that reuses them. With overlay the rootfs
// is a mount (cached layers read-only below, `<dir>/upper` takes the container's writes); without, the layers
// are copied in. `<dir>/rootfs.json` records what was done, and a record in the store keeps prune from
// deleting the layers while the rootfs exists.
import { chmod, lchown, lstat, mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ImageStore } from '../store';
import { isDigest } from '../store/digest';
import { addRootfsRef, removeRootfsRef, ROOTFS_MARKER } from '../store/rootfs-refs';
import { ImageError, type Digest } from '../types';
import { copyLayers } from './copy-rootfs';
import { mountOverlay, overlaySupported, unmount } from './overlay';
import { unpackImage, type UnpackedImage, type UnpackOptions } from './unpack-image';

export type RootfsMethod = 'overlay' | 'copy';

export interface CreateRootfsOptions extends UnpackOptions {
  /** An image name in the store, or a manifest/index digest. */
  image: string;
  /** The container's directory (created if missing; must not already hold a rootfs). */
  dir: string;
  /** 'auto' (default): overlay when it works here, else copy. */
  method?: 'auto' | RootfsMethod;
}

export interface Rootfs {
  dir: string;
  /** `<dir>/rootfs`. */
  path: string;
  method: RootfsMethod;
  image: UnpackedImage;
}

interface Marker {
  method: RootfsMethod;
  manifestDigest: Digest;
  layers: Digest[];
  createdAt: string;
}

const OWNED = ['rootfs', 'upper', 'work', 'l', ROOTFS_MARKER];

async function resolveDigest(store: ImageStore, image: string): Promise<Digest> {
  const d = isDigest(image) ? image : await store.resolveImage(image);
  if (!d || (await store.blobs.size(d)) === undefined) throw new ImageError(`image ${image} is not in the image store`, 'NOT_FOUND');
  return d;
}

export async function createRootfs(store: ImageStore, opts: CreateRootfsOptions): Promise<Rootfs> {
  const dir = resolve(opts.dir);
  const digest = await resolveDigest(store, opts.image);
  return store.withLease(async () => {
    const image = await unpackImage(store, digest, opts);
    const want = opts.method ?? 'auto';
    const overlayReady = image.layers.every((l) => l.meta.overlayWhiteouts);
    // An image without layers has nothing to mount: it is an empty directory either way.
    const canOverlay = overlayReady && image.layers.length > 0;
    const method: RootfsMethod = want === 'auto' ? (canOverlay && (await overlaySupported(store.paths.tmp)) ? 'overlay' : 'copy') : want;
    if (method === 'overlay' && !canOverlay) throw new ImageError('an overlay rootfs needs at least one layer, unpacked as root (whiteout devices)', 'UNSUPPORTED');

    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (await lstat(join(dir, 'rootfs')).catch(() => undefined)) throw new ImageError(`${dir} already holds a rootfs`, 'EXISTS');
    const path = join(dir, 'rootfs');
    const chains = image.layers.map((l) => l.chainId);
    // Recorded before anything is mounted, so a crash in between leaves the layers protected, not a dangling mount.
    await addRootfsRef(store.paths, { dir, layers: chains });
    try {
      await mkdir(path, { mode: 0o755 });
      if (method === 'overlay') {
        await mkdir(join(dir, 'upper'), { mode: 0o755 });
        await mkdir(join(dir, 'work'), { mode: 0o700 });
        // The merged root takes the upper dir's owner and mode: give it the image root's.
        const top = await lstat(image.layers.length ? image.layers[image.layers.length - 1].root : path);
        await lchown(join(dir, 'upper'), top.uid, top.gid).catch(() => {});
        await chmod(join(dir, 'upper'), top.mode & 0o7777);
        await mountOverlay(dir, image.layers.map((l) => l.root).reverse());
      } else {
        await copyLayers(image.layers.map((l) => ({ root: l.root, whiteouts: l.meta.whiteouts })), path);
      }
      const marker: Marker = { method, manifestDigest: image.manifestDigest, layers: chains, createdAt: new Date().toISOString() };
      await writeFile(join(dir, ROOTFS_MARKER), JSON.stringify(marker, null, 2) + '\n', { mode: 0o600 });
    } catch (err) {
      await cleanup(dir).catch(() => {});
      await removeRootfsRef(store.paths, dir);
      throw err;
    }
    return { dir, path, method, image };
  });
}

async function cleanup(dir: string): Promise<void> {
  await unmount(join(dir, 'rootfs'));
  for (const name of OWNED) await rm(join(dir, name), { recursive: true, force: true });
  await rmdir(dir).catch(() => {}); // only when nothing else lives there
}

/** Unmounts (if needed) and deletes what createRootfs made in `dir`; the layers stay cached. */
export async function removeRootfs(store: ImageStore, dir: string): Promise<void> {
  const abs = resolve(dir);
  // unmount() first and throws if it cannot: deleting through a live overlay would only fill its upper dir.
  await cleanup(abs);
  await removeRootfsRef(store.paths, abs);
}
