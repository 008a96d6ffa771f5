// Hand-written valid Pods for the schema tests: three ordinary ones and a rich one that uses most of the
// PodSpec (init and sidecar containers, every probe kind, security contexts, affinity, tolerations,
// topology spread, many volume types, env/envFrom, resources, lifecycle hooks).

export type Json = Record<string, unknown>;

export const MINIMAL_POD: Json = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'hello' },
  spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
};

export const WEB_POD: Json = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web', tier: 'frontend' }, annotations: { owner: 'team-a' } },
  spec: {
    containers: [
      {
        name: 'web',
        image: 'ghcr.io/example/web:2.1.0',
        imagePullPolicy: 'IfNotPresent',
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        env: [{ name: 'PORT', value: '8080' }],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: 1, memory: '256Mi' } },
        readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5 },
      },
    ],
  },
};

export const BATCH_POD: Json = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { generateName: 'report-', creationTimestamp: '2025-01-31T12:00:00Z' },
  spec: {
    restartPolicy: 'Never',
    activeDeadlineSeconds: 600,
    containers: [{ name: 'report', image: 'busybox:1.36', command: ['sh', '-c'], args: ['echo done'] }],
  },
};

export const RICH_POD: Json = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'rich',
    namespace: 'default',
    labels: { app: 'rich', 'app.kubernetes.io/part-of': 'demo' },
    annotations: { 'example.com/note': 'schema corpus' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rich-abc', uid: '5f1c1a2e-0000-4000-8000-000000000001', controller: true }],
    finalizers: ['example.com/cleanup'],
  },
  spec: {
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 45,
    dnsPolicy: 'ClusterFirst',
    dnsConfig: { nameservers: ['10.0.0.10'], searches: ['svc.cluster.local'], options: [{ name: 'ndots', value: '2' }] },
    hostname: 'rich',
    subdomain: 'headless',
    serviceAccountName: 'rich-sa',
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    shareProcessNamespace: true,
    priorityClassName: 'high',
    preemptionPolicy: 'PreemptLowerPriority',
    schedulerName: 'default-scheduler',
    runtimeClassName: 'runc',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    os: { name: 'linux' },
    hostAliases: [{ ip: '127.0.0.1', hostnames: ['local.test'] }],
    imagePullSecrets: [{ name: 'registry-creds' }],
    readinessGates: [{ conditionType: 'example.com/ready' }],
    schedulingGates: [{ name: 'example.com/wait' }],
    securityContext: {
      runAsUser: 1000,
      runAsGroup: 3000,
      runAsNonRoot: true,
      fsGroup: 2000,
      fsGroupChangePolicy: 'OnRootMismatch',
      supplementalGroups: [4000],
      supplementalGroupsPolicy: 'Merge',
      seccompProfile: { type: 'RuntimeDefault' },
      appArmorProfile: { type: 'RuntimeDefault' },
      seLinuxOptions: { level: 's0:c123,c456' },
      sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65000' }],
    },
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-a', 'zone-b'] }] }],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 50, preference: { matchExpressions: [{ key: 'disktype', operator: 'Exists' }] } },
        ],
      },
      podAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 10, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'cache' } } } },
        ],
      },
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          {
            topologyKey: 'kubernetes.io/hostname',
            labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['rich'] }] },
            namespaces: ['default'],
          },
        ],
      },
    },
    tolerations: [
      { key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ],
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { app: 'rich' } },
        minDomains: 2,
        nodeAffinityPolicy: 'Honor',
        nodeTaintsPolicy: 'Ignore',
        matchLabelKeys: ['pod-template-hash'],
      },
    ],
    initContainers: [
      {
        name: 'migrate',
        image: 'example/migrate:1.0',
        command: ['/migrate'],
        args: ['--up'],
        workingDir: '/work',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'FallbackToLogsOnError',
        envFrom: [{ configMapRef: { name: 'db-config' } }, { prefix: 'SECRET_', secretRef: { name: 'db-secret', optional: true } }],
        volumeMounts: [{ name: 'work', mountPath: '/work' }],
      },
      {
        name: 'log-shipper',
        image: 'example/shipper:3.2',
        restartPolicy: 'Always',
        startupProbe: { exec: { command: ['cat', '/tmp/started'] }, failureThreshold: 30, periodSeconds: 2 },
        volumeMounts: [{ name: 'logs', mountPath: '/logs', readOnly: true, recursiveReadOnly: 'IfPossible' }],
      },
    ],
    containers: [
      {
        name: 'app',
        image: 'example/app:4.5.6',
        imagePullPolicy: 'Always',
        stdin: false,
        tty: false,
        ports: [
          { name: 'http', containerPort: 8080, protocol: 'TCP' },
          { name: 'metrics', containerPort: 9090, hostPort: 19090, hostIP: '0.0.0.0', protocol: 'TCP' },
          { name: 'dns', containerPort: 5353, protocol: 'UDP' },
        ],
        env: [
          { name: 'MODE', value: 'production' },
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } } },
          { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' } } },
          { name: 'DB_HOST', valueFrom: { configMapKeyRef: { name: 'db-config', key: 'host', optional: false } } },
          { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-secret', key: 'password' } } },
        ],
        resources: {
          requests: { cpu: '250m', memory: '256Mi', 'ephemeral-storage': '1Gi' },
          limits: { cpu: '1', memory: '512Mi', 'example.com/gpu': 1 },
        },
        resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }, { resourceName: 'memory', restartPolicy: 'RestartContainer' }],
        livenessProbe: {
          httpGet: { path: '/livez', port: 8080, scheme: 'HTTP', host: '127.0.0.1', httpHeaders: [{ name: 'X-Probe', value: 'liveness' }] },
          initialDelaySeconds: 10,
          timeoutSeconds: 2,
          periodSeconds: 10,
          successThreshold: 1,
          failureThreshold: 3,
          terminationGracePeriodSeconds: 20,
        },
        readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 5 },
        startupProbe: { grpc: { port: 9090, service: 'health' }, failureThreshold: 30 },
        lifecycle: {
          postStart: { exec: { command: ['sh', '-c', 'echo started > /tmp/started'] } },
          preStop: { httpGet: { path: '/drain', port: 8080 } },
        },
        securityContext: {
          allowPrivilegeEscalation: false,
          privileged: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          runAsUser: 1000,
          procMount: 'Default',
          capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
          seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/app.json' },
        },
        volumeMounts: [
          { name: 'config', mountPath: '/etc/app', readOnly: true },
          { name: 'cache', mountPath: '/cache' },
          { name: 'logs', mountPath: '/logs', subPath: 'app', mountPropagation: 'None' },
          { name: 'secrets', mountPath: '/etc/secrets', readOnly: true },
          { name: 'projected', mountPath: '/var/run/projected', readOnly: true },
          { name: 'scratch', mountPath: '/scratch', subPathExpr: '$(POD_NAME)' },
        ],
        volumeDevices: [{ name: 'raw', devicePath: '/dev/xvdb' }],
      },
      {
        name: 'sidecar',
        image: 'example/sidecar:1.0',
        lifecycle: { preStop: { sleep: { seconds: 5 } } },
        resources: { requests: { cpu: 0.1, memory: '64Mi' } },
      },
    ],
    volumes: [
      { name: 'config', configMap: { name: 'app-config', defaultMode: 420, items: [{ key: 'app.yaml', path: 'app.yaml', mode: 256 }] } },
      { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '128Mi' } },
      { name: 'logs', emptyDir: {} },
      { name: 'work', emptyDir: { sizeLimit: '1Gi' } },
      { name: 'secrets', secret: { secretName: 'app-secret', optional: false, defaultMode: 256 } },
      { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
      { name: 'data', persistentVolumeClaim: { claimName: 'data-claim', readOnly: false } },
      { name: 'nfs', nfs: { server: 'nfs.example.com', path: '/exports', readOnly: true } },
      { name: 'csi', csi: { driver: 'secrets-store.csi.k8s.io', readOnly: true, volumeAttributes: { provider: 'vault' } } },
      { name: 'downward', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      {
        name: 'projected',
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { audience: 'api', expirationSeconds: 3600, path: 'token' } },
            { configMap: { name: 'ca-bundle', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { secret: { name: 'extra', optional: true } },
            { downwardAPI: { items: [{ path: 'cpu', resourceFieldRef: { containerName: 'app', resource: 'requests.cpu', divisor: '1m' } }] } },
          ],
        },
      },
      {
        name: 'scratch',
        ephemeral: {
          volumeClaimTemplate: {
            metadata: { labels: { type: 'scratch' } },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: 'fast',
              volumeMode: 'Filesystem',
              resources: { requests: { storage: '10Gi' } },
            },
          },
        },
      },
      {
        name: 'raw',
        ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOncePod'], volumeMode: 'Block', resources: { requests: { storage: '5Gi' } } } } },
      },
      { name: 'image', image: { reference: 'example/data:1.0', pullPolicy: 'IfNotPresent' } },
      { name: 'repo', gitRepo: { repository: 'https://example.com/repo.git', revision: 'main' } },
      { name: 'iscsi', iscsi: { targetPortal: '10.0.0.5:3260', iqn: 'iqn.2001-04.com.example:storage', lun: 0, fsType: 'ext4' } },
      { name: 'azure', azureDisk: { diskName: 'disk', diskURI: 'https://example/disk.vhd', cachingMode: 'ReadOnly', kind: 'Managed' } },
    ],
  },
};

export const VALID_PODS: Record<string, Json> = {
  minimal: MINIMAL_POD,
  web: WEB_POD,
  batch: BATCH_POD,
  rich: RICH_POD,
};
