// Startup, liveness and readiness probes of one container instance, with the kubelet's timing: each probe
// waits initialDelaySeconds from the container's start, then runs every periodSeconds with timeoutSeconds;
// successThreshold consecutive successes and failureThreshold consecutive failures flip its result. Liveness
// and readiness wait for the startup probe to succeed; a failed startup or liveness probe asks for a kill.
import type { Handler } from './handlers';
import type { CheckResult } from './netns-agent';
import type { PodContainer, Probe } from './pod-spec';

export interface ProbeCallbacks {
  run(handler: Handler, timeoutMs: number): Promise<CheckResult>;
  /** The startup probe passed (or there is none). */
  started(): void;
  readiness(ready: boolean, message?: string): void;
  /**
   * A probe failed (the kubelet's Unhealthy event): the first failure of a failing streak, and again whenever
   * its message changes, so a probe failing for hours does not flood the event history.
   */
  unhealthy(kind: ProbeKind, message: string): void;
  /** The container should be killed and restarted per the pod's policy. */
  failed(kind: 'liveness' | 'startup', message: string, probe: Probe): void;
}

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

const TITLE: Record<ProbeKind, string> = { startup: 'Startup', liveness: 'Liveness', readiness: 'Readiness' };

export function probeTiming(p: Probe): { initialMs: number; periodMs: number; timeoutMs: number; success: number; failure: number } {
  return {
    initialMs: Math.max(0, p.initialDelaySeconds ?? 0) * 1000,
    periodMs: Math.max(1, p.periodSeconds ?? 10) * 1000,
    timeoutMs: Math.max(1, p.timeoutSeconds ?? 1) * 1000,
    success: Math.max(1, p.successThreshold ?? 1),
    failure: Math.max(1, p.failureThreshold ?? 3),
  };
}

export class ContainerProbes {
  private readonly stop$ = new AbortController();

  constructor(
    private readonly spec: PodContainer,
    /** When the instance started (ms since epoch): initial delays count from here. */
    private readonly startedAt: number,
    private readonly cb: ProbeCallbacks,
  ) {}

  start(): void {
    void this.main();
  }

  stop(): void {
    this.stop$.abort();
  }

  get stopped(): boolean {
    return this.stop$.signal.aborted;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      const signal = this.stop$.signal;
      const onStop = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onStop);
        resolve();
      }, Math.max(0, ms));
      signal.addEventListener('abort', onStop, { once: true });
    });
  }

  private async main(): Promise<void> {
    const { startupProbe, livenessProbe, readinessProbe } = this.spec;
    if (startupProbe && !(await this.startup(startupProbe))) return;
    if (this.stopped) return;
    this.cb.started();
    if (!readinessProbe) this.cb.readiness(true);
    await Promise.all([livenessProbe ? this.liveness(livenessProbe) : undefined, readinessProbe ? this.readiness(readinessProbe) : undefined]);
  }

  /** Runs `probe` on its schedule, handing each result to `onResult` until it returns false or probes stop. */
  private async loop(kind: ProbeKind, probe: Probe, onResult: (r: CheckResult) => boolean): Promise<void> {
    const t = probeTiming(probe);
    await this.sleep(this.startedAt + t.initialMs - Date.now());
    let lastFailure: string | undefined;
    while (!this.stopped) {
      const began = Date.now();
      const r = await this.cb.run(probe, t.timeoutMs).catch((e: Error) => ({ ok: false, message: e.message }));
      if (this.stopped) return;
      if (r.ok) lastFailure = undefined;
      else if (r.message !== lastFailure) {
        lastFailure = r.message;
        this.cb.unhealthy(kind, `${TITLE[kind]} probe failed: ${r.message.trim()}`);
      }
      if (!onResult(r)) return;
      await this.sleep(began + t.periodMs - Date.now());
    }
  }

  private async startup(probe: Probe): Promise<boolean> {
    const t = probeTiming(probe);
    let failures = 0;
    let passed = false;
    await this.loop('startup', probe, (r) => {
      if (r.ok) {
        passed = true;
        return false;
      }
      if (++failures >= t.failure) {
        this.cb.failed('startup', `Startup probe failed: ${r.message.trim()}`, probe);
        return false;
      }
      return true;
    });
    return passed;
  }

  private async liveness(probe: Probe): Promise<void> {
    const t = probeTiming(probe);
    let failures = 0;
    await this.loop('liveness', probe, (r) => {
      failures = r.ok ? 0 : failures + 1;
      if (failures >= t.failure) {
        this.cb.failed('liveness', `Liveness probe failed: ${r.message.trim()}`, probe);
        return false;
      }
      return true;
    });
  }

  private async readiness(probe: Probe): Promise<void> {
    const t = probeTiming(probe);
    let successes = 0;
    let failures = 0;
    let ready = false;
    await this.loop('readiness', probe, (r) => {
      if (r.ok) {
        failures = 0;
        if (++successes >= t.success && !ready) {
          ready = true;
          this.cb.readiness(true);
        }
      } else {
        successes = 0;
        if (++failures >= t.failure && ready) {
          ready = false;
          this.cb.readiness(false, `Readiness probe failed: ${r.message}`);
        }
      }
      return true;
    });
  }
}
