// A pod's network: its own namespace with loopback, pasta for outbound traffic and hostPorts (attached before
// any container starts), `podsmith.io/network: none` for loopback only, and a taken hostPort failing run_pod
// atomically. Everything (pasta included) goes with the pod.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { PodError } from '../../engine/pods/types';
import { IMAGE, podManifest, podTestEnv, text, until, whyNoNativePods, type PodTestEnv } from './fixtures';

const skip = whyNoNativePods() ?? (spawnSync('sh', ['-c', 'command -v pasta']).status !== 0 ? 'pasta is not installed (apt-get install passt)' : undefined);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function run(env: PodTestEnv, pod: string, command: string[]): Promise<string> {
  const ex = await env.runtime.exec({ pod, command, tty: false, stdin: false });
  const [out] = await Promise.all([text(ex.stdout), ex.exit]);
  return out;
}

describe('pod networking', { skip }, () => {
  let env: PodTestEnv;
  before(async () => {
    env = await podTestEnv();
  });
  afterEach(async () => {
    assert.deepEqual(await env.cleanup(), []);
  });
  after(async () => {
    await env?.dispose();
  });

  it('serves a hostPort on the host and gives the pod an interface besides lo', async () => {
    const hostPort = await freePort();
    const manifest = podManifest('web', {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'web',
          image: IMAGE,
          command: ['sh', '-c', 'mkdir -p /tmp/www && echo via hostPort > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www'],
          ports: [{ containerPort: 8080, hostPort }],
        },
      ],
    });
    const status = await env.runtime.runPod({ manifest });
    let body = '';
    await until('httpd through the hostPort', async () => {
      body = await fetch(`http://127.0.0.1:${hostPort}/`).then((r) => r.text(), () => '');
      return body.length > 0;
    });
    assert.equal(body, 'via hostPort\n');
    const links = await run(env, 'web', ['ip', '-o', 'link']);
    assert.match(links, /^\d+: lo:/m);
    assert.match(links, /^\d+: (?!lo:)[\w@.-]+:/m, 'an interface other than lo');
    // status.podIP is the address pasta gave the pod (the host's own, copied).
    assert.ok(status.podIP, 'a pod IP');
    assert.ok((await run(env, 'web', ['ip', '-4', '-o', 'addr'])).includes(` ${status.podIP}/`), `the pod has ${status.podIP}`);
    await env.runtime.deletePod({ pod: 'web', force: true });
    // The port is free again: pasta went with the pod.
    await until('the hostPort to be released', async () => !(await fetch(`http://127.0.0.1:${hostPort}/`).then(() => true, () => false)));
  });

  it('keeps a pod on loopback only with podsmith.io/network: none', async () => {
    const manifest = podManifest('quiet', { containers: [{ name: 'c', image: IMAGE, command: ['sleep', '1000'] }] }).replace('"name": "quiet"', '"name": "quiet", "annotations": { "podsmith.io/network": "none" }');
    const status = await env.runtime.runPod({ manifest });
    assert.equal(status.podIP, undefined);
    const links = (await run(env, 'quiet', ['ip', '-o', 'link'])).trim().split('\n');
    assert.equal(links.length, 1, links.join('\n'));
    assert.match(links[0], /^1: lo:/);
  });

  it('fails atomically when a hostPort is taken, saying which', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '0.0.0.0', () => r()));
    const hostPort = (taken.address() as { port: number }).port;
    try {
      const manifest = podManifest('clash', { containers: [{ name: 'c', image: IMAGE, command: ['sleep', '1000'], ports: [{ containerPort: 80, hostPort }] }] });
      await assert.rejects(env.runtime.runPod({ manifest }), (e: PodError) => {
        assert.ok(e instanceof PodError);
        assert.match(e.message, new RegExp(`hostPort ${hostPort}/TCP is already in use on this host`));
        return true;
      });
      assert.deepEqual(await env.runtime.listPods(), []);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });
});
