// Connects a pod's network namespace to the host with pasta (Debian package passt): outbound connectivity
// through an interface that copies the host's addresses, and the pod's hostPorts forwarded from the host.
//
// Lifetime: pasta daemonizes once it is set up (its listening sockets bound, the namespace configured), so
// the launching process exits and pasta belongs to no one: it survives a daemon restart. Its pid and start
// time go to the caller's state file; stopPasta() and pastaStatus() read that file, so a restarted daemon
// can find, check and stop it. pasta does not notice the pod's end by itself (it holds the namespace by
// fd): the pod runtime calls stopPasta() when it tears the pod down.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { assertNotHostNetns, closeQuietly, netnsInode, nsenterArgs, openNetns, type NetnsRef } from './netns';
import { pastaArgs, type HostPortMapping } from './pasta-args';
import { processExe, processStartTicks, sameProcess, terminateProcess } from './process-identity';
import { findExecutable, lastLines, runTool } from './run-tool';

export interface StartPastaOptions {
  /** The pod's network namespace: its pause process's pid, or a namespace path. */
  netns: NetnsRef;
  /** Where to record pasta's pid (JSON). Its directory is created 0700. */
  stateFile: string;
  hostPorts?: HostPortMapping[];
  /** Default true: see PastaArgsOptions.outbound. */
  outbound?: boolean;
  allowHostLoopback?: boolean;
  /** See PastaArgsOptions.udpRemap. */
  udpRemap?: boolean;
  /** Default: the state file's path with ".log" appended. pasta caps it at 1 MiB. */
  logFile?: string;
  /** Default: pasta on PATH. */
  pastaPath?: string;
  /**
   * The namespace pasta's host side lives in (default: the caller's). Tests give it a namespace of their own
   * with its own "upstream", so outbound traffic never leaves the machine.
   */
  hostNetns?: NetnsRef;
  timeoutMs?: number;
}

/** What the state file holds. */
export interface PastaRecord {
  pid: number;
  /** The process's start time in clock ticks since boot: tells our pasta from a later process with its pid. */
  startTicks: number;
  netnsInode: number;
  hostPorts: HostPortMapping[];
  outbound: boolean;
  logFile: string;
  args: string[];
  startedAt: string;
  /** How long pasta took to be ready (spawn to daemonized). */
  startMs: number;
}

export interface PastaStatus {
  record?: PastaRecord;
  running: boolean;
}

const PASTA_NETNS_FD = 3; // first fd after stdio

export class PastaUnavailableError extends Error {}

