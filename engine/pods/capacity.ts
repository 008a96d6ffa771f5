// The engine-wide caps (the seeds' MAX_PODS and MAX_CONTAINERS, LIMITS.podsPerEngine and containersPerEngine):
// every runtime class together holds at most 1,024 pods and 1,024 containers (init and app). A run takes a
// slot before its runtime allocates anything and gives it back if it fails, so concurrent runs cannot
// overshoot: the check and the reservation happen in one synchronous step.
//
// Pods are counted by `namespace/name` (unique across runtimes): a run whose name is already taken will fail
// with ALREADY_EXISTS, so it takes no second slot. The counts are kept in memory, loaded from the runtimes
// once; near the cap they are reloaded before a run is refused, so a pod that went some other way (a
// reconcile, another process) does not hold its slot for ever.
import { LIMITS } from '../limits';
import { PodError, type PodStatus } from './types';

export interface CapacityLimits {
  pods: number;
  containers: number;
}

export const DEFAULT_CAPACITY: CapacityLimits = { pods: LIMITS.podsPerEngine, containers: LIMITS.containersPerEngine };

interface Holding {
  key: string;
  containers: number;
}

export interface Reservation {
  /** The run succeeded: the slot now belongs to the pod. */
  commit(status: PodStatus): void;
  /** The run failed: the slot is free again. */
  release(): void;
}

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;
const containersOf = (s: PodStatus) => s.initContainerStatuses.length + s.containerStatuses.length;

export class PodCapacity {
  /** Pods that exist, by uid. */
  private known = new Map<string, Holding>();
  /** Runs in flight. */
  private readonly pending = new Map<symbol, Holding>();
  private loaded: Promise<void> | undefined;
  private reloading: Promise<void> | undefined;
  /** While a reload runs: what changed meanwhile, applied on top of what it read. */
  private changes: { added: Map<string, Holding>; removed: Set<string> } | undefined;

  constructor(
    private readonly limits: CapacityLimits,
    private readonly list: () => Promise<PodStatus[]>,
  ) {}

  /** Takes a slot for a pod with `containers` containers, or refuses with RESOURCE_EXHAUSTED. */
  async reserve(namespace: string | undefined, name: string | undefined, containers: number): Promise<Reservation> {
    // A pod without a readable name fails admission anyway; until then it counts as one of its own.
    const key = namespace && name ? keyOf(namespace, name) : `\0${Math.random()}`;
    this.loaded ??= this.reload().catch((err) => {
      this.loaded = undefined;
      throw err;
    });
    await this.loaded;
    if (this.refusal(key, containers)) await this.reload();
    const refused = this.refusal(key, containers);
    if (refused) throw refused;
    const token = Symbol(key);
    this.pending.set(token, { key, containers });
    return {
      commit: (status) => {
        this.pending.delete(token);
        this.add(status.uid, { key: keyOf(status.namespace, status.name), containers: containersOf(status) });
      },
      release: () => void this.pending.delete(token),
    };
  }

  /** A pod was deleted (by uid, `namespace/name` or `name`). */
  forget(ref: string): void {
    const key = ref.includes('/') ? ref : keyOf('default', ref);
    for (const [uid, h] of this.known) if (uid === ref || h.key === key) this.remove(uid);
  }

  forgetUid(uid: string): void {
    this.remove(uid);
  }

  private add(uid: string, h: Holding): void {
    this.known.set(uid, h);
    this.changes?.added.set(uid, h);
    this.changes?.removed.delete(uid);
  }

  private remove(uid: string): void {
    this.known.delete(uid);
    this.changes?.added.delete(uid);
    this.changes?.removed.add(uid);
  }

  /** Reads every runtime's pods again (one reload at a time; callers arriving meanwhile share it). */
  private reload(): Promise<void> {
    this.reloading ??= this.readAll().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async readAll(): Promise<void> {
    const changes = { added: new Map<string, Holding>(), removed: new Set<string>() };
    this.changes = changes;
    try {
      const pods = await this.list();
      const known = new Map<string, Holding>();
      for (const p of pods) if (!changes.removed.has(p.uid)) known.set(p.uid, { key: keyOf(p.namespace, p.name), containers: containersOf(p) });
      for (const [uid, h] of changes.added) known.set(uid, h);
      this.known = known;
    } finally {
      if (this.changes === changes) this.changes = undefined;
    }
  }

  /** Why a pod with this key and size does not fit now, or undefined. */
  private refusal(key: string, containers: number): PodError | undefined {
    const held = new Map<string, number>();
    for (const h of this.known.values()) held.set(h.key, h.containers);
    // Two runs of one name: only one can win, so the larger counts.
    const inFlight = new Map<string, number>();
    for (const h of this.pending.values()) if (!held.has(h.key)) inFlight.set(h.key, Math.max(inFlight.get(h.key) ?? 0, h.containers));
    if (held.has(key)) return undefined; // ALREADY_EXISTS from the runtime says more than a full engine would
    const pods = held.size + inFlight.size + (inFlight.has(key) ? 0 : 1);
    let total = containers;
    for (const n of held.values()) total += n;
    for (const [k, n] of inFlight) total += k === key ? Math.max(0, n - containers) : n;
    if (pods > this.limits.pods)
      return new PodError(
        `the engine already holds ${pods - 1} pods with the ones starting, and at most ${this.limits.pods} may exist at once (the engine-wide pod limit); delete pods with 'podsmith rm' first`,
        'RESOURCE_EXHAUSTED',
      );
    if (total > this.limits.containers)
      return new PodError(
        `this pod's ${containers} container${containers === 1 ? '' : 's'} would bring the engine to ${total}, and at most ${this.limits.containers} containers may exist at once (the engine-wide container limit); delete pods with 'podsmith rm' first`,
        'RESOURCE_EXHAUSTED',
      );
    return undefined;
  }
}
