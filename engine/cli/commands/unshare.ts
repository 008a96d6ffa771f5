// `podsmith unshare [--] [COMMAND...]`: a command inside the user's namespace, as `podman unshare` does.
import { spawnSync } from 'node:child_process';
import { podsmithHome } from '../../home';
import { identity } from '../../rootless/identity';
import { needsNamespace } from '../../rootless/namespace';
import { runInside } from '../../rootless/run-inside';
import { runCommand } from '../run-command';
import type { Io } from '../io';

export const UNSHARE_USAGE = `Usage: podsmith unshare [--] [COMMAND [ARG...]]

Runs COMMAND (default: $SHELL, else /bin/sh) inside your user namespace, where rootless pods run: the one of
your PODSMITH_HOME's daemon and pods while any of them runs, else a new one with the same id mapping. In
there you are root (uid 0), and the files of unpacked images and volumes belong to the ids containers see,
so you can read or remove them, e.g. podsmith unshare rm -rf ~/.local/share/podsmith. For root, and inside
the namespace already, COMMAND simply runs. The exit status is COMMAND's.`;

export function unshareCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runCommand('unshare', UNSHARE_USAGE, io, async () => {
    let rest = argv;
    if (rest[0] === '-h' || rest[0] === '--help') {
      io.out(UNSHARE_USAGE + '\n');
      return 0;
    }
    if (rest[0] === '--') rest = rest.slice(1);
    const command = rest.length ? rest : [env.SHELL || '/bin/sh'];
    if (!needsNamespace()) {
      if (identity().hostRoot) io.err('podsmith unshare: root runs pods without a user namespace; running the command as is\n');
      const r = spawnSync(command[0], command.slice(1), { stdio: 'inherit', env });
      if (r.error) throw r.error;
      return r.status ?? 1;
    }
    return runInside(podsmithHome(env), command, env);
  });
}
