// Deterministic inputs for the benchmark: the same bytes on every machine and every run, so numbers from
// different days compare. Everything is plain ASCII, so characters and bytes (and UTF-16 units) agree.

export const MIB = 1024 * 1024;

/** The 1 MiB limit is inclusive of nothing: stay strictly below it so Podsmith validates instead of rejecting. */
export const MULTI_DOC_MAX_BYTES = MIB - 1;

/** The value the keystroke scenario edits; appending one character makes it an invalid enum value. */
export const TOGGLE_VALUE = 'IfNotPresent';

export interface PodOptions {
  /** Makes names, labels and images differ between the pods of the multi-document file. */
  index?: number;
  /** Adds an unknown field and an invalid enum value, for the sanity check that both tools validate. */
  broken?: boolean;
}

/** A realistic pod of about 200 lines: three containers, an init container, probes, env, volumes, resources. */
export function podYaml(options: PodOptions = {}): string {
  const i = options.index ?? 0;
  const name = i === 0 ? 'checkout' : `checkout-${i}`;
  const tag = `1.${(i % 9) + 27}.${i % 5}`;
  const port = 8000 + (i % 100);
  const broken = options.broken === true;
  const lines = [
    '# Storefront checkout service: API server, Envoy-style proxy sidecar and a log shipper.',
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    `  name: ${name}`,
    '  namespace: shop',
    '  labels:',
    '    app.kubernetes.io/name: checkout',
    `    app.kubernetes.io/instance: ${name}`,
    `    app.kubernetes.io/version: "${tag}"`,
    '    app.kubernetes.io/component: api',
    '    app.kubernetes.io/part-of: storefront',
    '    tier: backend',
    '  annotations:',
    '    prometheus.io/scrape: "true"',
    `    prometheus.io/port: "${port + 1000}"`,
    '    prometheus.io/path: /metrics',
    `    storefront.example.com/owner: team-payments-${i % 7}`,
    'spec:',
    '  restartPolicy: Always',
    '  terminationGracePeriodSeconds: 45',
    '  dnsPolicy: ClusterFirst',
    '  enableServiceLinks: false',
    '  automountServiceAccountToken: false',
    '  nodeSelector:',
    '    kubernetes.io/os: linux',
    '  securityContext:',
    '    runAsNonRoot: true',
    '    runAsUser: 10001',
    '    runAsGroup: 10001',
    '    fsGroup: 10001',
    '    seccompProfile:',
    '      type: RuntimeDefault',
    '  initContainers:',
    '    - name: migrate',
    `      image: registry.example.com/shop/checkout-migrate:${tag}`,
    '      imagePullPolicy: IfNotPresent',
    '      command: ["/bin/migrate", "--config", "/etc/checkout/config.yaml", "up"]',
    '      env:',
    '        - name: DATABASE_URL',
    '          valueFrom:',
    '            secretKeyRef:',
    '              name: checkout-db',
    '              key: url',
    '      resources:',
    '        requests:',
    '          cpu: 50m',
    '          memory: 64Mi',
    '        limits:',
    '          cpu: 200m',
    '          memory: 128Mi',
    '      volumeMounts:',
    '        - name: config',
    '          mountPath: /etc/checkout',
    '          readOnly: true',
    '  containers:',
    '    - name: api',
    `      image: registry.example.com/shop/checkout:${tag}`,
    `      imagePullPolicy: ${broken ? 'Sometimes' : TOGGLE_VALUE}`,
    '      args: ["serve", "--config=/etc/checkout/config.yaml"]',
    '      ports:',
    '        - name: http',
    `          containerPort: ${port}`,
    '          protocol: TCP',
    '        - name: metrics',
    `          containerPort: ${port + 1000}`,
    '          protocol: TCP',
    '      env:',
    '        - name: LOG_LEVEL',
    '          value: info',
    '        - name: HTTP_PORT',
    `          value: "${port}"`,
    '        - name: POD_NAME',
    '          valueFrom:',
    '            fieldRef:',
    '              fieldPath: metadata.name',
    '        - name: POD_IP',
    '          valueFrom:',
    '            fieldRef:',
    '              fieldPath: status.podIP',
    '        - name: DATABASE_URL',
    '          valueFrom:',
    '            secretKeyRef:',
    '              name: checkout-db',
    '              key: url',
    '        - name: FEATURE_FLAGS',
    '          valueFrom:',
    '            configMapKeyRef:',
    '              name: checkout-config',
    '              key: features',
    '              optional: true',
    '      envFrom:',
    '        - configMapRef:',
    '            name: checkout-env',
    '          prefix: CHECKOUT_',
    ...(broken ? ['      restartPolicyy: Never'] : []),
    '      resources:',
    '        requests:',
    '          cpu: 250m',
    '          memory: 256Mi',
    '          ephemeral-storage: 100Mi',
    '        limits:',
    '          cpu: "1"',
    '          memory: 512Mi',
    '          ephemeral-storage: 1Gi',
    '      startupProbe:',
    '        httpGet:',
    '          path: /healthz/startup',
    '          port: http',
    '        failureThreshold: 30',
    '        periodSeconds: 2',
    '      livenessProbe:',
    '        httpGet:',
    '          path: /healthz/live',
    '          port: http',
    '        initialDelaySeconds: 5',
    '        periodSeconds: 10',
    '        timeoutSeconds: 2',
    '        failureThreshold: 3',
    '      readinessProbe:',
    '        httpGet:',
    '          path: /healthz/ready',
    '          port: http',
    '        periodSeconds: 5',
    '      securityContext:',
    '        allowPrivilegeEscalation: false',
    '        readOnlyRootFilesystem: true',
    '        capabilities:',
    '          drop: ["ALL"]',
    '      volumeMounts:',
    '        - name: config',
    '          mountPath: /etc/checkout',
    '          readOnly: true',
    '        - name: tmp',
    '          mountPath: /tmp',
    '        - name: logs',
    '          mountPath: /var/log/checkout',
    '    - name: proxy',
    `      image: registry.example.com/mesh/proxy:1.${(i % 4) + 29}.2`,
    '      imagePullPolicy: IfNotPresent',
    '      args: ["--config-path", "/etc/proxy/proxy.yaml", "--log-level", "warn"]',
    '      ports:',
    '        - name: proxy',
    `          containerPort: ${port + 2000}`,
    '        - name: admin',
    `          containerPort: ${port + 3000}`,
    '      resources:',
    '        requests:',
    '          cpu: 100m',
    '          memory: 64Mi',
    '        limits:',
    '          cpu: 500m',
    '          memory: 128Mi',
    '      readinessProbe:',
    '        tcpSocket:',
    '          port: proxy',
    '        periodSeconds: 5',
    '      livenessProbe:',
    '        exec:',
    '          command: ["/usr/local/bin/proxy-health"]',
    '        periodSeconds: 15',
    '      securityContext:',
    '        allowPrivilegeEscalation: false',
    '        readOnlyRootFilesystem: true',
    '      volumeMounts:',
    '        - name: proxy-config',
    '          mountPath: /etc/proxy',
    '          readOnly: true',
    '    - name: log-shipper',
    '      image: registry.example.com/observability/shipper:2.2.0',
    '      imagePullPolicy: IfNotPresent',
    '      env:',
    '        - name: SHIPPER_INPUT',
    '          value: /var/log/checkout/*.log',
    '        - name: SHIPPER_OUTPUT',
    '          value: https://logs.example.com/ingest',
    '      resources:',
    '        requests:',
    '          cpu: 20m',
    '          memory: 32Mi',
    '        limits:',
    '          cpu: 100m',
    '          memory: 64Mi',
    '      volumeMounts:',
    '        - name: logs',
    '          mountPath: /var/log/checkout',
    '          readOnly: true',
    '  volumes:',
    '    - name: config',
    '      configMap:',
    '        name: checkout-config',
    '        items:',
    '          - key: config.yaml',
    '            path: config.yaml',
    '    - name: proxy-config',
    '      configMap:',
    '        name: checkout-proxy',
    '    - name: tmp',
    '      emptyDir:',
    '        medium: Memory',
    '        sizeLimit: 64Mi',
    '    - name: logs',
    '      emptyDir:',
    '        sizeLimit: 512Mi',
  ];
  return lines.join('\n') + '\n';
}

/** Where the keystroke scenario types: just after the first container's imagePullPolicy value. */
export function toggleSite(text: string): { line: number; character: number } {
  const lines = text.split('\n');
  const inContainers = lines.indexOf('  containers:');
  const line = lines.findIndex((l, n) => n > inContainers && l.trim() === `imagePullPolicy: ${TOGGLE_VALUE}`);
  if (inContainers < 0 || line < 0) throw new Error('fixture has no imagePullPolicy to edit');
  return { line, character: lines[line].length };
}

/**
 * Many pods separated by `---`, filled to just under 1 MiB. The last document is the broken variant, so the
 * sanity check proves both tools validated the whole file and did not stop early.
 */
export function multiDocYaml(maxBytes = MULTI_DOC_MAX_BYTES): { text: string; documents: number } {
  const tail = podYaml({ index: 1_000_000, broken: true });
  const parts: string[] = [];
  let size = tail.length;
  for (let i = 1; ; i++) {
    const pod = podYaml({ index: i });
    const added = pod.length + 4; // "---\n" before the next document
    if (size + added > maxBytes) break;
    parts.push(pod);
    size += added;
  }
  parts.push(tail);
  const text = parts.join('---\n');
  return { text, documents: parts.length };
}
