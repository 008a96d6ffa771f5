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

describe('volume-file-mode', () => {
  const cm = (...lines: string[]) => pod('  containers:', '  - name: app', '    image: b', '  volumes:', ...lines);

  it('refuses a setuid defaultMode and offers the permission bits alone', () => {
    const text = cm('  - name: conf', '    configMap:', '      name: c', '      defaultMode: 2541');
    const f = expectOne(text, 'volume-file-mode', 'error', range(12, 19, 12, 23));
    assert.match(f.message, /defaultMode of volume "conf" is 2541 \(04755 octal\); it must be a number between 0 and 0777 \(octal\), both inclusive/);
    assert.match(f.message, /Setuid, setgid and sticky bits/);
    assert.equal(fixed(text, f), cm('  - name: conf', '    configMap:', '      name: c', '      defaultMode: 493'));
  });

  it('checks item modes of secret, downwardAPI and projected sources, and negative modes', () => {
    const text = cm(
      '  - name: s',
      '    secret: {secretName: s, items: [{key: k, path: p, mode: 1023}]}',
      '  - name: d',
      '    downwardAPI: {defaultMode: -1, items: [{path: n, fieldRef: {fieldPath: metadata.name}, mode: 3072}]}',
      '  - name: p',
      '    projected: {defaultMode: 1024, sources: [{configMap: {name: c, items: [{key: k, path: q, mode: 2048}]}}, {secret: {name: s, items: [{key: k, path: r, mode: 511}]}}]}',
    );
    const fs = findings(text, 'volume-file-mode');
    assert.deepEqual(
      fs.map((f) => f.message.slice(0, f.message.indexOf(';'))),
      [
        'The mode of volume "s"\'s item "p" is 1023 (01777 octal)',
        'The defaultMode of volume "d" is -1 (-1 octal)',
        'The mode of volume "d"\'s item "n" is 3072 (06000 octal)',
        'The defaultMode of volume "p" is 1024 (02000 octal)',
        'The mode of volume "p"\'s configMap item "q" is 2048 (04000 octal)',
      ],
    );
    assert.equal(fs[1].fixes, undefined, 'no fix is offered for a negative mode');
  });

  it('passes every mode from 0 to 0777', () => {
    none(cm('  - name: conf', '    configMap: {name: c, defaultMode: 0, items: [{key: k, path: p, mode: 511}]}'), 'volume-file-mode');
  });
});
