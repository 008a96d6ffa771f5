// Concurrency stress on the real `pod-containers` engine through the real daemon: three clients (each its own
// connection) issue run, stop, delete and delete --force on overlapping pod names with seeded random timing,
// with status, list, logs and exec requests in between (what an editor asks while it shows pods).
// Every result must be a success or a named PodError that fits the operation (never a raw error, never a
// hang), a name never holds two pods, and after every round the leak checker finds nothing: no container,
// conmon, pasta, cgroup, mount, bundle or name left. PODSMITH_STRESS_SEED replays a failing case.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { connectDaemon } from '../../engine/client/connect';
import type { DaemonClient } from '../../engine/client/daemon-client';
import { PodError, type PodErrorCode } from '../../engine/pods/types';
import { buildBusyboxLayout, IMAGE, whyNoNativePods } from '../pods/fixtures';
import { LeakTracker } from '../support/leaks';
import { rng } from '../support/rng';
import { cleanupHome, daemonPid, makeHome, runMain, waitFor } from './support/harness';
import { alive } from './support/process-runtime';

const skip = whyNoNativePods();
const SEED = Number(process.env.PODSMITH_STRESS_SEED ?? 20261207);
const ROUNDS = 8;
const OPS_PER_CLIENT = 25;
const NAMES = ['s0', 's1', 's2', 's3'];
/** Far above what any operation here takes (grace periods are at most 2 s): past it, an operation hangs. */
const HANG_MS = 60_000;

type Op = 'run' | 'stop' | 'delete' | 'delete --force' | 'get' | 'list' | 'logs' | 'exec';

/** The named errors each operation may end with when others act on the same name at the same time. */
const ALLOWED: Record<Op, PodErrorCode[]> = {
  run: ['ALREADY_EXISTS', 'CANCELLED'],
  stop: ['NOT_FOUND', 'BUSY'],
  delete: ['NOT_FOUND', 'BUSY'],
  'delete --force': ['NOT_FOUND'],
  get: ['NOT_FOUND'],
  list: [],
  logs: ['NOT_FOUND'],
  // A container that is not running cannot take an exec: BUSY while its pod starts, NOT_RUNNING once it has
  // stopped (a stopped pod stays until deleted; README, Exec).
  exec: ['NOT_FOUND', 'BUSY', 'NOT_RUNNING'],
};

/** What the editor does beside: status, lists, logs and execs, on the same names. */
const READS: Op[] = ['get', 'list', 'logs', 'exec'];

/** A pod manifest; `network: none` skips pasta (its start and stop cost about 40 ms each). */
function pod(name: string, spec: Record<string, unknown>, network = true): string {
  const metadata = { name, ...(network ? {} : { annotations: { 'podsmith.io/network': 'none' } }) };
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata, spec });
}

