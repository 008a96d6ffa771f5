// `podsmith login [-u USER] [--password-stdin] [--insecure-registry HOST[:PORT]]... [REGISTRY]` and
// `podsmith logout [REGISTRY]`. Credentials are checked against the registry first, then stored in
// $PODSMITH_HOME/auth.json (mode 0600, containers auth.json format). The password never goes on the command
// line: it is read from stdin (--password-stdin) or asked for without echo on a terminal.
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { removeCredentials, saveCredentials } from '../../image/registry/auth-file';
import { RegistryClient } from '../../image/registry/client';
import { loadInsecurePolicy } from '../../image/registry/insecure';
import { TokenCache } from '../../image/registry/token';
import { normalizeRegistryHost } from '../../image/reference';
import { UsageError } from '../files';
import { processIo, type Io } from '../io';
import { runRegistryCommand, type RegistryCommandDeps } from './registry-command';

export const LOGIN_USAGE = `Usage: podsmith login [-u USER] [--password-stdin] [--insecure-registry HOST[:PORT]]... [REGISTRY]

Checks a user name and password against REGISTRY (default docker.io) and stores them in
$PODSMITH_HOME/auth.json (readable only by you) for pull and push. The password is read from stdin with
--password-stdin, else asked for on the terminal. Exit 0 when the registry accepted them, 1 when it did not,
2 for usage errors.`;

export const LOGOUT_USAGE = `Usage: podsmith logout [REGISTRY]

Removes the credentials 'podsmith login' stored for REGISTRY (default docker.io).`;

const HOST = /^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?)(:[0-9]{1,5})?$/;
const STDIN_MAX = 64 * 1024;

function registryArg(raw: string | undefined): string {
  const host = normalizeRegistryHost(raw ?? 'docker.io');
  if (!HOST.test(host)) throw new UsageError(`"${raw}" is not a registry host[:port]`);
  return host;
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of process.stdin as AsyncIterable<Buffer>) {
    total += c.length;
    if (total > STDIN_MAX) throw new UsageError('stdin holds more than 64 KiB; expected a password');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Asks on the terminal; a hidden answer is read in raw mode so it is never echoed. */
async function terminalPrompt(question: string, hidden: boolean): Promise<string> {
  if (!hidden) {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  }
  process.stderr.write(question);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise<string>((resolve, reject) => {
    let answer = '';
    const done = (err?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(answer);
    };
    const onData = (buf: Buffer): void => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new UsageError('cancelled'));
        if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
        else answer += ch;
      }
    };
    stdin.on('data', onData);
  });
}

function defaultPrompt(io: Io): RegistryCommandDeps['prompt'] {
  return io === processIo && process.stdin.isTTY ? terminalPrompt : undefined;
}

export function loginCommand(argv: string[], io: Io, deps: RegistryCommandDeps = {}): Promise<number> {
  return runRegistryCommand('login', LOGIN_USAGE, io, async () => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        username: { type: 'string', short: 'u' },
        'password-stdin': { type: 'boolean' },
        'insecure-registry': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.out(LOGIN_USAGE + '\n');
      return 0;
    }
    if (positionals.length > 1) throw new UsageError('login takes one registry');
    const registry = registryArg(positionals[0]);
    const env = deps.env ?? process.env;
    const prompt = deps.prompt ?? defaultPrompt(io);

    let username = values.username;
    if (!username) {
      if (!prompt) throw new UsageError('no terminal to ask for a user name: pass -u USER');
      username = (await prompt('Username: ', false)).trim();
    }
    if (!username || username.includes(':')) throw new UsageError('the user name must be non-empty and may not contain ":"');

    let password: string;
    if (values['password-stdin']) {
      password = (await (deps.readStdin ?? readAllStdin)()).replace(/\r?\n$/, '');
    } else {
      if (!prompt) throw new UsageError('no terminal to ask for the password: pipe it in with --password-stdin');
      password = await prompt('Password: ', true);
    }
    if (!password) throw new UsageError('the password is empty');

    const policy = loadInsecurePolicy({ flags: values['insecure-registry'], env });
    const client = new RegistryClient({
      registry,
      insecure: policy.allows(registry),
      credentials: { username, password },
      timeouts: deps.timeouts,
      retry: deps.retry,
      signal: deps.signal,
      // A fresh cache: an earlier token must not vouch for these credentials.
      tokenCache: new TokenCache(),
    });
    let needsAuth: boolean;
    try {
      needsAuth = await client.verifyLogin();
    } finally {
      client.close();
    }
    const file = saveCredentials(registry, { username, password }, env);
    if (!needsAuth) io.err(`podsmith login: note: ${registry} does not ask for credentials; stored them anyway\n`);
    io.out(`Login Succeeded: credentials for ${registry} stored in ${file}\n`);
    return 0;
  });
}

export function logoutCommand(argv: string[], io: Io, deps: RegistryCommandDeps = {}): Promise<number> {
  return runRegistryCommand('logout', LOGOUT_USAGE, io, async () => {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      io.out(LOGOUT_USAGE + '\n');
      return 0;
    }
    if (positionals.length > 1) throw new UsageError('logout takes one registry');
    const registry = registryArg(positionals[0]);
    if (removeCredentials(registry, deps.env ?? process.env)) io.out(`Removed credentials for ${registry}\n`);
    else io.out(`No credentials stored for ${registry}\n`);
    return 0;
  });
}
