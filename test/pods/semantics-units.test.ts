// The pure parts behind issue 9's semantics: pod addresses from procfs text, runc's "could not start" line,
// bounded and cleaned failure evidence, and events rendered with the kubelet's reasons.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withHint } from '../../engine/cli/commands/daemon-command';
import { eventRow } from '../../engine/cli/format/event-rows';
import { parseFibTrieLocal, parseIfInet6 } from '../../engine/network/pod-addresses';
import { startFailure } from '../../engine/pods/native/exec-start';
import { boundLines, printable } from '../../engine/pods/native/failure-evidence';
import { PodError, type PodEvent } from '../../engine/pods/types';

const FIB_TRIE = `Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 192.0.2.0/24 2 0 2
        +-- 192.0.2.0/30 2 0 2
           |-- 192.0.2.0
              /24 link UNICAST
           |-- 192.0.2.2
              /32 host LOCAL
        |-- 192.0.2.255
           /32 link BROADCAST
Local:
  +-- 0.0.0.0/0 3 0 5
           |-- 192.0.2.2
              /32 host LOCAL
`;

const IF_INET6 = `00000000000000000000000000000001 01 80 10 80       lo
fe8000000000000000fc00fffe000001 04 40 20 80     eth0
fd000000000000000000000000000002 04 40 00 82     eth0
20010db8000100000000000000000abc 04 40 00 c0     eth0
20010db8000000010000000000000001 04 40 00 80     eth0
`;

describe('pod addresses from procfs', () => {
  it('IPv4: local host routes, loopback and broadcast left out, each once', () => {
    assert.deepEqual(parseFibTrieLocal(FIB_TRIE), ['192.0.2.2']);
  });
  it('IPv6: global scope only, tentative ones left out, in RFC 5952 text', () => {
    assert.deepEqual(parseIfInet6(IF_INET6), ['fd00::2', '2001:db8:0:1::1']);
  });
});

describe("runc's could-not-start line", () => {
  it('reads logrus text, a terminal line and a plain line', () => {
    assert.deepEqual(startFailure('time="2026-12-07T18:03:57Z" level=error msg="exec failed: unable to start container process: exec: \\"foo\\": executable file not found in $PATH"\n'), {
      message: 'exec: "foo": executable file not found in $PATH',
      exitCode: 127,
    });
    assert.deepEqual(startFailure('\x1b[31mERRO\x1b[0m[0000] exec failed: unable to start container process: exec: "/etc/passwd": permission denied\r\n'), {
      message: 'exec: "/etc/passwd": permission denied',
      exitCode: 126,
    });
    assert.deepEqual(startFailure('crun: executable file `foo` not found in $PATH: No such file or directory\n'), {
      message: 'crun: executable file `foo` not found in $PATH: No such file or directory',
      exitCode: 127,
    });
    assert.equal(startFailure(' \n'), undefined);
  });
});

describe('failure evidence', () => {
  it('keeps text and tabs, drops escape sequences and control characters', () => {
    assert.equal(printable('\x1b[1;31mred\x1b[0m\tok\x07\x00\x1b]0;title\x07 \u009bend'), 'red\tok end');
  });
  it('keeps the newest lines within the line and byte limits; a lone long line keeps its end', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    assert.deepEqual(boundLines(lines), lines.slice(10));
    assert.deepEqual(boundLines(['a'.repeat(100), 'b'.repeat(100), 'c'.repeat(100)], 20, 250), ['b'.repeat(100), 'c'.repeat(100)]);
    const [only] = boundLines(['x'.repeat(5000) + 'END'], 20, 100);
    assert.ok(only.startsWith('…') && only.endsWith('END') && Buffer.byteLength(only) <= 100, only);
  });
});

describe('events and errors as users read them', () => {
  const base = { time: '2026-12-07T18:00:00.000Z', pod: 'web', uid: 'u' };

  it('uses the kubelet reasons: BackOff, Failed (also for history with PodError codes), occurrences as recorded', () => {
    const backoff: PodEvent = { ...base, type: 'container', container: 'app', state: 'waiting', reason: 'CrashLoopBackOff' };
    assert.deepEqual(eventRow(backoff), { time: base.time, type: 'Warning', reason: 'BackOff', object: 'pod/web', message: 'Back-off restarting failed container app in pod web' });
    const legacy: PodEvent = { ...base, type: 'pod', phase: 'Failed', reason: 'INIT_FAILED', message: 'init container "x" failed' };
    assert.equal(eventRow(legacy).reason, 'Failed');
    const failed: PodEvent = {
      ...base,
      type: 'pod',
      phase: 'Failed',
      reason: 'Failed',
      code: 'INIT_FAILED',
      message: 'init container "x" failed with exit code 1 (Error)',
      failure: { container: 'x', reason: 'Error', exitCode: 1, lastLines: ['one', 'two'] },
    };
    assert.equal(eventRow(failed).message, 'init container "x" failed with exit code 1 (Error) (last output of x: "two")');
    const unhealthy: PodEvent = { ...base, type: 'occurrence', container: 'app', severity: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed: no' };
    assert.deepEqual(eventRow(unhealthy), { time: base.time, type: 'Warning', reason: 'Unhealthy', object: 'pod/web', message: 'Readiness probe failed: no' });
  });

  it('a PodError with evidence prints the last lines under the message', () => {
    const e = new PodError('init container "x" failed with exit code 1 (Error)', 'INIT_FAILED', { container: 'x', failure: { container: 'x', reason: 'Error', exitCode: 1, lastLines: ['one', 'two'] } });
    assert.equal(withHint(e), 'init container "x" failed with exit code 1 (Error)\nlast output of container "x":\n  | one\n  | two');
    const n = new PodError('container "c" of pod p is not running (waiting: CrashLoopBackOff)', 'NOT_RUNNING', { container: 'c' });
    assert.match(withHint(n), /not running \(waiting: CrashLoopBackOff\); 'podsmith describe POD' shows its state/);
    assert.doesNotMatch(withHint(n), /another operation/);
  });
});
