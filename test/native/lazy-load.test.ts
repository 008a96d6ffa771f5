// Importing the bindings must never fail: koffi is loaded at first use, and when it cannot be loaded the
// call names what is missing (NativeUnavailableError) while the probes still answer.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { Cleanup, tempDir } from './support';

const repo = resolve(__dirname, '..', '..');
const nativeIndex = join(repo, 'native', 'index.ts');

/** Runs a TypeScript snippet in a fresh Node process (through tsx) and returns its JSON output. */
function runSnippet(dir: string, code: string, preload?: string): unknown {
  const script = join(dir, 'snippet.ts');
  writeFileSync(script, code);
  const args = [...(preload ? ['--require', preload] : []), '--import', 'tsx', script];
  const r = spawnSync(process.execPath, args, { cwd: repo, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('importing native/index loads neither koffi nor libc', (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const out = runSnippet(
    tempDir(c),
    `import * as native from ${JSON.stringify(nativeIndex)};
     const loaded = Object.keys(require.cache).some((p) => p.includes('/node_modules/koffi/'));
     console.log(JSON.stringify({ exports: Object.keys(native).length, loaded }));`,
  );
  assert.deepEqual(out, { exports: (out as { exports: number }).exports, loaded: false });
  assert.ok((out as { exports: number }).exports > 10);
});

test('without koffi: first use throws NativeUnavailableError, probes still answer', (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const dir = tempDir(c);
  const preload = join(dir, 'no-koffi.js');
  // Makes require('koffi') fail as it would on a platform without a prebuilt binary. tsx resolves modules
  // itself, so the hook sits on Module.prototype.require rather than on Module._resolveFilename.
  writeFileSync(
    preload,
    `const Module = require('module');
     const original = Module.prototype.require;
     Module.prototype.require = function (request) {
       if (request === 'koffi') { const e = new Error("Cannot find module 'koffi'"); e.code = 'MODULE_NOT_FOUND'; throw e; }
       return original.apply(this, arguments);
     };`,
  );
  const out = runSnippet(
    dir,
    `import { openPty, SeqpacketSocket, probeKvm, vsockAvailable, NativeUnavailableError } from ${JSON.stringify(nativeIndex)};
     const errors = [() => openPty(), () => SeqpacketSocket.pair()].map((f) => {
       try { f(); return 'no error'; } catch (e) { return { name: (e as Error).name, isClass: e instanceof NativeUnavailableError, message: (e as Error).message }; }
     });
     const kvm = probeKvm();
     const vsock = vsockAvailable();
     console.log(JSON.stringify({ errors, kvm: { verdict: kvm.verdict, error: kvm.error }, vsock: { af: vsock.addressFamily, err: vsock.socketError, usable: vsock.usableForGuests } }));`,
    preload,
  ) as {
    errors: Array<{ name: string; isClass: boolean; message: string }>;
    kvm: { verdict: string; error?: string };
    vsock: { af: boolean; err?: string; usable: boolean };
  };
  for (const e of out.errors) {
    assert.equal(e.name, 'NativeUnavailableError');
    assert.ok(e.isClass);
    assert.match(e.message, /is not available on this machine: the koffi FFI module could not be loaded/);
  }
  assert.match(out.errors[0].message, /pseudo-terminals/);
  assert.notEqual(out.kvm.verdict, 'hardware');
  if (out.kvm.verdict === 'unusable') assert.match(out.kvm.error ?? '', /koffi|EACCES|ENOENT/);
  assert.equal(out.vsock.af, false);
  assert.match(out.vsock.err ?? '', /koffi/);
  assert.equal(out.vsock.usable, false);
});
