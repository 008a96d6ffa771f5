// The assist functions over the generated Kubernetes schema (no stand-in): what an editor user sees.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { completeAt } from '../../engine/manifest/assist/completion';
import { hoverAt } from '../../engine/manifest/assist/hover';
import { cursor } from './fixtures';

const complete = (src: string) => {
  const { text, offset } = cursor(src);
  return completeAt(text, offset);
};
const hover = (src: string) => {
  const { text, offset } = cursor(src);
  return hoverAt(text, offset);
};
const find = (items: ReturnType<typeof complete>, label: string) => {
  const i = items.find((x) => x.label === label);
  assert.ok(i, `no completion ${label} among ${items.map((x) => x.label).join(', ')}`);
  return i;
};

const POD = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n';

describe('assist over the real schema', () => {
  it('completes container fields with snippets shaped by type', () => {
    const items = complete(`${POD}spec:\n  containers:\n  - name: web\n    image: nginx\n    |\n`);
    assert.equal(find(items, 'imagePullPolicy').insertText, 'imagePullPolicy: ${1|Always,IfNotPresent,Never|}');
    assert.equal(find(items, 'ports').insertText, 'ports:\n      - $1');
    assert.equal(find(items, 'resources').insertText, 'resources:\n      $1');
    assert.equal(find(items, 'securityContext').insertText, 'securityContext:\n      $1');
    assert.equal(find(items, 'workingDir').insertText, 'workingDir: $1');
    assert.equal(find(items, 'stdin').insertText, 'stdin: ${1|true,false|}');
    assert.ok(!items.some((i) => i.label === 'image' || i.label === 'name'));
    assert.ok(find(items, 'livenessProbe').documentation);
  });

  it('completes a Deployment template down to container fields', () => {
    const src = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    metadata:\n      labels:\n        app: api\n    spec:\n      containers:\n      - name: api\n        imag|\n';
    assert.ok(find(complete(src), 'image'));
    const tpl = complete('apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    |\n');
    assert.deepEqual(tpl.map((i) => i.label).sort(), ['metadata', 'spec']);
    assert.equal(find(tpl, 'spec').insertText, 'spec:\n      $1');
  });

  it('completes enum values of nested fields', () => {
    const items = complete(`${POD}spec:\n  containers:\n  - name: web\n    ports:\n    - containerPort: 53\n      protocol: |\n`);
    assert.deepEqual(items.map((i) => i.label).sort(), ['SCTP', 'TCP', 'UDP']);
  });

  it('hovers with the Kubernetes description and the Podsmith limit', () => {
    const h = hover(`${POD}spec:\n  containers:\n  - name: web\n    ima|ge: nginx\n`)!;
    assert.match(h.contents, /\*\*image\*\* · `string`/);
    assert.match(h.contents, /[Cc]ontainer image/);
    assert.match(h.contents, /Podsmith limit: at most 512 bytes/);
    const m = hover(`${POD}spec:\n  containers:\n  - name: web\n    resources:\n      limits:\n        memo|ry: 1Gi\n`)!;
    assert.match(m.contents, /Podsmith limit: at most 8 GiB per container/);
    const n = hover('apiVersion: v1\nkind: Pod\nmetadata:\n  na|me: web\n')!;
    assert.match(n.contents, /Name must be unique/);
    assert.match(n.contents, /RFC 1123 subdomain of at most 253/);
  });

  it('hovers a field of a document with a syntax error further down', () => {
    const h = hover(`${POD}spec:\n  restart|Policy: Always\n  containers:\n  - name: web\n    image: [unclosed\n`);
    assert.match(h!.contents, /Allowed values: `Always`, `OnFailure`, `Never`|Allowed values: `Always`, `Never`, `OnFailure`/);
  });
});