/** Pods of three shapes: one that ignores SIGTERM, one with pasta and a trap, one with an init container. */
function manifest(name: string, pick: () => number): string {
  const terminationGracePeriodSeconds = 1 + Math.floor(pick() * 2);
  const trapping = { image: IMAGE, command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'] };
  const shape = Math.floor(pick() * 3);
  if (shape === 0) return pod(name, { terminationGracePeriodSeconds, containers: [{ name: 'a', image: IMAGE, command: ['sleep', '1000'] }] }, false);
  if (shape === 1) return pod(name, { terminationGracePeriodSeconds, containers: [{ name: 'a', ...trapping }, { name: 'b', image: IMAGE, command: ['sleep', '1000'] }] });
  return pod(name, { terminationGracePeriodSeconds, initContainers: [{ name: 'init', image: IMAGE, command: ['true'] }], containers: [{ name: 'a', ...trapping }] }, false);
}

describe('three clients run, stop and delete overlapping pods at random', { skip }, () => {
  let home: string;
  let leaks: LeakTracker;
  const clients: DaemonClient[] = [];
  const savedHome = process.env.PODSMITH_HOME;

  before(async () => {
    home = makeHome();
    process.env.PODSMITH_HOME = home;
    await buildBusyboxLayout(join(home, 'layout'));
    const loaded = await runMain(['load', '-i', join(home, 'layout'), '--name', IMAGE]);
    assert.equal(loaded.code, 0, loaded.err);
    leaks = new LeakTracker(home);
    for (let i = 0; i < 3; i++) {
      const client = await connectDaemon({ home, env: { ...process.env, PODSMITH_HOME: home } });
      clients.push(client);
    }
    await clients[0].subscribe({}, (e) => e.type !== 'pull' && leaks.uids.add(e.uid));
  });

  after(async () => {
    for (const c of clients.splice(0)) c.close();
    const pid = daemonPid(home);
    await runMain(['daemon', 'stop']);
    if (pid) await waitFor('the daemon to exit', () => !alive(pid));
    if (savedHome === undefined) delete process.env.PODSMITH_HOME;
    else process.env.PODSMITH_HOME = savedHome;
    if (home) assert.deepEqual(await cleanupHome(home), []);
  });

  it(`${ROUNDS} rounds of ${3 * OPS_PER_CLIENT} operations (seed ${SEED}): named results only, one pod per name, no leaks`, { timeout: 15 * 60_000 }, async (t) => {
    const outcomes = new Map<string, number>();
    const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    const failures: string[] = [];

    const perform = async (client: DaemonClient, op: Op, name: string, pick: () => number): Promise<void> => {
      const call = async (): Promise<unknown> => {
        if (op === 'run') return client.runPod({ manifest: manifest(name, pick) });
        if (op === 'stop') return client.stopPod({ pod: name, gracePeriodSeconds: pick() < 0.5 ? undefined : Math.floor(pick() * 3) });
        if (op === 'get') return client.getPod(name);
        if (op === 'list') return client.listPods();
        if (op === 'logs') {
          const logs = await client.logs({ pod: name, tail: 5 });
          logs.stream.resume();
          return logs.done;
        }
        if (op === 'exec') {
          const session = await client.exec({ pod: name, command: ['true'], tty: false, stdin: false });
          session.stdout.resume();
          session.stderr.resume();
          // Any exit code will do (the container may be killed meanwhile); a session error would not.
          const end = await session.ended;
          if (end.kind !== 'exit') throw new Error(`exec session ended with ${JSON.stringify(end)}`);
          return end;
        }
        return client.deletePod({ pod: name, force: op === 'delete --force' });
      };
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`hung for ${HANG_MS / 1000} s`)), HANG_MS)));
      try {
        await Promise.race([call(), hang]);
        count(`${op}: ok`);
      } catch (err) {
        if (err instanceof PodError && ALLOWED[op].includes(err.code)) count(`${op}: ${err.code}`);
        else failures.push(`${op} ${name}: ${err instanceof PodError ? err.code : (err as Error).name}: ${(err as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    };

    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all(
        clients.map(async (client, i) => {
          const pick = rng(SEED + round * 10 + i);
          const inFlight: Promise<void>[] = [];
          for (let n = 0; n < OPS_PER_CLIENT; n++) {
            const r = pick();
            const op: Op = r < 0.3 ? 'run' : r < 0.45 ? 'stop' : r < 0.6 ? 'delete' : r < 0.75 ? 'delete --force' : READS[Math.floor(pick() * READS.length)];
            const p = perform(client, op, NAMES[Math.floor(pick() * NAMES.length)], pick);
            // Half the time the next request goes out while this one is still under way.
            if (pick() < 0.5) await p;
            else inFlight.push(p);
            await new Promise((r) => setTimeout(r, Math.floor(pick() * 60)));
          }
          await Promise.all(inFlight);
        }),
      );
      const pods = await clients[0].listPods();
      const names = pods.map((p) => `${p.namespace}/${p.name}`);
      assert.equal(new Set(names).size, names.length, `round ${round}: one pod per name (${names.join(', ')})`);
      for (const uid of readdirSafe(join(home, 'pods'))) leaks.uids.add(uid);
      for (const p of pods) await clients[1].deletePod({ pod: p.uid, force: true });
      assert.deepEqual(await clients[2].listPods(), [], `round ${round}: every pod deleted`);
      assert.deepEqual(await leaks.check(), [], `round ${round}: nothing left`);
    }
    t.diagnostic(`outcomes: ${[...outcomes].sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
    assert.deepEqual(failures, []);
    // The mix really raced: operations on taken, missing and starting pods all happened.
    assert.ok((outcomes.get('run: ok') ?? 0) > 0 && (outcomes.get('run: ALREADY_EXISTS') ?? 0) > 0, [...outcomes].join(', '));
    assert.ok((outcomes.get('delete --force: ok') ?? 0) > 0 && (outcomes.get('stop: ok') ?? 0) > 0, [...outcomes].join(', '));
  });
});

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
