// A pod reference (uid, name, namespace/name) to a microVM pod's uid. NOT_FOUND for other runtimes' pods: the
// daemon asks each runtime in turn. Names are claimed in the links every runtime shares (native/pod-names.ts).
import { lookupName, splitPodRef } from '../native/pod-names';
import { PodError } from '../types';
import { readVmPod } from './records';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function resolveVmPod(home: string, ref: string): Promise<string | undefined> {
  if (UUID.test(ref) && (await readVmPod(home, ref))) return ref;
  const { namespace, name } = splitPodRef(ref);
  const uid = await lookupName(home, namespace, name);
  return uid && (await readVmPod(home, uid)) ? uid : undefined;
}

export async function findVmPod(home: string, ref: string): Promise<string> {
  const uid = await resolveVmPod(home, ref);
  if (!uid) throw new PodError(`pod ${ref} not found`, 'NOT_FOUND');
  return uid;
}
