import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expectOne, findings, fixed, none, pod, range } from './helpers';

const withVolumes = (mount: string, ...volumes: string[]) =>
  pod('  containers:', '  - name: app', '    image: b', '    volumeMounts:', `    - {name: ${mount}, mountPath: /data}`,
    '  volumes:', ...volumes);

describe('volume-mount-undeclared', () => {
  it('renames a near miss to the declared volume', () => {
    const text = withVolumes('confg', '  - {name: config, emptyDir: {}}', '  - {name: cache, emptyDir: {}}');
    const f = expectOne(text, 'volume-mount-undeclared', 'error', range(9, 13, 9, 18));
    assert.match(f.message, /did you mean "config"\?/);
    assert.equal(f.fixes?.[0].preferred, true);
    assert.equal(fixed(text, f), withVolumes('config', '  - {name: config, emptyDir: {}}', '  - {name: cache, emptyDir: {}}'));
  });

  it('offers no rename when nothing is close', () => {
    const f = expectOne(withVolumes('secrets', '  - {name: config, emptyDir: {}}'), 'volume-mount-undeclared', 'error', range(9, 13, 9, 20));
    assert.equal(f.fixes, undefined);
    assert.match(f.message, /declared volumes: "config"/);
  });

  it('says so when the pod declares no volumes, and checks init containers and devices', () => {
    const text = pod('  initContainers:', '  - name: i', '    image: b', '    volumeMounts: [{name: data, mountPath: /d}]',
      '  containers:', '  - name: a', '    image: b', '    volumeDevices: [{name: disk, devicePath: /dev/x}]');
    const fs = findings(text, 'volume-mount-undeclared');
    assert.deepEqual(fs.map((f) => f.range), [range(8, 26, 8, 30), range(12, 27, 12, 31)]);
    assert.match(fs[0].message, /init container "i".*declares no volumes/);
    assert.match(fs[1].message, /^volumeDevice "disk"/);
  });

  it('passes declared names', () => {
    none(withVolumes('config', '  - {name: config, emptyDir: {}}'), 'volume-mount-undeclared');
  });
});

describe('duplicate-volume-name', () => {
  it('flags the second declaration', () => {
    const text = withVolumes('config', '  - {name: config, emptyDir: {}}', '  - {name: config, configMap: {name: c}}');
    const f = expectOne(text, 'duplicate-volume-name', 'error', range(12, 11, 12, 17));
    assert.match(f.message, /"config" is declared twice \(volumes #1 and #2\)/);
    none(text, 'volume-mount-undeclared');
  });

  it('passes distinct names', () => {
    none(withVolumes('config', '  - {name: config, emptyDir: {}}', '  - {name: cache, emptyDir: {}}'), 'duplicate-volume-name');
  });
});
