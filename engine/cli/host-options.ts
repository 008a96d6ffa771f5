// `--host NAME` (or PODSMITH_HOST) and `--accept-new-host-key`, taken off a pod command's arguments before the
// command parses the rest. Kept apart from the SSH code so a local command never loads it.
import { UsageError } from './files';

export interface HostOptions {
  host?: string;
  acceptNewHostKey: boolean;
}

/** Removes --host NAME, --host=NAME and --accept-new-host-key from argv (before a `--`, which exec's command follows). */
export function takeHostOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): { argv: string[]; opts: HostOptions } {
  const out: string[] = [];
  const opts: HostOptions = { host: env.PODSMITH_HOST || undefined, acceptNewHostKey: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a === '--host') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('-')) throw new UsageError('--host needs a host name (podsmith host ls)');
      opts.host = v;
    } else if (a.startsWith('--host=')) {
      opts.host = a.slice('--host='.length);
      if (!opts.host) throw new UsageError('--host needs a host name (podsmith host ls)');
    } else if (a === '--accept-new-host-key') opts.acceptNewHostKey = true;
    else out.push(a);
  }
  return { argv: out, opts };
}
