import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cursorContext } from '../../engine/manifest/assist/context';
import { cursor } from './fixtures';

function ctx(src: string) {
  const { text, offset } = cursor(src);
  return cursorContext(text, offset);
}

const POD_HEAD = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n';

describe('cursor context from indentation', () => {
  it('reads a half-typed key under a container as key mode in that container', () => {
    const c = ctx(`${POD_HEAD}spec:\n  containers:\n  - name: web\n    image: nginx\n    imag|\n  - name: side\n    image: busybox\n`);
    assert.ok(c);
    assert.equal(c.mode, 'key');
    assert.deepEqual(c.path, ['spec', 'containers', 0]);
    assert.equal(c.prefix, 'imag');
    assert.equal(c.column, 4);
    assert.deepEqual([...c.present].sort(), ['image', 'name']);
  });

  it('reads `key: ` with an empty value as value mode for that key', () => {
    const c = ctx(`${POD_HEAD}spec:\n  containers:\n  - name: web\n    imagePullPolicy: |\n    image: nginx\n`);
    assert.ok(c);
    assert.equal(c.mode, 'value');
    assert.deepEqual(c.path, ['spec', 'containers', 0, 'imagePullPolicy']);
    assert.equal(c.needsSpace, false);
  });

  it('replaces a partially typed value up to the end of the line', () => {
    const src = `${POD_HEAD}spec:\n  restartPolicy: Nev|er\n`;
    const { text } = cursor(src);
    const c = ctx(src)!;
    assert.equal(c.prefix, 'Nev');
    assert.equal(text.slice(c.replace.start, c.replace.end), 'Never');
  });

  it('asks for a leading space when the value would touch the colon', () => {
    const c = ctx(`${POD_HEAD}spec:\n  runtimeClassName:|\n`);
    assert.equal(c?.mode, 'value');
    assert.equal(c?.needsSpace, true);
  });

  it('reads an empty line inside a mapping, with siblings above and below', () => {
    const c = ctx(`${POD_HEAD}spec:\n  containers:\n  - name: web\n    ports:\n    - containerPort: 80\n\n    |\n    image: nginx\n  volumes:\n  - name: data\n`);
    assert.ok(c);
    assert.deepEqual(c.path, ['spec', 'containers', 0]);
    assert.deepEqual([...c.present].sort(), ['image', 'name', 'ports']);
  });

  it('counts sequence items to index the right container', () => {
    const c = ctx(`${POD_HEAD}spec:\n  containers:\n  - name: a\n    image: x\n  - name: b\n    volumeMounts:\n      - name: |\n`);
    assert.deepEqual(c?.path, ['spec', 'containers', 1, 'volumeMounts', 0, 'name']);
  });

  it('treats a fresh `- ` as a new item of the sequence', () => {
    const c = ctx(`${POD_HEAD}spec:\n  containers:\n  - name: a\n  - |\n`);
    assert.equal(c?.mode, 'key');
    assert.deepEqual(c?.path, ['spec', 'containers', 1]);
    assert.equal(c?.column, 4);
    assert.deepEqual(c?.present, []);
  });

  it('follows a Deployment down to its template containers (indented sequences)', () => {
    const c = ctx('apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: a\n          |\n');
    assert.deepEqual(c?.path, ['spec', 'template', 'spec', 'containers', 0]);
    assert.deepEqual(c?.present, ['name']);
  });

  it('starts at the root of the document the cursor is in', () => {
    const c = ctx('apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: Pod\n|\n');
    assert.deepEqual(c?.path, []);
    assert.deepEqual([...c!.present].sort(), ['apiVersion', 'kind']);
  });

  it('handles nested sequences on one line', () => {
    const c = ctx('kind: Pod\nspec:\n  - - a\n    - |\n');
    assert.deepEqual(c?.path, ['spec', 0, 1]);
  });

  it('recognises a partial key that replaces an existing key name', () => {
    const src = `${POD_HEAD}spec:\n  restart|Policy: Always\n`;
    const { text } = cursor(src);
    const c = ctx(src)!;
    assert.equal(c.mode, 'key');
    assert.equal(c.keyHasColon, true);
    assert.equal(text.slice(c.replace.start, c.replace.end), 'restartPolicy');
  });

  it('works with CRLF line endings', () => {
    const c = ctx(`${POD_HEAD}spec:\n  containers:\n  - name: web\n    imag|\n`.replace(/\n/g, '\r\n'));
    assert.deepEqual(c?.path, ['spec', 'containers', 0]);
  });

  it('gives up inside block scalar text, plain scalar continuations and comments', () => {
    assert.equal(ctx(`${POD_HEAD}spec:\n  containers:\n  - name: a\n    args: >-\n      foo: bar\n      ba|\n`), undefined);
    assert.equal(ctx(`${POD_HEAD}spec:\n  containers:\n  - name: a\n    image: nginx\n      ba|\n`), undefined);
    assert.equal(ctx(`${POD_HEAD}spec:\n  # a comm|\n`), undefined);
    assert.equal(ctx(`${POD_HEAD}---|\n`), undefined);
  });
});
