// A new network namespace starts with `lo` down: not even 127.0.0.1 works until it is brought up. Node
// cannot enter a namespace, so `ip` runs inside it through nsenter (iproute2's ip, else busybox's applet).
import { describeNetns, nsenterArgs, type NetnsRef } from './netns';
import { describeFailure, findExecutable, runTool } from './run-tool';

export interface LoopbackState {
  up: boolean;
  /** 127.0.0.1 is assigned. */
  ipv4: boolean;
  /** ::1 is assigned (absent when IPv6 is disabled in the namespace). */
  ipv6: boolean;
}

const TIMEOUT_MS = 10_000;

/** The `ip` to run: iproute2's, else busybox's applet (argv prefix). */
function ipCommand(): string[] {
  const ip = findExecutable('ip');
  if (ip) return [ip];
  const busybox = findExecutable('busybox');
  if (busybox) return [busybox, 'ip'];
  throw new Error('no `ip` tool: install it with `apt-get install -y iproute2`');
}

async function ipInNetns(ref: NetnsRef, args: string[], input?: string): Promise<string> {
  const nsenter = findExecutable('nsenter');
  if (!nsenter) throw new Error('nsenter not found: install it with `apt-get install -y util-linux`');
  const r = await runTool(nsenter, [...nsenterArgs(ref), ...ipCommand(), ...args], { timeoutMs: TIMEOUT_MS, input });
  if (r.code !== 0) {
    const what = input ? input.trim().split('\n').join('; ') : args.join(' ');
    throw new Error(describeFailure(`ip ${what} in network namespace ${describeNetns(ref)}`, r));
  }
  return r.stdout;
}

/** Parses `ip addr show dev lo` (iproute2 and busybox print the same text format). */
export function parseLoopback(text: string): LoopbackState {
  const flags = /<([^>]*)>/.exec(text)?.[1].split(',') ?? [];
  return {
    up: flags.includes('UP'),
    ipv4: /\binet 127\.0\.0\.1\//.test(text),
    ipv6: /\binet6 ::1\//.test(text),
  };
}

export async function loopbackState(ref: NetnsRef): Promise<LoopbackState> {
  return parseLoopback(await ipInNetns(ref, ['addr', 'show', 'dev', 'lo']));
}

/** Brings `lo` up in the namespace and checks that 127.0.0.1 is there; throws with the reason otherwise. */
export async function bringUpLoopback(ref: NetnsRef): Promise<LoopbackState> {
  let state: LoopbackState;
  if (ipCommand().length === 1) {
    // iproute2 runs both steps from one batch: one nsenter+ip process instead of two.
    state = parseLoopback(await ipInNetns(ref, ['-batch', '-'], 'link set dev lo up\naddr show dev lo\n'));
  } else {
    await ipInNetns(ref, ['link', 'set', 'dev', 'lo', 'up']);
    state = await loopbackState(ref);
  }
  if (!state.up || !state.ipv4) {
    throw new Error(`loopback in network namespace ${describeNetns(ref)} is not usable after "ip link set lo up" (up=${state.up}, 127.0.0.1=${state.ipv4})`);
  }
  return state;
}
