// checkLimits is also the engine's gate at run_pod time: a pure function over the pod object.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkLimits } from '../../engine/limits/index';
import { RULES } from '../../engine/manifest/rules/registry';

const pod = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'p' }) => ({ metadata, spec });

describe('checkLimits', () => {
  it('returns reports with paths relative to the pod', () => {
    const reports = checkLimits(pod({ terminationGracePeriodSeconds: 301, containers: [{ name: 'a', image: 'b', resources: { limits: { memory: '9Gi' } } }] }));
    assert.deepEqual(reports.map((r) => [r.rule, r.path]), [
      ['limit-grace-period', ['spec', 'terminationGracePeriodSeconds']],
      ['limit-memory', ['spec', 'containers', 0, 'resources', 'limits', 'memory']],
    ]);
    assert.deepEqual(reports[0].fixes, [{ kind: 'set-value', title: 'Set to 300', value: 300, preferred: true }]);
  });

  it('takes the runtime class from the option or from the pod, aliases included', () => {
    const spec = { containers: [{ name: 'a', image: 'b', resources: { limits: { cpu: 9 } } }] };
    assert.deepEqual(checkLimits(pod(spec)).map((r) => r.rule), []);
    assert.deepEqual(checkLimits(pod(spec), { runtimeClass: 'pod-microvm' }).map((r) => r.rule), ['limit-microvm-cpu']);
    assert.deepEqual(checkLimits(pod({ ...spec, runtimeClassName: 'pod-microvm-containers' })).map((r) => r.rule), ['limit-microvm-cpu']);
    assert.deepEqual(checkLimits(pod({ ...spec, runtimeClassName: 'pod-microvm' }), { runtimeClass: 'pod-containers' }).map((r) => r.rule), []);
  });

  it('accepts anything without throwing', () => {
    for (const v of [undefined, null, 0, 'pod', [], {}, { spec: [] }, { metadata: 'x', spec: { containers: 'y' } }]) {
      assert.deepEqual(checkLimits(v), []);
    }
  });

  it('uses only rule ids the registry lists', () => {
    const known = new Set(RULES.map((r) => r.id));
    const reports = checkLimits(pod({ containers: Array.from({ length: 17 }, (_, i) => ({ name: `C${i}`, image: 'x'.repeat(600) })) }, { name: 'Bad', labels: { 'a/b/c': '!' } }));
    assert.ok(reports.length > 17);
    for (const r of reports) assert.ok(known.has(r.rule), r.rule);
  });
});
