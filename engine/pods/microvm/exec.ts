// exec: a command in a running container of the VM, through the agent (runc exec in the guest), its streams
// multiplexed on the channel with flow control. The exit code is the command's (127/126 when it cannot be
// started, as on native pods); a VM that dies during the exec ends it with 137 and closes its streams.
import { PassThrough, type Readable } from 'node:stream';
import type { ExecRequest, ExecSession } from '../runtime';
import { PodError, type ContainerState } from '../types';
import { AgentError } from './agent-client';
import type { VmContext } from './context';
import { findVmPod } from './names';
import { readVmPod } from './records';

function stateText(s: ContainerState): string {
  if (s.terminated) return `terminated: exit code ${s.terminated.exitCode}, ${s.terminated.reason}${s.terminated.finishedAt ? `, at ${s.terminated.finishedAt}` : ''}`;
  if (s.waiting) return `waiting: ${s.waiting.reason}${s.waiting.message ? `, ${s.waiting.message}` : ''}`;
  return 'not started';
}

export async function execInVmPod(ctx: VmContext, req: ExecRequest): Promise<ExecSession> {
  const uid = await findVmPod(ctx.home, req.pod);
  const pod = await readVmPod(ctx.home, uid);
  if (!pod) throw new PodError(`pod ${req.pod} not found`, 'NOT_FOUND');
  const c = req.container ? pod.containers.find((x) => x.name === req.container) : pod.containers.find((x) => x.kind === 'app');
  if (!c) throw new PodError(`pod ${pod.name} has no container "${req.container}"`, 'NOT_FOUND', { container: req.container });
  if (pod.lifecycle === 'creating') throw new PodError(`pod ${pod.name} is still being created`, 'BUSY');
  if (req.command.length === 0) throw new PodError('exec needs a command', 'INVALID');
  const state = (await ctx.state(pod))?.containers.find((x) => x.name === c.name);
  if (pod.lifecycle !== 'running' || pod.vmDied || !ctx.vmAlive(pod) || !state?.state.running)
    throw new PodError(`container "${c.name}" of pod ${pod.name} is not running (${state ? stateText(state.state) : 'the VM is not running'})`, 'NOT_RUNNING', { container: c.name });
  const agent = await ctx.agent(pod, 10_000).catch((err: Error) => {
    throw new PodError(`pod ${pod.name}: the guest agent does not answer: ${err.message}`, 'RUNTIME');
  });
  let x;
  try {
    x = await agent.exec({ container: c.name, command: req.command, tty: req.tty, stdin: req.stdin, ...(req.size ? { columns: req.size.columns, rows: req.size.rows } : {}) });
  } catch (err) {
    if (err instanceof AgentError && err.code === 'NOT_RUNNING') throw new PodError(`container "${c.name}" of pod ${pod.name} is not running`, 'NOT_RUNNING', { container: c.name });
    throw new PodError(`exec in pod ${pod.name}: ${(err as Error).message}`, 'RUNTIME', { container: c.name });
  }
  // A VM that dies mid-exec: the command died with it (137), and its streams end where they were.
  const exit = x.exit.catch(() => 137);
  const ending = (s: Readable): Readable => {
    const p = new PassThrough();
    s.on('error', () => p.end());
    s.pipe(p);
    return p;
  };
  x.stdin?.on('error', () => undefined);
  return {
    ...(x.stdin ? { stdin: x.stdin } : {}),
    stdout: ending(x.stdout),
    ...(x.stderr ? { stderr: ending(x.stderr) } : {}),
    resize: (size) => x.resize(size.columns, size.rows),
    exit,
    kill: () => x.kill(),
  };
}
