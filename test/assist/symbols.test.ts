import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { documentSymbols, type SymbolNode } from '../../engine/manifest/assist/symbols';
import { comparePositions } from '../../engine/manifest/assist/actions';

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  initContainers:
  - name: setup
    image: busybox
  containers:
  - name: app
    image: nginx:1.27
    ports:
    - name: http
      containerPort: 8080
    - containerPort: 53
      protocol: UDP
    volumeMounts:
    - name: data
      mountPath: /data
  volumes:
  - name: data
    emptyDir: {}
`;

const shape = (n: SymbolNode): unknown => ({ name: n.name, kind: n.kind, detail: n.detail, children: n.children.map(shape) });

function assertNested(n: SymbolNode): void {
  const inside = (a: SymbolNode['range'], b: SymbolNode['range']) => comparePositions(b.start, a.start) <= 0 && comparePositions(a.end, b.end) <= 0;
  assert.ok(inside(n.selectionRange, n.range), `selectionRange of ${n.name} lies inside its range`);
  for (const c of n.children) {
    assert.ok(inside(c.range, n.range), `${c.name} lies inside ${n.name}`);
    assertNested(c);
  }
}

describe('document symbols', () => {
  it('outlines a pod: containers with ports and mounts, then volumes', () => {
    const symbols = documentSymbols(POD);
    assert.deepEqual(symbols.map(shape), [
      {
        name: 'Pod web',
        kind: 'pod',
        detail: 'v1',
        children: [
          { name: 'setup', kind: 'initContainer', detail: 'init container · busybox', children: [] },
          {
            name: 'app',
            kind: 'container',
            detail: 'nginx:1.27',
            children: [
              { name: 'http', kind: 'port', detail: '8080/TCP', children: [] },
              { name: '53', kind: 'port', detail: '53/UDP', children: [] },
              { name: 'data', kind: 'volumeMount', detail: '/data', children: [] },
            ],
          },
          { name: 'data', kind: 'volume', detail: 'emptyDir', children: [] },
        ],
      },
    ]);
    symbols.forEach(assertNested);
    assert.deepEqual(symbols[0].selectionRange, { start: { line: 3, character: 8 }, end: { line: 3, character: 11 } });
    assert.equal(symbols[0].children[1].range.start.line, 9);
  });

  it('outlines each document of a file, and workloads by their template', () => {
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n      - name: api\n        image: api:1\n`;
    const symbols = documentSymbols(text);
    assert.deepEqual(symbols.map(shape), [
      { name: 'ConfigMap conf', kind: 'configmap', detail: 'v1', children: [] },
      {
        name: 'Deployment api',
        kind: 'workload',
        detail: 'apps/v1',
        children: [{ name: 'api', kind: 'container', detail: 'api:1', children: [] }],
      },
    ]);
    symbols.forEach(assertNested);
    assert.equal(symbols[1].range.start.line, 5);
  });

  it('outlines JSON manifests too', () => {
    const json = '{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": { "name": "web" },\n  "spec": { "containers": [ { "name": "app", "image": "nginx", "ports": [ { "containerPort": 80 } ] } ] }\n}\n';
    const symbols = documentSymbols(json);
    assert.deepEqual(symbols.map(shape), [
      { name: 'Pod web', kind: 'pod', detail: 'v1', children: [{ name: 'app', kind: 'container', detail: 'nginx', children: [{ name: '80', kind: 'port', detail: '80/TCP', children: [] }] }] },
    ]);
    symbols.forEach(assertNested);
  });

  it('skips unrelated YAML and survives a syntax error further down', () => {
    assert.deepEqual(documentSymbols('services:\n  web:\n    image: nginx\n'), []);
    const broken = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: app\n    image: [unclosed\n`;
    const symbols = documentSymbols(broken);
    assert.equal(symbols[0]?.name, 'Pod web');
  });
});
