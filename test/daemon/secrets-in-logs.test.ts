// Secret data never reaches the daemon's own files. A real daemon (started on demand by the CLI) runs a pod that
// reads a Secret through env and a volume, is exec'd into, described, stopped and removed; then a manifest whose
// Secret document fails lint with wrong-typed values is refused. Every Secret value is a unique marker, and no
// marker may appear in daemon.log or events.jsonl (the user's own terminal shows the lint findings; that is fine).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { daemonPaths } from '../../engine/daemon/paths';
import { whyNoNativePods } from '../pods/fixtures';
import { LeakTracker } from '../support/leaks';
import { cleanupHome, cli, daemonPid, makeHome, waitFor } from './support/harness';
import { alive } from './support/process-runtime';

const skip = whyNoNativePods();
const mark = (what: string): string => `${what}-${randomBytes(6).toString('hex')}`;

describe('Secret values stay out of daemon.log and events.jsonl', { skip }, () => {
  let home: string;
  let leaks: LeakTracker;
  const viaEnv = mark('envsecret');
  const viaVolume = mark('volsecret');
  const viaData = mark('datasecret');
  // Wrong-typed: an integer where the Secret schema wants a string (the linter's message quotes it).
  const asInteger = String(100_000_000_000 + Math.floor(Math.random() * 800_000_000_000));
  const notBase64 = mark('notbase64');
  const markers = [viaEnv, viaVolume, viaData, Buffer.from(viaData).toString('base64'), asInteger, notBase64];

  before(() => {
    home = makeHome();
    leaks = new LeakTracker(home);
    writeFileSync(
      join(home, 'good.yaml'),
      `apiVersion: v1
kind: Pod
metadata:
  name: secretive
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: podsmith.local/busybox:1
      command: ["sh", "-c", "echo token is $TOKEN; exec sleep 1000"]
      env:
        - name: TOKEN
          valueFrom:
            secretKeyRef: { name: creds, key: token }
      volumeMounts:
        - { name: creds, mountPath: /creds, readOnly: true }
  volumes:
    - name: creds
      secret: { secretName: creds }
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  token: ${viaEnv}
  file: ${viaVolume}
data:
  blob: ${Buffer.from(viaData).toString('base64')}
`,
    );
    writeFileSync(
      join(home, 'bad.yaml'),
      `apiVersion: v1
kind: Pod
metadata:
  name: refused
spec:
  containers:
    - name: app
      image: podsmith.local/busybox:1
      command: ["sleep", "1000"]
---
apiVersion: v1
kind: Secret
metadata:
  name: broken
stringData:
  token: ${asInteger}
data:
  password: ${notBase64}!
`,
    );
  });

  after(async () => {
    if (!home) return;
    await cli(['rm', '-f', 'secretive'], home);
    const pid = daemonPid(home);
    await cli(['daemon', 'stop'], home);
    if (pid) await waitFor('the daemon to exit', () => !alive(pid));
    const left = await leaks.check();
    assert.deepEqual([...left, ...(await cleanupHome(home)).map((p) => `process ${p}`)], []);
  });

  it('runs, execs, describes, stops and removes a pod using a Secret, and refuses a Secret that fails lint, logging no value', async () => {
    const run = await cli(['run', '-f', join(home, 'good.yaml')], home);
    assert.equal(run.code, 0, run.err);
    const uid = JSON.parse((await cli(['ps', 'secretive', '-o', 'json'], home)).out).metadata.uid as string;
    leaks.uids.add(uid);
    const ex = await cli(['exec', 'secretive', '--', 'cat', '/creds/file', '/creds/blob'], home);
    assert.equal(ex.out, `${viaVolume}${viaData}`, 'the pod does get the values');
    await waitFor('the container log', async () => (await cli(['logs', 'secretive'], home)).out.includes(`token is ${viaEnv}`));
    assert.equal((await cli(['describe', 'secretive'], home)).code, 0);

    const bad = await cli(['run', '-f', join(home, 'bad.yaml')], home);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /schema-type/, 'the user is told what is wrong');

    assert.equal((await cli(['stop', 'secretive'], home)).code, 0);
    assert.equal((await cli(['rm', 'secretive'], home)).code, 0);

    const log = readFileSync(daemonPaths(home).log, 'utf8');
    const events = existsSync(daemonPaths(home).events) ? readFileSync(daemonPaths(home).events, 'utf8') : '';
    // The files do record what happened, just not the values.
    assert.match(log, /run good\.yaml/);
    assert.match(log, /exec secretive\/\(default\) cat started/);
    assert.match(log, /pods\/run: refused: 2 manifest errors at line 16 \[schema-type\], line 18 \[schema-format\]/);
    assert.match(events, /"pod":"secretive"/);
    for (const m of markers) {
      assert.equal(log.includes(m), false, `daemon.log holds ${m}`);
      assert.equal(events.includes(m), false, `events.jsonl holds ${m}`);
    }
  });
});
