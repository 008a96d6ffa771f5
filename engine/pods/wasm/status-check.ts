// status.json comes from inside the sandbox, so the daemon reads it as untrusted input: a module that got out
// of WebAssembly (or just out of its preopens, to /s/pod/sandbox) can write anything there. Before any of it
// is used it must be at most MAX_STATUS_BYTES, parse, and have exactly the shape the supervisor writes:
// known phases and reasons' types, one container record per planned container (same names, same kinds, in
// order), whole numbers where numbers are counted, bounded strings. The supervisor's pid in it (its own, inside
// the sandbox's pid namespace) is replaced by pod.json's: the daemon never signals a pid the sandbox wrote.
import type { SupervisorState, WasmPodRecord } from './records';

export const MAX_STATUS_BYTES = 1024 * 1024;
/** Longest string field (reasons, messages, times); the supervisor cuts what it writes to fit. */
export const MAX_STATUS_STRING = 4096;

const PHASES = new Set(['starting', 'initializing', 'running', 'stopping', 'stopped', 'failed']);
const FAILURES = new Set(['START_FAILED', 'INIT_FAILED', 'LIMIT']);
const CONDITION_TYPES = new Set(['PodScheduled', 'Initialized', 'ContainersReady', 'Ready', 'PodReadyToStartContainers']);
const CONDITION_STATUS = new Set(['True', 'False', 'Unknown']);

class Invalid extends Error {}

type Obj = Record<string, unknown>;

function obj(v: unknown, at: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Invalid(`${at} is not an object`);
  return v as Obj;
}

function only(o: Obj, keys: string[], at: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new Invalid(`${at}.${k} is not a field the supervisor writes`);
}

function str(v: unknown, at: string, optional = false): void {
  if (v === undefined && optional) return;
  if (typeof v !== 'string' || v.length > MAX_STATUS_STRING) throw new Invalid(`${at} is not a string of at most ${MAX_STATUS_STRING} characters`);
}

function int(v: unknown, at: string, optional = false, min = 0): void {
  if (v === undefined && optional) return;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new Invalid(`${at} is not a whole number${min === 0 ? ' ≥ 0' : ''}`);
}

function num(v: unknown, at: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Invalid(`${at} is not a number ≥ 0`);
}

function bool(v: unknown, at: string): void {
  if (typeof v !== 'boolean') throw new Invalid(`${at} is not a boolean`);
}

function containerState(v: unknown, at: string): void {
  const s = obj(v, at);
  only(s, ['waiting', 'running', 'terminated'], at);
  if (Object.keys(s).length > 1) throw new Invalid(`${at} has more than one state`);
  if (s.waiting !== undefined) {
    const w = obj(s.waiting, `${at}.waiting`);
    only(w, ['reason', 'message'], `${at}.waiting`);
    str(w.reason, `${at}.waiting.reason`);
    str(w.message, `${at}.waiting.message`, true);
  }
  if (s.running !== undefined) {
    const r = obj(s.running, `${at}.running`);
    only(r, ['startedAt'], `${at}.running`);
    str(r.startedAt, `${at}.running.startedAt`);
  }
  if (s.terminated !== undefined) {
    const t = obj(s.terminated, `${at}.terminated`);
    only(t, ['exitCode', 'signal', 'reason', 'message', 'startedAt', 'finishedAt'], `${at}.terminated`);
    int(t.exitCode, `${at}.terminated.exitCode`, false, -(2 ** 31));
    int(t.signal, `${at}.terminated.signal`, true);
    str(t.reason, `${at}.terminated.reason`);
    str(t.message, `${at}.terminated.message`, true);
    str(t.startedAt, `${at}.terminated.startedAt`, true);
    str(t.finishedAt, `${at}.terminated.finishedAt`);
  }
}

