import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expectOne, findings, fixed, none, pod, range } from './helpers';

describe('no-containers', () => {
  it('flags an empty list on the containers key', () => {
    const f = expectOne(pod('  containers: []'), 'no-containers', 'error', range(5, 2, 5, 12));
    assert.match(f.message, /empty/);
  });

  it('leaves a missing list to the schema and passes one container', () => {
    none(pod('  restartPolicy: Never'), 'no-containers');
    none(pod('  containers:', '  - {name: a, image: b}'), 'no-containers');
    none(pod('  containers: {}'), 'no-containers');
  });
});

describe('duplicate-container-name', () => {
  it('flags the second use across init, app and ephemeral containers', () => {
    const text = pod(
      '  initContainers:',
      '  - {name: web, image: b}',
      '  containers:',
      '  - {name: web, image: b}',
      '  - {name: web-2, image: b}',
      '  ephemeralContainers:',
      '  - {name: web, image: b}',
    );
    const fs = findings(text, 'duplicate-container-name');
    assert.deepEqual(fs.map((f) => f.range), [range(8, 11, 8, 14), range(11, 11, 11, 14)]);
    assert.equal(fs[0].severity, 'error');
    assert.match(fs[0].message, /"web" is already used by init container #1/);
    // The fix skips names already taken (web-2) and does not hand out the same name twice.
    assert.equal(fixed(text, fs[0]).split('\n')[8], '  - {name: web-3, image: b}');
    assert.equal(fixed(text, fs[1]).split('\n')[11], '  - {name: web-4, image: b}');
  });

  it('passes distinct names', () => {
    none(pod('  initContainers:', '  - {name: init, image: b}', '  containers:', '  - {name: web, image: b}'), 'duplicate-container-name');
  });
});
