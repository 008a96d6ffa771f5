// A pod reference (uid, name, namespace/name) to a microVM pod's uid. NOT_FOUND for other runtimes' pods: the
// daemon asks each runtime in turn. Names are claimed in the links every runtime shares (native/state.ts).
import { readlink } from 'node:fs/promises';
import { nameLink } from '../native/paths';
import { PodError } from '../types';
import { readVmPod } from './records';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function resolveVmPod(home: string, ref: string): Promise<string | undefined> {
  if (UUID.test(ref) && (await readVmPod(home, ref))) return ref;
  const slash = ref.indexOf('/');
  const [namespace, name] = slash < 0 ? ['default', ref] : [ref.slice(0, slash), ref.slice(slash + 1)];
  const uid = await readlink(nameLink(home, namespace, name)).catch(() => undefined);
  return uid && (await readVmPod(home, uid)) ? uid : undefined;
}

export async function findVmPod(home: string, ref: string): Promise<string> {
  const uid = await resolveVmPod(home, ref);
  if (!uid) throw new PodError(`pod ${ref} not found`, 'NOT_FOUND');
  return uid;
}
