// `podsmith doctor [-o table|json]`: which runtimes, supervisors, cgroups, network and VM parts this host has,
// whether they work, and how to install what is missing. Exit 0 when pod-containers can run, 1 otherwise.
import { parseArgs } from 'node:util';
import { formatReport, runDoctor } from '../../doctor';
import { UsageError } from '../files';
import type { Io } from '../io';
import { podsmithCommand } from '../../client/start-daemon';
import { podsmithHome } from '../../home';
import { needsNamespace } from '../../rootless/namespace';
import { runInside, userNamespaceProblem } from '../../rootless/run-inside';

export const DOCTOR_USAGE = `Usage: podsmith doctor [-o table|json]

Checks what running pods needs on this host: OCI runtimes (each one tried with a test container), conmon,
catatonit, cgroups, the network tools (nsenter, ip, pasta), PODSMITH_HOME, and for microVMs KVM, vsock and
QEMU. For a user who is not root it runs inside the user's namespace and adds rootless readiness: user
namespaces, subordinate ids, uidmap, cgroup delegation, overlay in a user namespace, /dev/net/tun and the
unprivileged port start. Prints how to install what is missing. Exits 0 when pod-containers can run here, 1 when something it
needs is missing or broken; optional parts (qemu, KVM, youki, ...) are warnings.`;

export async function doctorCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { output: { type: 'string', short: 'o', default: 'table' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.out(DOCTOR_USAGE + '\n');
    return 0;
  }
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.output !== 'table' && values.output !== 'json') throw new UsageError(`-o must be table or json, not "${values.output}"`);
  // A plain user's pods run in their user namespace: the doctor looks from there (rootless-checks.ts).
  let enterError: string | undefined;
  if (needsNamespace()) {
    enterError = userNamespaceProblem();
    if (!enterError) {
      const { command, args, cwd } = podsmithCommand();
      return runInside(podsmithHome(env), [command, ...args, 'doctor', ...argv], env, cwd);
    }
  }
  const report = await runDoctor({ env, ...(enterError ? { enterError } : {}) });
  io.out(values.output === 'json' ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
  return report.ok ? 0 : 1;
}
