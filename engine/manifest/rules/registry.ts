// Every rule Podsmith reports: a stable id, a default severity and one line saying why it matters.
// The README's rules table and the CLI's `--list-rules` are generated from this list.
import type { Severity } from '../types';

export type RuleCategory = 'syntax' | 'schema' | 'limit' | 'semantic' | 'runtime';

export interface RuleInfo {
  id: string;
  severity: Severity;
  category: RuleCategory;
  summary: string;
}

export const RULES: RuleInfo[] = [
  { id: 'yaml-syntax', severity: 'error', category: 'syntax', summary: 'The file is not valid YAML.' },
  { id: 'json-syntax', severity: 'error', category: 'syntax', summary: 'A `.json` file that is not strict JSON (trailing comma, comment, single quotes, unquoted key, NaN, duplicate key, ...): kubectl rejects it.' },
  { id: 'yaml-too-deep', severity: 'error', category: 'syntax', summary: 'Nesting so deep it can only be hostile input.' },
  { id: 'yaml-alias-limit', severity: 'error', category: 'syntax', summary: 'Too many alias expansions (an alias bomb).' },
  { id: 'not-text', severity: 'error', category: 'syntax', summary: 'The file holds binary data, not UTF-8 text.' },
  { id: 'manifest-too-large', severity: 'error', category: 'limit', summary: 'The file exceeds the 1 MiB manifest limit.' },
  { id: 'api-version', severity: 'error', category: 'schema', summary: 'The apiVersion does not serve this kind.' },
  { id: 'schema-unknown-field', severity: 'error', category: 'schema', summary: 'A field the Kubernetes schema does not define (strict, like kubeconform -strict).' },
  { id: 'schema-type', severity: 'error', category: 'schema', summary: 'A value of the wrong type (string, integer, boolean, object, array).' },
  { id: 'schema-enum', severity: 'error', category: 'schema', summary: 'A value outside the field\'s allowed set.' },
  { id: 'schema-required', severity: 'error', category: 'schema', summary: 'A required field is missing.' },
  { id: 'schema-format', severity: 'error', category: 'schema', summary: 'A malformed resource quantity, integer range or other formatted value.' },
  // Security limits (engine/limits): what run_pod refuses.
  { id: 'limit-containers', severity: 'error', category: 'limit', summary: 'More than 16 containers in a pod.' },
  { id: 'limit-init-containers', severity: 'error', category: 'limit', summary: 'More than 16 init containers in a pod.' },
  { id: 'limit-volumes', severity: 'error', category: 'limit', summary: 'More than 64 volumes in a pod.' },
  { id: 'limit-env-count', severity: 'error', category: 'limit', summary: 'More than 256 env vars in one container.' },
  { id: 'limit-env-value-size', severity: 'error', category: 'limit', summary: 'An env value over 32 KiB (UTF-8 bytes).' },
  { id: 'limit-labels', severity: 'error', category: 'limit', summary: 'More than 64 labels on a pod.' },
  { id: 'limit-annotations', severity: 'error', category: 'limit', summary: 'More than 64 annotations on a pod.' },
  { id: 'limit-label-key', severity: 'error', category: 'limit', summary: 'A label or annotation key over 253 bytes.' },
  { id: 'label-key-syntax', severity: 'error', category: 'limit', summary: 'A label or annotation key that is not `[dns-prefix/]name` (name: 63 chars of [A-Za-z0-9-_.]).' },
  { id: 'label-value-syntax', severity: 'error', category: 'limit', summary: 'A label value over 63 characters or with characters outside [A-Za-z0-9-_.].' },
  { id: 'limit-grace-period', severity: 'error', category: 'limit', summary: 'terminationGracePeriodSeconds above 300.' },
  { id: 'name-rfc1123', severity: 'error', category: 'limit', summary: 'A pod name that is not an RFC 1123 subdomain, or a namespace, container or volume name that is not an RFC 1123 label.' },
  { id: 'limit-image-ref', severity: 'error', category: 'limit', summary: 'An image reference over 512 bytes.' },
  { id: 'limit-memory', severity: 'error', category: 'limit', summary: 'A container memory request or limit above 8 GiB.' },
  { id: 'limit-microvm-cpu', severity: 'error', category: 'limit', summary: 'A microVM pod whose CPU limits add up to more than 8 vCPUs.' },
  { id: 'limit-microvm-memory', severity: 'error', category: 'limit', summary: 'A microVM pod whose memory limits add up to more than 4096 MiB.' },
  // Semantic rules (engine/manifest/rules): references that do not resolve, contradictions, collisions.
  { id: 'no-containers', severity: 'error', category: 'semantic', summary: 'An empty containers list: the pod has nothing to run.' },
  { id: 'duplicate-container-name', severity: 'error', category: 'semantic', summary: 'Two containers (init, app or ephemeral) with the same name.' },
  { id: 'duplicate-volume-name', severity: 'error', category: 'semantic', summary: 'Two volumes with the same name.' },
  { id: 'volume-mount-undeclared', severity: 'error', category: 'semantic', summary: 'A volumeMount or volumeDevice naming a volume the pod does not declare.' },
  { id: 'volume-file-mode', severity: 'error', category: 'semantic', summary: 'A volume defaultMode or item mode outside 0-0777 (octal): setuid, setgid and sticky bits are refused, as the API server does.' },
  { id: 'port-range', severity: 'error', category: 'semantic', summary: 'A container, host or probe port outside 1-65535 (hostPort: 0-65535).' },
  { id: 'duplicate-container-port', severity: 'warning', category: 'semantic', summary: 'The same containerPort and protocol declared twice among containers that share the network namespace.' },
  { id: 'duplicate-host-port', severity: 'error', category: 'semantic', summary: 'The same hostPort, protocol and hostIP published twice.' },
  { id: 'duplicate-port-name', severity: 'error', category: 'semantic', summary: 'Two ports of one container with the same name.' },
  { id: 'probe-port-undeclared', severity: 'error', category: 'semantic', summary: 'A probe or lifecycle hook naming a port the container does not declare.' },
  { id: 'requests-exceed-limits', severity: 'error', category: 'semantic', summary: 'A resource request above its limit.' },
  { id: 'duplicate-env-name', severity: 'warning', category: 'semantic', summary: 'The same env var set twice in one container; only the last value counts.' },
  // Workloads (engine/manifest/rules/workloads.ts): what the API server refuses beside the pod template.
  { id: 'workload-selector', severity: 'error', category: 'semantic', summary: 'A Deployment, ReplicaSet, StatefulSet, DaemonSet or Job (with manualSelector) whose selector is missing, empty, invalid or does not match its pod template\'s labels.' },
  { id: 'workload-name', severity: 'error', category: 'semantic', summary: 'A Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or CronJob name that is not an RFC 1123 subdomain (CronJob: at most 52 characters).' },
  // Runtime classes (engine/manifest/rules): what the chosen executor cannot honour.
  { id: 'unknown-runtime-class', severity: 'error', category: 'runtime', summary: 'A runtimeClassName the engine does not run (pod-containers, pod-wasm, pod-microvm-containers, alias pod-microvm).' },
  { id: 'wasm-exec', severity: 'error', category: 'runtime', summary: 'An exec probe or hook under pod-wasm: WASI preview 1 cannot start processes.' },
  { id: 'wasm-network-probe', severity: 'error', category: 'runtime', summary: 'An httpGet, tcpSocket or grpc probe or hook under pod-wasm: WASI preview 1 has no sockets.' },
  { id: 'wasm-privileged', severity: 'error', category: 'runtime', summary: 'privileged, allowPrivilegeEscalation or added capabilities under pod-wasm.' },
  { id: 'wasm-host-namespace', severity: 'error', category: 'runtime', summary: 'hostNetwork, hostPID, hostIPC or shareProcessNamespace under pod-wasm.' },
  { id: 'wasm-host-port', severity: 'error', category: 'runtime', summary: 'A hostPort under pod-wasm: the module cannot listen on sockets.' },
  { id: 'wasm-block-device', severity: 'error', category: 'runtime', summary: 'volumeDevices under pod-wasm: modules see files, not block devices.' },
  { id: 'wasm-ignored-setting', severity: 'info', category: 'runtime', summary: 'A Linux user, profile or tty setting that pod-wasm ignores.' },
  { id: 'microvm-host-namespace', severity: 'error', category: 'runtime', summary: 'hostNetwork, hostPID or hostIPC under a microVM class: the host is outside the VM.' },
  { id: 'microvm-host-path', severity: 'error', category: 'runtime', summary: 'A hostPath volume under a microVM class: it would break the VM boundary.' },
  // Suppression comments (engine/manifest/suppress.ts).
  { id: 'suppression-unknown-rule', severity: 'warning', category: 'syntax', summary: 'A podsmith-disable comment naming a rule that does not exist.' },
];

const byId = new Map(RULES.map((r) => [r.id, r]));

export function ruleInfo(id: string): RuleInfo | undefined {
  return byId.get(id);
}

export function defaultSeverity(id: string): Severity {
  return byId.get(id)?.severity ?? 'error';
}
