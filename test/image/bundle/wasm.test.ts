import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildWasmInvocation, detectWasm, type WasmArtifact } from '../../../engine/image/bundle';
import type { Descriptor } from '../../../engine/image/types';
import { POD, image } from './fixtures';

const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const layer = (mediaType: string, n: number, annotations?: Record<string, string>): Descriptor => ({
  mediaType,
  digest: digest(n),
  size: 10,
  ...(annotations ? { annotations } : {}),
});
const TAR = 'application/vnd.oci.image.layer.v1.tar+gzip';

describe('detectWasm', () => {
  it('recognises both wasm layer media types', () => {
    for (const mt of ['application/wasm', 'application/vnd.wasm.content.layer.v1+wasm'])
      assert.deepEqual(detectWasm({ layers: [layer(TAR, 1), layer(mt, 2)] }, image({}), {}), {
        kind: 'wasm-layer',
        layerDigest: digest(2),
      });
  });

  it('compares media types without parameters and case', () => {
    assert.equal(
      detectWasm({ layers: [layer('Application/WASM; charset=binary', 3)] }, image({}), {})?.kind,
      'wasm-layer',
    );
  });

  it('carries the layer title when annotated', () => {
    const a = detectWasm(
      { layers: [layer('application/wasm', 4, { 'org.opencontainers.image.title': 'hello.wasm' })] },
      image({}),
      {},
    );
    assert.deepEqual(a, { kind: 'wasm-layer', layerDigest: digest(4), title: 'hello.wasm' });
  });

  it('an image whose program is a .wasm file, after the command/args rules', () => {
    const img = image({ Entrypoint: ['/app/main.wasm'], Cmd: ['--flag'] });
    const tar = { layers: [layer(TAR, 1)] };
    assert.deepEqual(detectWasm(tar, img, {}), { kind: 'wasm-entrypoint', path: '/app/main.wasm' });
    assert.deepEqual(detectWasm(tar, img, { args: ['x'] }), { kind: 'wasm-entrypoint', path: '/app/main.wasm' });
    assert.equal(detectWasm(tar, img, { command: ['/bin/sh'] }), null);
    assert.deepEqual(detectWasm(tar, image({ Cmd: ['/bin/sh'] }), { command: ['tool.WASM'] }), {
      kind: 'wasm-entrypoint',
      path: 'tool.WASM',
    });
  });

  it('an argument ending in .wasm is not the program', () => {
    assert.equal(
      detectWasm({ layers: [layer(TAR, 1)] }, image({ Entrypoint: ['/usr/bin/wasmtime'], Cmd: ['/m.wasm'] }), {}),
      null,
    );
  });

  it('plain images are not wasm', () => {
    assert.equal(detectWasm({ layers: [layer(TAR, 1)] }, image({ Cmd: ['/bin/sh'] }), {}), null);
    assert.equal(detectWasm({ layers: [] }, image({}), {}), null);
  });
});

describe('buildWasmInvocation', () => {
  it('entrypoint module: argv, env, working dir, rootfs and volume preopens', () => {
    const artifact: WasmArtifact = { kind: 'wasm-entrypoint', path: 'bin/app.wasm' };
    const inv = buildWasmInvocation({
      artifact,
      image: image({ Entrypoint: ['bin/app.wasm'], Cmd: ['serve'], WorkingDir: '/opt', Env: ['MODE=image'] }),
      container: {
        name: 'w',
        args: ['--name', '$(WHO)'],
        env: [{ name: 'WHO', value: 'pod-$(MODE)' }],
        securityContext: { readOnlyRootFilesystem: true },
      },
      pod: POD,
      rootfsPath: '/store/rootfs',
      mounts: [
        { destination: '/data/', source: '/host/data', readOnly: true },
        { destination: '/tmp', source: 'tmpfs', type: 'tmpfs' },
      ],
    });
    assert.deepEqual(inv.module, {
      kind: 'file',
      guestPath: '/opt/bin/app.wasm',
      hostPath: '/store/rootfs/opt/bin/app.wasm',
    });
    // WHO cannot see the image's MODE, as in a container
    assert.deepEqual(inv.argv, ['bin/app.wasm', '--name', 'pod-$(MODE)']);
    assert.equal(inv.workingDir, '/opt');
    assert.equal(inv.env.MODE, 'image');
    assert.equal(inv.env.WHO, 'pod-$(MODE)');
    assert.equal(inv.env.HOSTNAME, 'web');
    assert.deepEqual(inv.preopens, [
      { guestPath: '/', hostPath: '/store/rootfs', readOnly: true },
      { guestPath: '/data', hostPath: '/host/data', readOnly: true },
    ]);
    assert.match(inv.warnings.join('\n'), /tmpfs mount at \/tmp has no WASI equivalent/);
  });

  it('layer module: argv from command/args, else the title or module.wasm', () => {
    const base = { image: image({}), pod: POD };
    const a = buildWasmInvocation({
      ...base,
      artifact: { kind: 'wasm-layer', layerDigest: digest(5), title: 'hi.wasm' },
      container: { name: 'w' },
    });
    assert.deepEqual(a.module, { kind: 'layer', digest: digest(5) });
    assert.deepEqual(a.argv, ['hi.wasm']);
    assert.deepEqual(a.preopens, []);
    const b = buildWasmInvocation({
      ...base,
      artifact: { kind: 'wasm-layer', layerDigest: digest(5) },
      container: { name: 'w' },
    });
    assert.deepEqual(b.argv, ['module.wasm']);
    const c = buildWasmInvocation({
      ...base,
      artifact: { kind: 'wasm-layer', layerDigest: digest(5) },
      container: { name: 'w', command: ['prog', '$(X)'], env: [{ name: 'X', value: '1' }] },
    });
    assert.deepEqual(c.argv, ['prog', '1']);
  });
});
