import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildBundleConfig,
  lookupIn,
  rawArgv,
  resolveArgv,
  resolveWorkingDir,
  BundleError,
} from '../../../engine/image/bundle';
import { image, input } from './fixtures';

const IMG = image({ Entrypoint: ['/entry', '-e'], Cmd: ['cmd1', 'cmd2'] });

describe('command and args (kubelet/containerd rules)', () => {
  const cases: [string, { command?: string[]; args?: string[] }, string[]][] = [
    ['neither: Entrypoint + Cmd', {}, ['/entry', '-e', 'cmd1', 'cmd2']],
    ['command only: replaces Entrypoint and drops Cmd', { command: ['/bin/sh'] }, ['/bin/sh']],
    ['args only: Entrypoint + args', { args: ['a1'] }, ['/entry', '-e', 'a1']],
    ['both: command + args', { command: ['/bin/sh', '-c'], args: ['echo hi'] }, ['/bin/sh', '-c', 'echo hi']],
    ['empty lists count as absent', { command: [], args: [] }, ['/entry', '-e', 'cmd1', 'cmd2']],
    ['empty command with args: Entrypoint + args', { command: [], args: ['x'] }, ['/entry', '-e', 'x']],
  ];
  for (const [why, c, argv] of cases) it(why, () => assert.deepEqual(rawArgv(IMG, c), argv));

  it('image with only Cmd runs Cmd; args replace it', () => {
    const img = image({ Cmd: ['/bin/sh'] });
    assert.deepEqual(rawArgv(img, {}), ['/bin/sh']);
    assert.deepEqual(rawArgv(img, { args: ['/bin/true'] }), ['/bin/true']);
  });

  it('an Entrypoint of [""] is a cleared entrypoint', () => {
    assert.deepEqual(rawArgv(image({ Entrypoint: [''], Cmd: ['/bin/sh'] }), {}), ['/bin/sh']);
  });

  it('null Entrypoint/Cmd (as JSON has them) are absent', () => {
    assert.deepEqual(rawArgv(image({ Entrypoint: null, Cmd: ['/x'] }), {}), ['/x']);
  });

  it('nothing to run is a clear error', () => {
    assert.throws(
      () => resolveArgv(image({}), { name: 'c' }, lookupIn()),
      (e: unknown) => e instanceof BundleError && e.code === 'NO_COMMAND' && /set "command"/.test(e.message),
    );
    // an empty program name is refused here rather than by runc
    assert.throws(
      () => resolveArgv(image({ Cmd: ['/x'] }), { name: 'c', command: [''] }, lookupIn()),
      /\(argv\[0\]\) is empty/,
    );
  });

  it('expands command and args but never the image Entrypoint or Cmd', () => {
    const img = image({ Entrypoint: ['/entry', '$(A)'], Cmd: ['$(A)'] });
    const env = lookupIn({ A: 'x' });
    assert.deepEqual(resolveArgv(img, { name: 'c' }, env), ['/entry', '$(A)', '$(A)']);
    assert.deepEqual(resolveArgv(img, { name: 'c', args: ['$(A)', '$$(A)'] }, env), ['/entry', '$(A)', 'x', '$(A)']);
    assert.deepEqual(resolveArgv(img, { name: 'c', command: ['/bin/$(A)'] }, env), ['/bin/x']);
  });

  it('command and args see every env entry (also later ones) and service variables, not image env', () => {
    const r = buildBundleConfig(
      input(
        {
          command: ['/bin/echo', '$(FIRST)', '$(LAST)', '$(SVC_HOST)', '$(IMG)', '$(HOSTNAME)'],
          env: [
            { name: 'FIRST', value: '1' },
            { name: 'LAST', value: '2' },
          ],
        },
        { image: image({ Env: ['IMG=image'] }), sources: { serviceEnv: { SVC_HOST: '10.0.0.1' } } },
      ),
    );
    assert.deepEqual(r.config.process.args, ['/bin/echo', '1', '2', '10.0.0.1', '$(IMG)', '$(HOSTNAME)']);
  });
});

describe('working directory', () => {
  it('container workingDir over image WorkingDir over /', () => {
    assert.equal(resolveWorkingDir(image({ WorkingDir: '/img' }), { name: 'c', workingDir: '/ctr' }), '/ctr');
    assert.equal(resolveWorkingDir(image({ WorkingDir: '/img' }), { name: 'c' }), '/img');
    assert.equal(resolveWorkingDir(image({ WorkingDir: '' }), { name: 'c' }), '/');
    assert.equal(resolveWorkingDir(image({}), { name: 'c', workingDir: '' }), '/');
  });

  it('must be absolute', () => {
    assert.throws(
      () => resolveWorkingDir(image({}), { name: 'c', workingDir: 'srv' }),
      (e: unknown) => e instanceof BundleError && e.code === 'BAD_WORKING_DIR',
    );
    assert.throws(() => resolveWorkingDir(image({ WorkingDir: 'rel' }), { name: 'c' }), /absolute/);
  });
});