/** pasta's stderr without the noise it prints when there is no syslog (/dev/log) to send to. */
function cleanPastaOutput(s: string): string {
  return s
    .split('\n')
    .filter((l) => !/^Failed to send \d+ bytes to syslog/.test(l) && !/^Don't run as root/.test(l))
    .join('\n');
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function writeRecord(stateFile: string, record: PastaRecord): void {
  const tmp = `${stateFile}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, stateFile);
}

export function readPastaRecord(stateFile: string): PastaRecord | undefined {
  const text = readText(stateFile);
  if (!text) return undefined;
  try {
    const r = JSON.parse(text) as PastaRecord;
    return Number.isInteger(r.pid) && Number.isInteger(r.startTicks) ? r : undefined;
  } catch {
    return undefined;
  }
}

function nsenter(): string {
  const p = findExecutable('nsenter');
  if (!p) throw new Error('nsenter not found: install it with `apt-get install -y util-linux`');
  return p;
}

/** Our pasta is the recorded pid, with the recorded start time, running a passt binary. */
function isOurPasta(r: PastaRecord): boolean {
  if (!sameProcess(r.pid, r.startTicks)) return false;
  const exe = processExe(r.pid);
  return exe === undefined || /^pass?t/.test(basename(exe)); // unreadable exe: trust pid + start time
}

/**
 * Starts pasta for the pod and records it in `stateFile`. Resolves once pasta is ready: host ports are bound
 * and (with outbound) the pod's interface is configured. Throws with pasta's own message when it fails.
 */
export async function startPasta(opts: StartPastaOptions): Promise<PastaRecord> {
  const pasta = findExecutable(opts.pastaPath ?? 'pasta');
  if (!pasta) throw new PastaUnavailableError(`${opts.pastaPath ?? 'pasta'} not found: install it with \`apt-get install -y passt\``);
  if (opts.hostNetns === undefined) assertNotHostNetns(opts.netns);
  else if (netnsInode(opts.hostNetns) === netnsInode(opts.netns)) throw new Error('the pod namespace and pasta\'s host namespace are the same');
  const existing = readPastaRecord(opts.stateFile);
  if (existing && isOurPasta(existing)) throw new Error(`pasta is already running for this pod (pid ${existing.pid}, ${opts.stateFile})`);
  mkdirSync(dirname(opts.stateFile), { recursive: true, mode: 0o700 });
  const pidFile = `${opts.stateFile}.pid`;
  const logFile = opts.logFile ?? `${opts.stateFile}.log`;
  rmSync(pidFile, { force: true });
  const inode = netnsInode(opts.netns);
  const args = pastaArgs({
    hostPorts: opts.hostPorts,
    outbound: opts.outbound,
    allowHostLoopback: opts.allowHostLoopback,
    udpRemap: opts.udpRemap,
    pidFile,
    logFile,
    netnsFd: PASTA_NETNS_FD,
    runAs: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
  });
  const fd = openNetns(opts.netns);
  let r;
  try {
    const file = opts.hostNetns === undefined ? pasta : nsenter();
    const argv = opts.hostNetns === undefined ? args : [...nsenterArgs(opts.hostNetns), pasta, ...args];
    r = await runTool(file, argv, { extraFds: [fd], timeoutMs: opts.timeoutMs ?? 10_000 });
  } finally {
    closeQuietly(fd);
  }
  const pid = Number(readText(pidFile).trim());
  rmSync(pidFile, { force: true });
  if (r.code !== 0 || !Number.isInteger(pid) || pid <= 0) {
    if (Number.isInteger(pid) && pid > 0) await terminateProcess(pid, 200);
    const why = lastLines(cleanPastaOutput(r.stderr) || readText(logFile), 3) || r.error || `exit code ${r.code}`;
    throw new Error(`pasta failed to attach to the pod's network namespace: ${why}`);
  }
  const startTicks = processStartTicks(pid);
  if (startTicks === undefined) {
    throw new Error(`pasta exited right after starting: ${lastLines(readText(logFile), 3) || 'no log'}`);
  }
  const record: PastaRecord = {
    pid,
    startTicks,
    netnsInode: inode,
    hostPorts: opts.hostPorts ?? [],
    outbound: opts.outbound ?? true,
    logFile,
    args: [pasta, ...args],
    startedAt: new Date().toISOString(),
    startMs: Math.round(r.ms * 10) / 10,
  };
  try {
    writeRecord(opts.stateFile, record);
  } catch (e) {
    await terminateProcess(pid, 200); // an unrecorded pasta would be a leak nobody could find
    throw e;
  }
  return record;
}

/** Whether the recorded pasta is still running (after a daemon restart: is the pod still connected?). */
export function pastaStatus(stateFile: string): PastaStatus {
  const record = readPastaRecord(stateFile);
  return { ...(record ? { record } : {}), running: record !== undefined && isOurPasta(record) };
}

/**
 * Stops the recorded pasta (SIGTERM, SIGKILL after `graceMs`) and removes the state and log files.
 * Idempotent: a missing state file or an already-exited pasta is fine. Returns whether a pasta was stopped.
 */
export async function stopPasta(stateFile: string, graceMs = 1000): Promise<boolean> {
  const record = readPastaRecord(stateFile);
  let stopped = false;
  if (record && isOurPasta(record)) {
    if (!(await terminateProcess(record.pid, graceMs))) throw new Error(`pasta (pid ${record.pid}) did not exit`);
    stopped = true;
  }
  if (record?.logFile) rmSync(record.logFile, { force: true });
  rmSync(`${stateFile}.pid`, { force: true });
  rmSync(stateFile, { force: true });
  return stopped;
}
