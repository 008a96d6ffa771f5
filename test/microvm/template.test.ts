// MicroVM templates under TCG: a guest booted once and saved, then cloned per pod. Clones must each run their
// pod, and must not share the template's entropy or clock: two clones read different boot ids and different
// bytes from /dev/urandom, and their wall clock is the host's. A template that cannot be cloned is discarded
// and the pod's VM boots instead. Templates live in the test's home here (not the shared guest cache), so the
// suite builds one: two boots and two clones in all.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { VmPodPaths } from '../../engine/pods/microvm';
import type { VmPodRecord } from '../../engine/pods/microvm/records';
import type { PodRuntime } from '../../engine/pods/runtime';
import { IMAGE, vmTestEnv, whyNoMicrovm, type VmTestEnv } from './support';

const skip = whyNoMicrovm();

function manifest(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, annotations: { 'podsmith.io/network': 'none' } },
    spec: { runtimeClassName: 'pod-microvm', terminationGracePeriodSeconds: 0, containers: [{ name: 'main', image: IMAGE, command: ['sleep', '1000'] }] },
  });
}

async function collect(s: Readable | undefined): Promise<string> {
  if (!s) return '';
  let out = '';
  for await (const c of s) out += String(c);
  return out;
}

async function sh(rt: PodRuntime, pod: string, script: string): Promise<string> {
  const x = await rt.exec({ pod, command: ['sh', '-c', script], tty: false, stdin: false });
  const [out, err, code] = await Promise.all([collect(x.stdout), collect(x.stderr), x.exit]);
  assert.equal(code, 0, `${script}: ${err}`);
  return out.trim();
}

function record(home: string, uid: string): VmPodRecord {
  return JSON.parse(readFileSync(new VmPodPaths(home, uid).podFile, 'utf8')) as VmPodRecord;
}

describe('microVM templates (cloned pre-booted guests)', { skip }, () => {
  let env: VmTestEnv;
  let templates: string;

  before(async () => {
    env = await vmTestEnv();
    templates = join(env.home, 'templates');
  });
  after(async () => {
    if (env) {
      assert.deepEqual(await env.cleanup(), []);
      await env.dispose();
    }
  });

  it('clones run pods, each with its own boot id, entropy and a current clock', async () => {
    const rt = env.newRuntime({ templatesDir: templates });
    const a = await rt.runPod({ manifest: manifest('clone-a') });
    const b = await rt.runPod({ manifest: manifest('clone-b') });
    for (const s of [a, b]) {
      assert.equal(s.phase, 'Running');
      assert.match(s.isolation ?? '', /cloned from a template/);
    }
    const [ra, rb] = [record(env.home, a.uid), record(env.home, b.uid)];
    assert.ok(ra.vm?.template, 'the first pod is a clone (its template was built for it)');
    assert.equal(ra.vm?.template, rb.vm?.template);
    assert.ok(existsSync(join(templates, ra.vm!.template!, 'state')));

    const facts = async (pod: string) => {
      const before = Date.now();
      const [bootId, random, clock] = (await sh(rt, pod, 'cat /proc/sys/kernel/random/boot_id; head -c 32 /dev/urandom | od -An -tx1 | tr -d " \\n"; echo; date +%s')).split('\n');
      return { bootId, random, clock: Number(clock) * 1000, before, after: Date.now() };
    };
    const fa = await facts('clone-a');
    const fb = await facts('clone-b');
    assert.match(fa.bootId, /^[0-9a-f-]{36}$/);
    assert.notEqual(fa.bootId, fb.bootId, 'clones share a boot id');
    assert.equal(fa.bootId, ra.vm?.bootId, 'the boot id the clone reported when thawed is the one its guest has');
    assert.match(fa.random, /^[0-9a-f]{64}$/);
    assert.notEqual(fa.random, fb.random, 'clones read the same random bytes');
    // The clock is set to the host's time when the thaw was sent: it lags by that message's delivery, which
    // takes seconds on a loaded host under TCG. (A template built minutes ago would be minutes behind.)
    for (const f of [fa, fb]) assert.ok(f.clock >= f.before - 15_000 && f.clock <= f.after + 2000, `guest clock ${new Date(f.clock).toISOString()} is not the host's (${new Date(f.before).toISOString()})`);

    await rt.deletePod({ pod: 'clone-a', force: true });
    await rt.deletePod({ pod: 'clone-b', force: true });
    assert.deepEqual(await env.leaks.check(), []);
  });

  it('a template that cannot be cloned is discarded, and the pod boots instead', async () => {
    const rt = env.newRuntime({ templatesDir: templates });
    const [key] = readdirSync(templates).filter((n) => !n.includes('.tmp-'));
    assert.ok(key, 'the template of the previous test is there');
    writeFileSync(join(templates, key, 'state'), 'not a QEMU migration stream');
    const s = await rt.runPod({ manifest: manifest('fallback') });
    assert.equal(s.phase, 'Running');
    const rec = record(env.home, s.uid);
    assert.equal(rec.vm?.template, undefined);
    assert.ok(rec.warnings.some((w) => /booted instead of being cloned/.test(w)), rec.warnings.join('; '));
    assert.equal(existsSync(join(templates, key)), false, 'the bad template is gone');
    assert.equal(await sh(rt, 'fallback', 'echo up'), 'up');
    await rt.deletePod({ pod: 'fallback', force: true });
    assert.deepEqual(await env.leaks.check(), []);
  });
});
