// The guest agent: the program the microVM's init runs (engine/pods/microvm/guest/init-script.ts). It serves
// the host over the virtio-serial port (channel.ts) and runs the pod (pod.ts) with runc. It holds all of the
// pod's state in the guest: a host that goes away (daemon restart) and comes back finds the pod as it is now,
// in status.json and through pod.state. If the agent itself ends, init powers the VM off.
import { uptime } from 'node:os';
import { Channel, RequestError } from './channel';
import { dialPort } from './dial';
import { killExec, resizeExec, startExec } from './exec';
import { closeChecks } from './handlers';
import { GuestPod } from './pod';
import { findAgentPort, Port } from './port';
import { configureNetwork, mountShares, setHostname, setUpCgroups } from './setup';
import { prepareSyscalls } from './syscalls';
import { bootedAsTemplate, kernelBootId, prepareThaw, reseedRandom, setWallClock } from './thaw';
import { busybox, OCI_NAME, warmOciRuntime } from './tools';
import type { GuestPodPlan } from '../protocol/messages';

/** To the guest's console (the host keeps it as console.log), with the guest's uptime for timing. */
function log(message: string): void {
  process.stderr.write(`podsmith-agent [${uptime().toFixed(2)}]: ${message}\n`);
}

function setClock(epochMs: number): void {
  try {
    return setWallClock(epochMs);
  } catch {
    // Without the FFI: whole seconds through busybox.
  }
  // busybox date takes whole seconds: the clock is right to within a second, as the kernel's RTC read was.
  void busybox(['date', '-u', '-s', `@${Math.round(epochMs / 1000)}`]).catch((e: Error) => log(`cannot set the clock: ${e.message}`));
}

function checkPlan(plan: GuestPodPlan): void {
  if (!plan || typeof plan.uid !== 'string' || !Array.isArray(plan.containers) || !plan.pod?.spec) throw new RequestError('pod.start needs a plan', 'INVALID');
}

async function main(): Promise<void> {
  const port = await Port.open(findAgentPort());
  const channel = new Channel(port);
  const template = bootedAsTemplate();
  channel.holdBootId = template;
  let pod: GuestPod | undefined;
  channel.onHostTime = (t) => {
    if (Math.abs(t - Date.now()) > 1000) setClock(t);
  };
  channel.handle('pod.start', async ({ plan }) => {
    checkPlan(plan);
    // A clone runs nothing before it has its own entropy and clock (guest.thaw).
    if (channel.holdBootId) throw new RequestError('this guest was booted as a template and has not been thawed', 'INVALID');
    if (pod) throw new RequestError(`pod ${pod.plan.name} already runs in this VM`, 'ALREADY_EXISTS');
    let ips: string[];
    try {
      await mountShares(plan);
      setUpCgroups();
      await setHostname(plan.hostname);
      ips = await configureNetwork(plan);
    } catch (err) {
      throw new RequestError(`the guest could not be set up for the pod: ${(err as Error).message}`, 'START_FAILED');
    }
    log(`pod ${plan.name}: shares, cgroups and network set up`);
    const p = (pod = new GuestPod(plan, (e) => channel.event(e)));
    if (ips.length) p.state.podIPs = ips;
    await p.run();
    log(`pod ${plan.name}: ${p.state.phase}`);
    return { state: p.state };
  });
  channel.handle('pod.stop', async ({ gracePeriodSeconds }) => {
    if (!pod) throw new RequestError('no pod runs in this VM', 'NOT_RUNNING');
    await pod.stop(gracePeriodSeconds);
    return { state: pod.state };
  });
  channel.handle('pod.state', async () => {
    if (!pod) throw new RequestError('no pod runs in this VM', 'NOT_RUNNING');
    return { state: pod.state };
  });
  channel.handle('exec.start', async (params, session) => {
    await startExec(pod, params, session);
    return {};
  });
  channel.handle('exec.resize', async ({ stream, columns, rows }) => {
    resizeExec(stream, columns, rows);
    return {};
  });
  channel.handle('exec.kill', async ({ stream }) => {
    killExec(stream);
    return {};
  });
  channel.handle('port.dial', async (params, session) => {
    if (!pod) throw new RequestError('no pod runs in this VM', 'NOT_RUNNING');
    await dialPort(params, session);
    return {};
  });
  channel.handle('guest.freeze', async () => {
    if (!template || pod) throw new RequestError('only an idle guest booted as a template can be frozen', 'INVALID');
    // The next host is a clone's, waiting for its first answer: read the port again within milliseconds.
    port.idlePollMs = 2;
    prepareThaw();
    prepareSyscalls();
    setUpCgroups();
    // The OCI runtime and its libraries read from the tools image once, here: every clone finds them in its page cache.
    await warmOciRuntime();
    log('frozen: this guest may now be saved as a template');
    return {};
  });
  channel.handle('guest.thaw', async ({ epochMs, seed }) => {
    if (typeof epochMs !== 'number' || typeof seed !== 'string') throw new RequestError('guest.thaw needs epochMs and seed', 'INVALID');
    reseedRandom(Buffer.from(seed, 'base64'));
    setWallClock(epochMs);
    port.idlePollMs = 100;
    channel.holdBootId = false;
    return { bootId: kernelBootId() };
  });
  channel.handle('guest.poweroff', async () => {
    closeChecks();
    await busybox(['sync']).catch(() => undefined);
    // After the response is on its way: init powers the VM off once the agent has exited.
    setTimeout(() => process.exit(0), 100);
    return {};
  });
  channel.start();
  log(`ready (containers run with ${OCI_NAME})`);
}

process.on('uncaughtException', (err) => {
  log(`fatal: ${err.stack ?? err.message}`);
  process.exit(70);
});
process.on('unhandledRejection', (err) => {
  log(`fatal (unhandled rejection): ${(err as Error)?.stack ?? String(err)}`);
  process.exit(70);
});
main().catch((err: Error) => {
  log(`cannot start: ${err.stack ?? err.message}`);
  process.exit(71);
});
