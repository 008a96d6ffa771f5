import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BundleError,
  buildBundleConfig,
  linuxResources,
  milliCpuToQuota,
  milliCpuToShares,
  parseProcLimits,
  resolveRlimits,
} from '../../../engine/image/bundle';
import { input } from './fixtures';

const PROC_LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max file size             unlimited            unlimited            bytes
Max stack size            8388608              unlimited            bytes
Max processes             96365                96365                processes
Max open files            20000                20000                files
Max locked memory         8388608              8388608              bytes
Max file locks            unlimited            unlimited            locks
Max nice priority         0                    0
`;

describe('rlimits', () => {
  it('defaults to RLIMIT_NOFILE 1048576', () => {
    assert.deepEqual(resolveRlimits(), [{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }]);
  });

  it('clamps to the caller hard limit', () => {
    assert.deepEqual(resolveRlimits([], { RLIMIT_NOFILE: 20000 }), [
      { type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 },
    ]);
  });

  it('clamps soft with hard so soft never exceeds hard', () => {
    const r = resolveRlimits([{ type: 'RLIMIT_NPROC', soft: 500, hard: 4000 }], { RLIMIT_NPROC: 100 });
    assert.deepEqual(
      r.find((x) => x.type === 'RLIMIT_NPROC'),
      { type: 'RLIMIT_NPROC', soft: 100, hard: 100 },
    );
    const under = resolveRlimits([{ type: 'RLIMIT_NPROC', soft: 50, hard: 4000 }], { RLIMIT_NPROC: 100 });
    assert.deepEqual(
      under.find((x) => x.type === 'RLIMIT_NPROC'),
      { type: 'RLIMIT_NPROC', soft: 50, hard: 100 },
    );
  });

  it('limits below the ceiling are untouched; extra rlimits replace defaults of the same type', () => {
    assert.deepEqual(resolveRlimits([{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }], { RLIMIT_NOFILE: 20000 }), [
      { type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 },
    ]);
  });

  it('refuses soft above hard and non-integers', () => {
    assert.throws(
      () => resolveRlimits([{ type: 'RLIMIT_CORE', soft: 2, hard: 1 }]),
      (e: unknown) => e instanceof BundleError && e.code === 'BAD_RLIMIT',
    );
    assert.throws(() => resolveRlimits([{ type: 'RLIMIT_CORE', soft: 1.5, hard: 2 }]), /non-negative integers/);
  });

  it('parses hard limits from /proc/self/limits, leaving unlimited ones out', () => {
    assert.deepEqual(parseProcLimits(PROC_LIMITS), {
      RLIMIT_NPROC: 96365,
      RLIMIT_NOFILE: 20000,
      RLIMIT_MEMLOCK: 8388608,
      RLIMIT_NICE: 0,
    });
  });

  it('the builder applies the ceilings', () => {
    const r = buildBundleConfig(input({}, { rlimitCeilings: parseProcLimits(PROC_LIMITS) }));
    assert.deepEqual(r.config.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }]);
  });
});

describe('cpu and memory (kubelet arithmetic)', () => {
  it('shares: 1024 per cpu, minimum 2, maximum 262144', () => {
    assert.equal(milliCpuToShares(0), 2);
    assert.equal(milliCpuToShares(1), 2);
    assert.equal(milliCpuToShares(250), 256);
    assert.equal(milliCpuToShares(1000), 1024);
    assert.equal(milliCpuToShares(1500), 1536);
    assert.equal(milliCpuToShares(300_000), 262144);
  });

  it('quota: period-scaled, minimum 1 ms, none without a limit', () => {
    assert.equal(milliCpuToQuota(0), 0);
    assert.equal(milliCpuToQuota(1), 1000);
    assert.equal(milliCpuToQuota(500), 50000);
    assert.equal(milliCpuToQuota(2000), 200000);
  });

  const res = (resources: { limits?: Record<string, string>; requests?: Record<string, string> }, pidsLimit?: number) =>
    linuxResources({ name: 'c', resources }, { privileged: false, pidsLimit });

  it('limit only: request defaults to the limit', () => {
    assert.deepEqual(res({ limits: { cpu: '500m', memory: '128Mi' } }), {
      devices: [{ allow: false, access: 'rwm' }],
      cpu: { shares: 512, period: 100000, quota: 50000 },
      memory: { limit: 134217728 },
    });
  });

  it('request and limit', () => {
    assert.deepEqual(res({ requests: { cpu: '250m' }, limits: { cpu: '1' } }).cpu, {
      shares: 256,
      period: 100000,
      quota: 100000,
    });
  });

  it('nothing set: minimal shares, no quota, no memory limit', () => {
    const r = res({});
    assert.deepEqual(r.cpu, { shares: 2, period: 100000 });
    assert.equal(r.memory, undefined);
  });

  it('fractional quantities round up (MilliValue/Value)', () => {
    assert.deepEqual(res({ limits: { cpu: '0.0001', memory: '1.5k' } }), {
      devices: [{ allow: false, access: 'rwm' }],
      cpu: { shares: 2, period: 100000, quota: 1000 },
      memory: { limit: 1500 },
    });
    assert.equal(res({ limits: { memory: '1G' } }).memory?.limit, 1_000_000_000);
  });

  it('pids limit and privileged devices', () => {
    assert.deepEqual(res({}, 512).pids, { limit: 512 });
    assert.deepEqual(linuxResources({ name: 'c' }, { privileged: true }).devices, [{ allow: true, access: 'rwm' }]);
  });

  it('a malformed quantity is an error', () => {
    assert.throws(
      () => res({ limits: { memory: 'lots' } }),
      (e: unknown) => e instanceof BundleError && e.code === 'BAD_QUANTITY',
    );
    assert.throws(() => res({ limits: { cpu: '-1' } }), /not a valid quantity/);
  });
});
