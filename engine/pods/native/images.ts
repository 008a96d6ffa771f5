// Images for a pod: every distinct image pulled in parallel, with the kubelet's pull policies. The default
// policy is Always for `:latest` or untagged references and IfNotPresent otherwise; IfNotPresent uses an
// image already in the store (pulled or `podsmith load`ed) without touching the registry; Never requires it.
// The built-in `podsmith.local/busybox:1` is built from the host's busybox on first use.
import { ensureBuiltinImage, isBuiltinImage } from '../../image/builtin';
import { pullImage } from '../../image/pull';
import { parseReference } from '../../image/reference';
import { PodError, type PodEvent } from '../types';
import type { RuntimeContext } from './context';
import type { PodContainer } from './pod-spec';

type Policy = 'Always' | 'IfNotPresent' | 'Never';

export function defaultPullPolicy(image: string): Policy {
  try {
    const ref = parseReference(image);
    if (ref.digest) return 'IfNotPresent';
    return !ref.tag || ref.tag === 'latest' ? 'Always' : 'IfNotPresent';
  } catch {
    return 'IfNotPresent';
  }
}

/** Image (as written) → digest in the store, for every container. Rejects with IMAGE naming the container. */
export async function ensureImages(
  ctx: RuntimeContext,
  containers: PodContainer[],
  pod: { name: string },
  onEvent?: (e: PodEvent) => void,
  /** Ends pulls early (a forced delete cancelled the run). */
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  const store = await ctx.store();
  const wanted = new Map<string, { policy: Policy; container: string }>();
  for (const c of containers) {
    if (!c.image) throw new PodError(`container "${c.name}" has no image`, 'INVALID', { container: c.name });
    const policy = c.imagePullPolicy ?? defaultPullPolicy(c.image);
    const prev = wanted.get(c.image);
    // The strictest wish wins: one container asking Always pulls the image for all.
    if (!prev || policy === 'Always' || (policy === 'IfNotPresent' && prev.policy === 'Never')) wanted.set(c.image, { policy, container: c.name });
  }
  const results = await Promise.allSettled(
    [...wanted].map(async ([image, { policy, container }]): Promise<[string, string]> => {
      const fail = (why: string) => new PodError(`container "${container}": image ${image}: ${why}`, 'IMAGE', { container });
      // The built-in image is made from this host's busybox, never pulled.
      if (isBuiltinImage(image)) return [image, await ensureBuiltinImage(store, image).catch((err) => Promise.reject(fail((err as Error).message)))];
      let present: string | undefined;
      try {
        present = await store.resolveImage(image);
      } catch (err) {
        throw fail((err as Error).message);
      }
      if (policy === 'Never') {
        if (!present) throw fail('not in the image store and imagePullPolicy is Never (ErrImageNeverPull): load or pull it first');
        return [image, present];
      }
      if (policy === 'IfNotPresent' && present) return [image, present];
      try {
        const time = () => new Date().toISOString();
        const r = await pullImage(image, {
          store,
          ...ctx.options.pull,
          ...(signal ? { signal } : {}),
          onProgress: (progress) => {
            const e: PodEvent = { type: 'pull', time: time(), pod: pod.name, image, progress };
            onEvent?.(e);
            ctx.emit(e);
          },
        });
        return [image, r.digest];
      } catch (err) {
        throw fail(`pull failed (ErrImagePull): ${(err as Error).message}`);
      }
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return new Map(results.map((r) => (r as PromiseFulfilledResult<[string, string]>).value));
}