function check(value: unknown, pod: WasmPodRecord): SupervisorState {
  const s = obj(value, 'status');
  only(s, ['version', 'uid', 'supervisor', 'phase', 'failure', 'reason', 'message', 'startTime', 'containers', 'conditions', 'timings', 'updatedAt'], 'status');
  if (s.version !== 1) throw new Invalid('status.version is not 1');
  if (s.uid !== pod.uid) throw new Invalid('status.uid is not the pod uid');
  if (typeof s.phase !== 'string' || !PHASES.has(s.phase)) throw new Invalid('status.phase is not a phase');
  if (s.failure !== undefined) {
    const f = obj(s.failure, 'status.failure');
    only(f, ['code', 'message', 'container'], 'status.failure');
    if (typeof f.code !== 'string' || !FAILURES.has(f.code)) throw new Invalid('status.failure.code is not a failure code');
    str(f.message, 'status.failure.message');
    if (f.container !== undefined && !pod.plans.some((p) => p.name === f.container)) throw new Invalid('status.failure.container is not a container of the pod');
  }
  str(s.reason, 'status.reason', true);
  str(s.message, 'status.message', true);
  str(s.startTime, 'status.startTime', true);
  str(s.updatedAt, 'status.updatedAt');
  if (!Array.isArray(s.containers) || s.containers.length !== pod.plans.length) throw new Invalid('status.containers is not one record per container');
  const specs = [...(pod.pod.spec.initContainers ?? []), ...pod.pod.spec.containers];
  s.containers.forEach((v: unknown, i: number) => {
    const at = `status.containers[${i}]`;
    const c = obj(v, at);
    only(c, ['name', 'kind', 'image', 'imageID', 'restartCount', 'instance', 'lastId', 'state', 'lastState', 'ready', 'started', 'backoff', 'backoffState', 'fuelLeft'], at);
    const plan = pod.plans.find((p) => p.name === specs[i]?.name);
    if (!plan || c.name !== plan.name || c.kind !== plan.kind) throw new Invalid(`${at} is not container "${specs[i]?.name}" of the pod`);
    str(c.image, `${at}.image`);
    str(c.imageID, `${at}.imageID`, true);
    int(c.restartCount, `${at}.restartCount`);
    str(c.instance, `${at}.instance`, true);
    str(c.lastId, `${at}.lastId`, true);
    containerState(c.state, `${at}.state`);
    containerState(c.lastState, `${at}.lastState`);
    bool(c.ready, `${at}.ready`);
    bool(c.started, `${at}.started`);
    if (c.backoff !== undefined) {
      const b = obj(c.backoff, `${at}.backoff`);
      only(b, ['seconds', 'until'], `${at}.backoff`);
      num(b.seconds, `${at}.backoff.seconds`);
      str(b.until, `${at}.backoff.until`);
    }
    if (c.backoffState !== undefined) {
      const b = obj(c.backoffState, `${at}.backoffState`);
      only(b, ['next', 'lastExit'], `${at}.backoffState`);
      num(b.next, `${at}.backoffState.next`);
      str(b.lastExit, `${at}.backoffState.lastExit`);
    }
    if (c.fuelLeft !== undefined && (typeof c.fuelLeft !== 'string' || !/^-?\d{1,20}$/.test(c.fuelLeft))) throw new Invalid(`${at}.fuelLeft is not a whole number`);
  });
  if (!Array.isArray(s.conditions) || s.conditions.length > CONDITION_TYPES.size) throw new Invalid('status.conditions is not a list of pod conditions');
  s.conditions.forEach((v: unknown, i: number) => {
    const at = `status.conditions[${i}]`;
    const c = obj(v, at);
    only(c, ['type', 'status', 'reason', 'message', 'lastTransitionTime'], at);
    if (typeof c.type !== 'string' || !CONDITION_TYPES.has(c.type)) throw new Invalid(`${at}.type is not a pod condition`);
    if (typeof c.status !== 'string' || !CONDITION_STATUS.has(c.status)) throw new Invalid(`${at}.status is not True, False or Unknown`);
    str(c.reason, `${at}.reason`, true);
    str(c.message, `${at}.message`, true);
    str(c.lastTransitionTime, `${at}.lastTransitionTime`);
  });
  if (s.timings !== undefined) {
    const t = obj(s.timings, 'status.timings');
    for (const [name, v] of Object.entries(t)) {
      if (!pod.plans.some((p) => p.name === name)) throw new Invalid(`status.timings.${name.slice(0, 64)} is not a container of the pod`);
      const x = obj(v, `status.timings.${name}`);
      only(x, ['compileMs', 'instantiateMs'], `status.timings.${name}`);
      num(x.compileMs, `status.timings.${name}.compileMs`);
      num(x.instantiateMs, `status.timings.${name}.instantiateMs`);
    }
  }
  const state = value as SupervisorState;
  state.supervisor = pod.supervisor ?? { pid: 0 };
  return state;
}

/** The state in `text` if it is one the supervisor could have written for `pod`, else why not. */
export function parseSupervisorState(text: string, pod: WasmPodRecord): { state: SupervisorState } | { problem: string } {
  if (Buffer.byteLength(text) > MAX_STATUS_BYTES) return { problem: `it is larger than ${MAX_STATUS_BYTES} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'it is not JSON' };
  }
  try {
    return { state: check(value, pod) };
  } catch (err) {
    if (err instanceof Invalid) return { problem: err.message };
    throw err;
  }
}

/** Cuts `text` to fit a status string (what the supervisor writes is never refused for its length). */
export function fitStatusString(text: string): string {
  return text.length <= MAX_STATUS_STRING ? text : `${text.slice(0, MAX_STATUS_STRING - 1)}…`;
}
