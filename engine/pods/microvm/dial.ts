// dial: a TCP connection to a port on the pod's loopback, for port-forward. A microVM pod has no network
// namespace on the host to enter; its containers share the guest's, so the guest agent connects there and the
// bytes travel on the channel (agent-client.ts dial, agent/dial.ts), flow-controlled per connection.
import type { Duplex } from 'node:stream';
import { PodError } from '../types';
import { AgentError } from './agent-client';
import type { VmContext } from './context';
import { findVmPod } from './names';
import { readVmPod } from './records';
import { DIAL_REFUSED } from './protocol/messages';

export async function dialVmPod(ctx: VmContext, ref: string, port: number): Promise<Duplex> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new PodError(`port must be an integer 1..65535, got ${port}`, 'INVALID');
  const uid = await findVmPod(ctx.home, ref);
  const pod = await readVmPod(ctx.home, uid);
  if (!pod) throw new PodError(`pod ${ref} not found`, 'NOT_FOUND');
  if (pod.lifecycle === 'creating') throw new PodError(`pod ${pod.name} is still being created`, 'BUSY');
  if (pod.lifecycle !== 'running' || pod.vmDied || !ctx.vmAlive(pod)) throw new PodError(`pod ${pod.name} is not running (its VM is not up)`, 'NOT_RUNNING');
  const agent = await ctx.agent(pod, 10_000).catch((err: Error) => {
    throw new PodError(`pod ${pod.name}: the guest agent does not answer: ${err.message}`, 'RUNTIME');
  });
  try {
    return await agent.dial(port);
  } catch (err) {
    if (err instanceof AgentError && err.code === DIAL_REFUSED) throw new PodError(err.message, 'NOT_RUNNING');
    if (err instanceof AgentError && err.code === 'NOT_RUNNING') throw new PodError(`pod ${pod.name} is not running in its VM`, 'NOT_RUNNING');
    throw new PodError(`pod ${pod.name}: ${(err as Error).message}`, 'RUNTIME');
  }
}
