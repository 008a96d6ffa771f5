// Volumes and environment as a container sees them: emptyDir (also in memory with a size limit), hostPath
// with its types, configMap and secret files (items, modes) from documents in the same file or the folder,
// downwardAPI files, and env from values, fieldRef, resourceFieldRef, configMap/secret keys and envFrom.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodError } from '../../engine/pods/types';
import { IMAGE, podManifest, podTestEnv, text, whyNoNativePods, type PodTestEnv } from './fixtures';

const skip = whyNoNativePods();

async function run(env: PodTestEnv, pod: string, script: string): Promise<{ out: string; code: number }> {
  const ex = await env.runtime.exec({ pod, command: ['sh', '-c', script], tty: false, stdin: false });
  const [out, err, code] = await Promise.all([text(ex.stdout), text(ex.stderr), ex.exit]);
  return { out: out + err, code };
}

const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { 'app.conf': 'color=blue\n', mode: 'fast', 'bad key': 'x' }, binaryData: { 'blob.bin': Buffer.from([0, 1, 2, 255]).toString('base64') } };
const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, data: { password: Buffer.from('s3cret').toString('base64') }, stringData: { user: 'admin' } };

describe('volumes and environment', { skip }, () => {
  let env: PodTestEnv;
  let hostDir: string;
  before(async () => {
    env = await podTestEnv();
    hostDir = mkdtempSync(join(tmpdir(), 'podsmith-hostpath-'));
    writeFileSync(join(hostDir, 'present.txt'), 'from the host\n');
  });
  afterEach(async () => {
    assert.deepEqual(await env.cleanup(), []);
  });
  after(async () => {
    await env?.dispose();
    rmSync(hostDir, { recursive: true, force: true });
  });

  it('mounts emptyDir, tmpfs emptyDir, hostPath, configMap, secret and downwardAPI volumes', async () => {
    const manifest = podManifest(
      'vols',
      {
        terminationGracePeriodSeconds: 1,
        volumes: [
          { name: 'scratch', emptyDir: {} },
          { name: 'ram', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } },
          { name: 'made', hostPath: { path: join(hostDir, 'made'), type: 'DirectoryOrCreate' } },
          { name: 'file', hostPath: { path: join(hostDir, 'present.txt'), type: 'File' } },
          { name: 'conf', configMap: { name: 'settings', items: [{ key: 'app.conf', path: 'sub/app.conf', mode: 0o600 }] } },
          { name: 'allconf', configMap: { name: 'settings', defaultMode: 0o444 } },
          { name: 'secret', secret: { secretName: 'creds' } },
          { name: 'info', downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }, { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } }] } },
        ],
        containers: [
          {
            name: 'app',
            image: IMAGE,
            command: ['sleep', '1000'],
            resources: { limits: { memory: '64Mi' } },
            volumeMounts: [
              { name: 'scratch', mountPath: '/scratch' },
              { name: 'scratch', mountPath: '/sub', subPath: 'deeper/dir' },
              { name: 'ram', mountPath: '/ram' },
              { name: 'made', mountPath: '/made' },
              { name: 'file', mountPath: '/etc/present.txt', readOnly: true },
              { name: 'conf', mountPath: '/conf' },
              { name: 'allconf', mountPath: '/allconf' },
              { name: 'secret', mountPath: '/secret' },
              { name: 'info', mountPath: '/info' },
            ],
          },
        ],
      },
      [configMap],
    );
    // The Pod's labels go through the manifest's metadata.
    const withLabels = manifest.replace('"name": "vols"', '"name": "vols",\n    "labels": { "tier": "web", "app": "demo" }');
    await env.runtime.runPod({ manifest: withLabels, fileName: 'vols.yaml', extraManifests: [{ fileName: 'secret.yaml', text: JSON.stringify(secret) }] });

    const r = await run(
      env,
      'vols',
      [
        'echo hi > /scratch/a && cat /scratch/a',
        'echo deep > /sub/x && cat /scratch/deeper/dir/x',
        "df -k /ram | tail -1 | awk '{print $2}'",
        "grep ' /ram ' /proc/mounts | cut -d' ' -f3",
        'echo made > /made/m && echo ok-made',
        'cat /etc/present.txt',
        'echo nope > /etc/present.txt 2>/dev/null || echo ro-file',
        'cat /conf/sub/app.conf; stat -c %a /conf/sub/app.conf',
        'ls /allconf | sort | tr "\\n" " "; echo; stat -c %a /allconf/mode; od -An -tu1 /allconf/blob.bin',
        'echo x > /conf/new 2>/dev/null || echo ro-configmap',
        'cat /secret/password; echo; cat /secret/user; echo',
        'cat /info/name; echo; cat /info/labels; echo; cat /info/mem; echo',
      ].join('; '),
    );
    assert.equal(r.code, 0, r.out);
    const lines = r.out.split('\n').map((l) => l.trim());
    let i = 0;
    const next = () => lines[i++];
    assert.equal(next(), 'hi');
    assert.equal(next(), 'deep');
    assert.equal(next(), '8192', 'the tmpfs is capped at sizeLimit');
    assert.equal(next(), 'tmpfs');
    assert.equal(next(), 'ok-made');
    assert.equal(next(), 'from the host');
    assert.equal(next(), 'ro-file');
    assert.equal(next(), 'color=blue');
    assert.equal(next(), '600');
    assert.equal(next(), 'app.conf bad key blob.bin mode');
    assert.equal(next(), '444');
    assert.equal(next(), '0   1   2 255');
    assert.equal(next(), 'ro-configmap');
    assert.equal(next(), 's3cret');
    assert.equal(next(), 'admin');
    assert.equal(next(), 'vols');
    assert.equal(next(), 'app="demo"');
    assert.equal(next(), 'tier="web"');
    assert.equal(next(), '64');
    assert.ok(existsSync(join(hostDir, 'made', 'm')), 'hostPath writes reach the host');
    await env.runtime.deletePod({ pod: 'vols' });
    assert.equal(readFileSync(join(hostDir, 'made', 'm'), 'utf8'), 'made\n', 'deleting the pod leaves hostPath contents alone');
  });

  it('sets env from values, fieldRef, resourceFieldRef, configMap and secret keys, and envFrom', async () => {
    await env.runtime.runPod({
      manifest: podManifest(
        'envs',
        {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'app',
              image: IMAGE,
              command: ['sleep', '1000'],
              resources: { limits: { cpu: '500m', memory: '32Mi' } },
              envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CM_' }, { secretRef: { name: 'creds' } }],
              env: [
                { name: 'PLAIN', value: 'plain-value' },
                { name: 'EXPANDED', value: '$(PLAIN)-and-more' },
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
                { name: 'CPU_MILLI', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
                { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
                { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
                { name: 'MISSING_OK', valueFrom: { configMapKeyRef: { name: 'absent', key: 'x', optional: true } } },
              ],
            },
          ],
        },
        [configMap, secret],
      ),
    });
    const status = await env.runtime.podStatus('envs');
    const r = await run(env, 'envs', 'env | sort');
    const vars = Object.fromEntries(r.out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.equal(vars.PLAIN, 'plain-value');
    assert.equal(vars.EXPANDED, 'plain-value-and-more');
    assert.equal(vars.POD_NAME, 'envs');
    assert.equal(vars.POD_NS, 'default');
    assert.equal(vars.POD_UID, status.uid);
    assert.equal(vars.CPU_MILLI, '500');
    assert.equal(vars.MODE, 'fast');
    assert.equal(vars.PASS, 's3cret');
    assert.equal(vars.user, 'admin', 'envFrom of the secret');
    assert.equal(vars.CM_mode, 'fast', 'envFrom of the configMap with its prefix');
    assert.equal(vars['CM_bad key'], undefined, 'keys that are not variable names are skipped');
    assert.equal(vars.HOSTNAME, 'envs');
    assert.equal('MISSING_OK' in vars, false);
    await env.runtime.deletePod({ pod: 'envs' });
  });

  it('fails atomically on a missing configMap or a hostPath of the wrong type', async () => {
    await assert.rejects(
      env.runtime.runPod({ manifest: podManifest('nocm', { volumes: [{ name: 'c', configMap: { name: 'absent' } }], containers: [{ name: 'a', image: IMAGE, command: ['true'], volumeMounts: [{ name: 'c', mountPath: '/c' }] }] }) }),
      (e: PodError) => e.code === 'INVALID' && /configMap "absent" not found/.test(e.message),
    );
    await assert.rejects(
      env.runtime.runPod({ manifest: podManifest('nofile', { volumes: [{ name: 'h', hostPath: { path: join(hostDir, 'present.txt'), type: 'Directory' } }], containers: [{ name: 'a', image: IMAGE, command: ['true'], volumeMounts: [{ name: 'h', mountPath: '/h' }] }] }) }),
      (e: PodError) => /is not a directory/.test(e.message),
    );
    await assert.rejects(
      env.runtime.runPod({ manifest: podManifest('noenv', { containers: [{ name: 'a', image: IMAGE, command: ['true'], env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'absent', key: 'k' } } }] }] }) }),
      (e: PodError) => e.code === 'START_FAILED' && /container "a"/.test(e.message) && /secret "absent" not found/.test(e.message),
    );
    assert.deepEqual(await env.runtime.listPods(), []);
  });
});
