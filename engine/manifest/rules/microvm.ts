// What the microVM runtime classes cannot honour: the pod runs inside its own VM with its own kernel, so the
// host's namespaces and filesystem are on the other side of the hardware boundary. Sharing them would undo
// the isolation the class is chosen for, so the engine refuses rather than quietly weakening it.
import { field, objField, objItems } from '../../limits/pod-walk';
import type { Report } from '../report';

export function checkMicrovmRuntime(pod: unknown, rc: string): Report[] {
  const out: Report[] = [];
  const spec = objField(pod, 'spec');
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (field(spec, key) !== true) continue;
    out.push({
      rule: 'microvm-host-namespace',
      path: ['spec', key],
      message: `${key} is set, but runtime class ${rc} runs the pod in its own VM with its own kernel; the host's namespaces are outside the VM boundary. Remove ${key}, or run the pod with pod-containers.`,
    });
  }
  for (const { item, index } of objItems(spec, 'volumes')) {
    if (field(item, 'hostPath') === undefined) continue;
    out.push({
      rule: 'microvm-host-path',
      path: ['spec', 'volumes', index, 'hostPath'],
      target: 'key',
      message: `A hostPath volume would expose a host directory inside the VM of runtime class ${rc}, breaking the VM boundary the class exists for. Use emptyDir, configMap or secret, or run the pod with pod-containers.`,
    });
  }
  return out;
}
