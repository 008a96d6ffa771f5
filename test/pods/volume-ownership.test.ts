// Who owns volume files and with which modes: fsGroup gives emptyDir, configMap, secret, downwardAPI and
// projected volumes its group and the setgid bit (the kubelet's SetVolumeOwnership), never hostPath; modes
// with setuid, setgid or sticky bits are refused at run_pod, even with the linter's finding suppressed.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodError } from '../../engine/pods/types';
import { IMAGE, podManifest, podTestEnv, text, whyNoNativePods, type PodTestEnv } from './fixtures';

const skip = whyNoNativePods();

const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { key: 'only-the-group-reads-me\n' } };
const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, stringData: { token: 'tok\n' } };

describe('volume ownership and modes', { skip }, () => {
  let env: PodTestEnv;
  let hostDir: string;
  before(async () => {
    env = await podTestEnv();
    hostDir = mkdtempSync(join(tmpdir(), 'podsmith-hostpath-'));
  });
  afterEach(async () => {
    assert.deepEqual(await env.cleanup(), []);
  });
  after(async () => {
    await env?.dispose();
    rmSync(hostDir, { recursive: true, force: true });
  });

  it('fsGroup: a non-root container writes files of that group and reads a 0440 configMap file', async () => {
    await env.runtime.runPod({
      manifest: podManifest(
        'fsgroup',
        {
          terminationGracePeriodSeconds: 0,
          securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000 },
          volumes: [
            { name: 'scratch', emptyDir: {} },
            { name: 'ram', emptyDir: { medium: 'Memory', sizeLimit: '4Mi' } },
            { name: 'conf', configMap: { name: 'settings', defaultMode: 0o440 } },
            { name: 'secret', secret: { secretName: 'creds', defaultMode: 0o400 } },
            { name: 'host', hostPath: { path: hostDir } },
          ],
          containers: [
            {
              name: 'app',
              image: IMAGE,
              command: ['sleep', '1000'],
              volumeMounts: [
                { name: 'scratch', mountPath: '/scratch' },
                { name: 'scratch', mountPath: '/sub', subPath: 'made/later' },
                { name: 'ram', mountPath: '/ram' },
                { name: 'conf', mountPath: '/conf' },
                { name: 'secret', mountPath: '/secret' },
                { name: 'host', mountPath: '/host' },
              ],
            },
          ],
        },
        [configMap, secret],
      ),
    });
    const script = [
      'id -u',
      'id -G',
      'touch /scratch/f && stat -c %g /scratch/f',
      'mkdir /scratch/d && stat -c "%g %A" /scratch/d',
      'touch /sub/f && stat -c %g /sub/f',
      'touch /ram/f && stat -c %g /ram/f',
      'cat /conf/key',
      'stat -c "%g %a" /conf/key',
      'cat /secret/token',
      'stat -c "%g %a" /secret/token',
      'echo x > /conf/new 2>/dev/null || echo ro-configmap',
    ].join('; ');
    const ex = await env.runtime.exec({ pod: 'fsgroup', command: ['sh', '-c', script], tty: false, stdin: false });
    const [out, err, code] = await Promise.all([text(ex.stdout), text(ex.stderr), ex.exit]);
    assert.equal(code, 0, out + err);
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 11, out + err);
    assert.equal(lines[0], '1000', 'the container runs as the non-root user');
    assert.ok(lines[1].split(' ').includes('2000'), `fsGroup is a supplementary group: ${lines[1]}`);
    assert.equal(lines[2], '2000', 'a file written into the emptyDir has the fsGroup');
    assert.match(lines[3], /^2000 drwxr-sr-x$/, 'a directory made in it inherits the group and setgid');
    assert.equal(lines[4], '2000', 'and so does a subPath made later');
    assert.equal(lines[5], '2000', 'the memory-backed emptyDir too');
    assert.equal(lines[6], 'only-the-group-reads-me', 'the 0440 configMap file is readable through the group');
    assert.equal(lines[7], '2000 440', 'configMap files keep their mode, without group write');
    assert.equal(lines[8], 'tok');
    assert.equal(lines[9], '2000 440', 'a 0400 secret becomes group-readable, as the kubelet makes it');
    assert.equal(lines[10], 'ro-configmap');
    assert.equal(statSync(hostDir).gid, 0, 'hostPath volumes are not re-owned');
    await env.runtime.deletePod({ pod: 'fsgroup', force: true });
  });

  it('refuses setuid, setgid and sticky modes at run_pod, even with the linter finding suppressed', async () => {
    const volumes = (defaultMode: number) => [{ name: 'conf', configMap: { name: 'settings', defaultMode } }];
    const spec = (defaultMode: number) => ({ volumes: volumes(defaultMode), containers: [{ name: 'a', image: IMAGE, command: ['true'], volumeMounts: [{ name: 'conf', mountPath: '/c' }] }] });
    await assert.rejects(
      env.runtime.runPod({ manifest: podManifest('setuid', spec(0o4755), [configMap]), fileName: 'setuid.yaml' }),
      (e: PodError) => e.code === 'INVALID' && /^setuid\.yaml:\d+:\d+: The defaultMode of volume "conf" is 2541 \(04755 octal\).*\[volume-file-mode\]/.test(e.message),
    );
    // A suppressed finding is not admission's only guard: the engine checks the modes it writes.
    const suppressed = `# podsmith-disable volume-file-mode -- trying to sneak a setgid file in\n${podManifest('sneaky', spec(0o2644), [configMap])}`;
    await assert.rejects(
      env.runtime.runPod({ manifest: suppressed, fileName: 'sneaky.yaml' }),
      (e: PodError) => e.code === 'INVALID' && e.message === 'volume "conf": configMap.defaultMode: mode 02644 must be a number between 0 and 0777 (octal), both inclusive',
    );
    assert.deepEqual(await env.runtime.listPods(), []);
  });
});
