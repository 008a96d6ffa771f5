// From a container's image to the module it runs. Images are pulled and stored like any other
// (engine/pods/native/images.ts, pull policies included); then the manifest says which of the two wasm
// shapes it is (engine/image/bundle/wasm.ts): a wasm layer (the module is that blob) or an ordinary image
// whose program is a `.wasm` file, which is unpacked like a container rootfs and preopened at `/`.
import { lstat, readFile, realpath } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { detectWasm, resolveWorkingDir, type WasmArtifact } from '../../image/bundle';
import { isIndexType } from '../../image/media-types';
import { hostPlatform, selectManifest } from '../../image/registry/platform';
import type { ImageStore } from '../../image/store';
import type { ImageConfig, ImageIndex, ImageManifest } from '../../image/types';
import { createRootfs } from '../../image/unpack';
import type { PodContainer } from '../native/pod-spec';
import { PodError } from '../types';
import { MAX_MODULE_BYTES } from './modules';

const MAX_DOCUMENT = 4 * 1024 * 1024;

export interface WasmImage {
  artifact: WasmArtifact;
  config: ImageConfig;
  bytes: Buffer;
  /** For a .wasm entrypoint: the unpacked image (preopened at `/`) and the directory that holds it. */
  rootfs?: { dir: string; path: string };
}

function imageError(container: string, image: string, why: string, code: 'IMAGE' | 'LIMIT' = 'IMAGE'): PodError {
  return new PodError(`container "${container}": image ${image}: ${why}`, code, { container });
}

/** The manifest for this host: a wasm platform entry of an index first (wasm artifacts are platform-neutral). */
async function manifestOf(store: ImageStore, digest: string): Promise<ImageManifest> {
  let current = digest;
  for (let depth = 0; depth < 3; depth++) {
    const doc = await store.blobs.readJson<Partial<ImageIndex & ImageManifest>>(current, MAX_DOCUMENT);
    if (!Array.isArray(doc.manifests) && !isIndexType(doc.mediaType ?? '')) return doc as ImageManifest;
    const index = doc as ImageIndex;
    const wasm = index.manifests.find((m) => m.platform?.architecture === 'wasm');
    current = (wasm ?? selectManifest(index, hostPlatform())).digest;
  }
  throw new Error('indexes nested too deeply');
}

export async function resolveWasmImage(store: ImageStore, container: PodContainer, imageDigest: string, containerDir: string): Promise<WasmImage> {
  const image = container.image ?? '';
  let manifest: ImageManifest;
  let config: ImageConfig;
  try {
    manifest = await manifestOf(store, imageDigest);
    if (!Array.isArray(manifest.layers)) throw new Error('the manifest has no layers');
    // A wasm artifact's config is not an image config (often `application/vnd.wasm.config.v0+json` or empty).
    config = manifest.config ? await store.blobs.readJson<ImageConfig>(manifest.config.digest, MAX_DOCUMENT).catch(() => ({}) as ImageConfig) : ({} as ImageConfig);
  } catch (err) {
    throw imageError(container.name, image, (err as Error).message);
  }
  const artifact = detectWasm(manifest, config, container);
  if (!artifact)
    throw imageError(container.name, image, 'not a WebAssembly module: it has no wasm layer (application/wasm or application/vnd.wasm.content.layer.v1+wasm) and its program is not a .wasm file');

  if (artifact.kind === 'wasm-layer') {
    const size = await store.blobs.size(artifact.layerDigest);
    if (size === undefined) throw imageError(container.name, image, `its wasm layer ${artifact.layerDigest} is not in the image store`);
    if (size > MAX_MODULE_BYTES) throw imageError(container.name, image, `its module is ${size} bytes; the limit is ${MAX_MODULE_BYTES} (256 MiB)`, 'LIMIT');
    return { artifact, config, bytes: await store.blobs.readBytes(artifact.layerDigest, MAX_MODULE_BYTES) };
  }

  // A copy, not an overlay: the sandbox's id is given the whole tree (sandbox.ts), which on an overlay would
  // copy every file up anyway, and an overlay cannot be an idmapped mount.
  const rootfs = await createRootfs(store, { image: imageDigest, dir: containerDir, method: 'copy' });
  const guestPath = posix.resolve(resolveWorkingDir(config, container), artifact.path);
  // Read without following a symlink out of the image: the image must not make us read a host file.
  let host = rootfs.path;
  for (const part of guestPath.split('/').filter(Boolean)) {
    host = join(host, part);
    const st = await lstat(host).catch(() => undefined);
    if (!st) throw imageError(container.name, image, `its program ${guestPath} does not exist in the image`);
    if (st.isSymbolicLink()) {
      const real = await realpath(host).catch(() => '');
      if (!real.startsWith(rootfs.path + '/')) throw imageError(container.name, image, `its program ${guestPath} is a link that leaves the image`);
    }
  }
  const st = await lstat(await realpath(host));
  if (!st.isFile()) throw imageError(container.name, image, `its program ${guestPath} is not a regular file`);
  if (st.size > MAX_MODULE_BYTES) throw imageError(container.name, image, `its module ${guestPath} is ${st.size} bytes; the limit is ${MAX_MODULE_BYTES} (256 MiB)`, 'LIMIT');
  return { artifact, config, bytes: await readFile(host), rootfs: { dir: rootfs.dir, path: rootfs.path } };
}
