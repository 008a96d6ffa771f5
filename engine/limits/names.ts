// name-rfc1123: the pod's name is an RFC 1123 subdomain; its namespace, container and volume names are RFC 1123
// labels. The engine uses them as ids and paths, so it refuses anything else. A template may omit its name.
import type { FixSpec, Report } from '../manifest/report';
import type { Path } from '../manifest/types';
import { dnsLabelProblem, dnsSubdomainProblem, toDnsLabel, toDnsSubdomain } from './name-syntax';
import { containersOf, objField, objItems, shown, strField, type ContainerGroup } from './pod-walk';
import { LIMITS } from './table';

const RULE = 'name-rfc1123';

const CONTAINER_NAME: Record<ContainerGroup, string> = {
  initContainers: 'Init container name',
  containers: 'Container name',
  ephemeralContainers: 'Ephemeral container name',
};

function report(path: Path, what: string, name: string, kind: string, problem: string, fixed: string | undefined, preferred: boolean): Report {
  const fixes: FixSpec[] = fixed ? [{ kind: 'set-value', title: `Rename to "${fixed}"`, value: fixed, preferred }] : [];
  const advice = fixed ? ` Use ${shown(fixed)} instead.` : '';
  return { rule: RULE, path, message: `${what} ${shown(name)} is not an RFC 1123 ${kind}: ${problem}.${advice}`, fixes };
}

function label(path: Path, what: string, name: string | undefined, max: number, preferred = true): Report[] {
  if (name === undefined) return [];
  const problem = dnsLabelProblem(name, max);
  return problem ? [report(path, what, name, `label (at most ${max} characters)`, problem, toDnsLabel(name, max), preferred)] : [];
}

export function checkNames(pod: unknown): Report[] {
  const meta = objField(pod, 'metadata');
  const out: Report[] = [];
  const podName = strField(meta, 'name');
  if (podName !== undefined) {
    const problem = dnsSubdomainProblem(podName, LIMITS.podNameLength);
    if (problem) {
      out.push(report(['metadata', 'name'], 'Pod name', podName, `subdomain (at most ${LIMITS.podNameLength} characters)`, problem,
        toDnsSubdomain(podName, LIMITS.podNameLength), true));
    }
  }
  out.push(...label(['metadata', 'namespace'], 'Namespace', strField(meta, 'namespace'), LIMITS.namespaceLength));
  for (const c of containersOf(pod)) {
    out.push(...label([...c.path, 'name'], CONTAINER_NAME[c.group], c.name, LIMITS.containerNameLength));
  }
  // Renaming a volume alone would orphan its mounts, so that repair is offered but never applied on its own.
  for (const { item, index } of objItems(objField(pod, 'spec'), 'volumes')) {
    out.push(...label(['spec', 'volumes', index, 'name'], 'Volume name', strField(item, 'name'), 63, false));
  }
  return out;
}
