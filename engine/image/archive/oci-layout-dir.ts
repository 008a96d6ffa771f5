// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`): every image its index.json
// lists is copied into the store, blob by blob through the verifying BlobSink.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageStore } from '../store';
import { digestHex } from '../store/digest';
import { ImageError, type Descriptor, type ImageIndex } from '../types';
import { parseJsonQuietly } from '../../text/json-text';
import { importReachable } from './reachable-blobs';

const MAX_DOCUMENT = 1024 * 1024;
const MAX_TOP_LEVEL = 1024;

export async function readSmallJson<T>(path: string, what: string): Promise<T> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) throw new ImageError(`${what} is missing`, 'NOT_FOUND');
  if (st.size > MAX_DOCUMENT) throw new ImageError(`${what} is ${st.size} bytes; the limit is ${MAX_DOCUMENT}`, 'TOO_LARGE');
  try {
    return parseJsonQuietly(await readFile(path, 'utf8')) as T;
  } catch (err) {
    throw new ImageError(`${what} is ${(err as Error).message}`, 'INVALID_JSON');
  }
}

/** Validates index.json's shape and returns its top-level descriptors. */
export function topDescriptors(index: Partial<ImageIndex>, what: string): Descriptor[] {
  if (!Array.isArray(index.manifests)) throw new ImageError(`${what} has no manifests list`, 'BAD_IMAGE');
  if (index.manifests.length > MAX_TOP_LEVEL) throw new ImageError(`${what} lists more than ${MAX_TOP_LEVEL} images`, 'TOO_LARGE');
  return index.manifests;
}

export async function copyFileToStore(store: ImageStore, path: string, d: Descriptor): Promise<boolean> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) return false;
  if (await store.blobs.has(d.digest)) return true;
  const w = await store.blobs.writer(d.digest, st.size);
  try {
    if (w.offset < st.size) for await (const chunk of createReadStream(path, { start: w.offset })) await w.write(chunk as Buffer);
    await w.commit();
  } catch (err) {
    await w.abort();
    throw err;
  }
  if (d.size !== undefined && d.size !== st.size) {
    throw new ImageError(`blob ${d.digest} is ${st.size} bytes, its descriptor says ${d.size}`, 'SIZE_MISMATCH');
  }
  return true;
}

export async function importLayoutDir(store: ImageStore, dir: string): Promise<Descriptor[]> {
  const layout = await readSmallJson<{ imageLayoutVersion?: unknown }>(join(dir, 'oci-layout'), `${dir}/oci-layout`);
  if (typeof layout.imageLayoutVersion !== 'string') throw new ImageError(`${dir}/oci-layout has no imageLayoutVersion`, 'BAD_IMAGE');
  const tops = topDescriptors(await readSmallJson<Partial<ImageIndex>>(join(dir, 'index.json'), `${dir}/index.json`), `${dir}/index.json`);
  const fetch = (d: Descriptor): Promise<boolean> => copyFileToStore(store, join(dir, 'blobs', 'sha256', digestHex(d.digest)), d);
  for (const top of tops) {
    if (!(await importReachable(store, top, fetch))) throw new ImageError(`${dir}: blob ${top.digest} listed in index.json is missing`, 'NOT_FOUND');
  }
  return tops;
}
