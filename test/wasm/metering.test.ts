// The metering rewriter on its own (no pods): a metered module computes what the original does, pays fuel
// for every loop iteration and call (recursion included), traps when the fuel is spent, and stops at the
// memory limit with the OOM flag set; what it cannot meter is said so. Modules are WAT compiled with wabt.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { FUEL_EXPORT, MEM_LIMIT_EXPORT, meterModule, MeteringUnsupported, OOM_EXPORT } from '../../engine/pods/wasm/metering';
import { readModuleInfo } from '../../engine/pods/wasm/module-info';

type Wabt = Awaited<ReturnType<typeof import('wabt')>>;
type Exports = Record<string, ((...a: number[]) => number) & { value: bigint | number }>;
const WA = (globalThis as unknown as { WebAssembly: { Instance: new (m: unknown, i: object) => { exports: Exports }; Module: new (b: Uint8Array) => unknown; validate(b: Uint8Array): boolean; RuntimeError: new () => Error } }).WebAssembly;

const SUM = `(module
  (memory (export "memory") 1)
  (func $sum (export "sum") (param $n i32) (result i32) (local $acc i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (i32.add (local.get $acc) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $acc))
  (func $down (export "down") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 0)) (else (call $down (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "forever") (call $down (i32.const 1)) (drop) (loop $l (br $l)))
  (func (export "grow") (param $pages i32) (result i32) (memory.grow (local.get $pages))))`;

describe('metering rewriter', () => {
  let wabt: Wabt;
  const compile = (wat: string, features = {}) => Buffer.from(wabt.parseWat('t.wat', wat, features).toBinary({}).buffer);
  const instantiate = (bytes: Uint8Array) => new WA.Instance(new WA.Module(bytes), {}).exports;

  before(async () => {
    wabt = await (await import('wabt')).default();
  });

  it('keeps what the module computes and charges every loop iteration and call', () => {
    const original = compile(SUM);
    const metered = meterModule(readModuleInfo(original));
    assert.ok(WA.validate(metered));
    const plain = instantiate(original);
    const m = instantiate(metered);
    const cost = (n: number) => {
      m[FUEL_EXPORT].value = 1_000_000n;
      assert.equal(m.sum(n), plain.sum(n));
      return 1_000_000n - (m[FUEL_EXPORT].value as bigint);
    };
    const perIteration = (cost(200) - cost(100)) / 100n;
    assert.ok(perIteration >= 8n, `a loop iteration of 9 instructions costs ${perIteration}`);
    assert.equal(cost(1100) - cost(100), 1000n * perIteration, 'the cost grows with the iterations, exactly');
    m[FUEL_EXPORT].value = 1_000_000n;
    assert.equal(m.down(50), 0);
    assert.ok(1_000_000n - (m[FUEL_EXPORT].value as bigint) >= 50n, 'recursion without loops pays per call');
  });

  it('traps when the fuel is spent, leaving it negative', () => {
    const m = instantiate(meterModule(readModuleInfo(compile(SUM))));
    m[FUEL_EXPORT].value = 10_000n;
    assert.throws(() => m.forever(), /unreachable/);
    assert.ok((m[FUEL_EXPORT].value as bigint) < 0n);
    assert.equal(m[OOM_EXPORT].value, 0);
  });

  it('lets memory grow up to the limit and traps past it with the OOM flag', () => {
    const m = instantiate(meterModule(readModuleInfo(compile(SUM))));
    m[FUEL_EXPORT].value = 1_000_000n;
    m[MEM_LIMIT_EXPORT].value = 4;
    assert.equal(m.grow(3), 1, 'growing to the limit works (returns the old size)');
    assert.throws(() => m.grow(1), /unreachable/);
    assert.equal(m[OOM_EXPORT].value, 1);
    assert.ok((m[FUEL_EXPORT].value as bigint) > 0n);
  });

  it('says what it cannot meter', () => {
    const eh = compile('(module (tag $t) (func (export "f") (try (do (nop)) (catch $t))))', { exceptions: true });
    assert.throws(() => meterModule(readModuleInfo(eh)), (e: Error) => e instanceof MeteringUnsupported && /exception handling/.test(e.message));
    assert.throws(() => meterModule(readModuleInfo(compile('(module (func (export "f")) (global (export "__podsmith_fuel") i32 (i32.const 0)))'))), MeteringUnsupported);
  });
});
