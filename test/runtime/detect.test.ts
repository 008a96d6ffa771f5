// OCI runtime detection: each installed runtime is probed once by running a trivial container, the verdict
// is cached, crun is preferred where it works, and asking for one that cannot work here says why.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupMode, detectOciRuntimes, findExecutable, listPodCgroups, RuntimeError, selectOciRuntime } from '../../engine/runtime';

const skip = process.getuid?.() !== 0 ? 'needs root' : !findExecutable('runc') ? 'runc is not installed' : !findExecutable('catatonit') ? 'catatonit is not installed' : undefined;

describe('OCI runtime detection', { skip }, () => {
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'podsmith-detect-'));
  });
  after(() => {
    rmSync(home, { recursive: true, force: true });
  });

  it('probes every installed runtime once and caches the verdicts', async () => {
    const verdicts = await detectOciRuntimes(home);
    const runc = verdicts.find((v) => v.name === 'runc');
    assert.ok(runc?.works, `runc works here: ${runc?.reason}`);
    assert.match(runc.version, /^runc version/);
    const crun = verdicts.find((v) => v.name === 'crun');
    if (crun && cgroupMode() === 'hybrid') {
      assert.equal(crun.works, false);
      assert.match(crun.reason ?? '', /hybrid/);
    }
    const cached = JSON.parse(readFileSync(join(home, 'runtime', 'oci-runtimes.json'), 'utf8')) as Record<string, { works: boolean }>;
    assert.equal(cached[runc.path].works, true);
    const again = await detectOciRuntimes(home);
    // The same verdicts, not new probes: a probe would give a new checkedAt (and a new object).
    assert.deepEqual(again.map((v) => [v.name, v.works, v.checkedAt]), verdicts.map((v) => [v.name, v.works, v.checkedAt]));
    again.forEach((v, i) => assert.equal(v, verdicts[i], `${v.name}: the cached verdict itself`));
    // The probes leave nothing: no state, no bundle, no cgroup.
    assert.deepEqual(readdirSync(join(home, 'runtime')).filter((n) => n.startsWith('probe-')), []);
    assert.deepEqual(listPodCgroups().filter((n) => n.startsWith('probe-')), []);
  });

  it('prefers crun where it works, else runc', async () => {
    const chosen = await selectOciRuntime(home);
    const verdicts = await detectOciRuntimes(home);
    assert.equal(chosen.name, verdicts.find((v) => v.works)!.name);
    assert.equal(chosen.root, join(home, 'runtime', chosen.name));
    assert.equal((await selectOciRuntime(home, 'runc')).name, 'runc');
  });

  it('explains why a requested runtime cannot be used', async () => {
    await assert.rejects(selectOciRuntime(home, 'no-such-runtime'), (e: RuntimeError) => e.code === 'NOT_INSTALLED' && /not installed/.test(e.message));
    if (findExecutable('crun') && cgroupMode() === 'hybrid')
      await assert.rejects(selectOciRuntime(home, 'crun'), (e: RuntimeError) => e.code === 'UNUSABLE' && /crun .* cannot run containers here: .*hybrid/.test(e.message));
    assert.ok(existsSync(join(home, 'runtime', 'pause', 'rootfs', 'catatonit')));
  });
});
