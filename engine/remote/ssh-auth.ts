// Logging in, in OpenSSH's order: the agent (SSH_AUTH_SOCK, or IdentityAgent), then key files (IdentityFile,
// else ~/.ssh/id_ed25519, id_ecdsa, id_rsa), then a password, then keyboard-interactive. Passphrases,
// passwords and answers are asked through the caller's prompts (the CLI on its terminal, the editor with an
// input box) only when needed and never stored; private keys never leave this machine (the agent signs, or the
// key is read here). A key the agent holds is not asked a passphrase for: the agent already offered it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BaseAgent, OpenSSHAgent, utils, type AnyAuthMethod, type AuthHandlerMiddleware, type ParsedKey } from 'ssh2';
import type { SshHostConfig } from './ssh-config';

export interface AuthPrompts {
  /** The passphrase of an encrypted key file; undefined skips the key. `retry` after a wrong one. */
  passphrase?(keyFile: string, retry: boolean): Promise<string | undefined>;
  /** A password for user@host; undefined skips password authentication. */
  password?(user: string, host: string): Promise<string | undefined>;
  /** The server's keyboard-interactive questions; undefined gives up. */
  keyboardInteractive?(req: { user: string; host: string; name: string; instructions: string; prompts: { prompt: string; echo: boolean }[] }): Promise<string[] | undefined>;
}

export interface AuthContext {
  cfg: SshHostConfig;
  /** user@host[:port], for prompts and messages. */
  label: string;
  env: NodeJS.ProcessEnv;
  home: string;
  prompts: AuthPrompts;
  /** Called around a prompt so the caller can stop its connect timer while a person types. */
  waiting?(on: boolean): void;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
const PASSPHRASE_TRIES = 3;

/** An agent that offers only some of its keys (IdentitiesOnly). */
class FilteredAgent extends BaseAgent<ParsedKey> {
  constructor(
    private readonly inner: OpenSSHAgent,
    private readonly allowed: Set<string>,
  ) {
    super();
  }
  getIdentities(cb: (err: Error | undefined, keys?: ParsedKey[]) => void): void {
    this.inner.getIdentities((err, keys) => {
      if (err) return cb(err);
      cb(undefined, ((keys ?? []) as ParsedKey[]).filter((k) => this.allowed.has(k.getPublicSSH().toString('base64'))));
    });
  }
  sign(pubKey: ParsedKey, data: Buffer, options: object, cb?: (err: Error | undefined, signature?: Buffer) => void): void {
    this.inner.sign(pubKey, data, options as never, cb as never);
  }
}

/** The public key blob of a key file, from its .pub file or an unencrypted private key. */
function publicBlob(file: string): string | undefined {
  try {
    const pub = readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/)[1];
    if (pub) return pub;
  } catch {
    // no .pub next to it
  }
  try {
    const k = utils.parseKey(readFileSync(file));
    if (!(k instanceof Error)) return (Array.isArray(k) ? k[0] : k).getPublicSSH().toString('base64');
  } catch {
    // unreadable
  }
  return undefined;
}

function agentKeys(agent: OpenSSHAgent): Promise<string[]> {
  return new Promise((resolve) =>
    agent.getIdentities((err, keys) => resolve(err ? [] : ((keys ?? []) as ParsedKey[]).map((k) => k.getPublicSSH().toString('base64')))),
  );
}

/**
 * The authHandler for ssh2, and a record of what was tried (for the error when everything fails). Each call
 * of the handler means the previous method failed.
 */
export function makeAuthHandler(ctx: AuthContext): { handler: AuthHandlerMiddleware; tried: string[] } {
  const tried: string[] = [];
  const { cfg } = ctx;
  const user = cfg.user;
  const steps = attempts();
  let current: string | undefined;

  async function ask<T>(fn: () => Promise<T>): Promise<T> {
    ctx.waiting?.(true);
    try {
      return await fn();
    } finally {
      ctx.waiting?.(false);
    }
  }

  async function* attempts(): AsyncGenerator<{ method: AnyAuthMethod; label: string; needs: string }> {
    const candidates = cfg.identityFilesSet ? cfg.identityFiles : DEFAULT_KEYS.map((k) => join(ctx.home, '.ssh', k));
    const keyFiles = candidates.filter((f) => existsSync(f));
    // 1. The agent.
    let offeredByAgent: string[] = [];
    const socket = cfg.identityAgent ?? ctx.env.SSH_AUTH_SOCK;
    if (socket && socket !== 'none') {
      if (!existsSync(socket)) tried.push(`agent: ${socket} does not exist (a stale SSH_AUTH_SOCK?)`);
      else {
        const agent = new OpenSSHAgent(socket);
        const held = await agentKeys(agent);
        // A .pub file alone is enough to pick the agent's key, as with OpenSSH.
        const allowed = new Set(candidates.map(publicBlob).filter((b): b is string => !!b));
        const offered = cfg.identitiesOnly ? held.filter((k) => allowed.has(k)) : held;
        if (offered.length === 0) tried.push(held.length ? `agent: none of its ${held.length} keys is an IdentityFile (IdentitiesOnly)` : 'agent: holds no keys');
        else {
          offeredByAgent = offered;
          yield {
            method: { type: 'agent', username: user, agent: cfg.identitiesOnly ? new FilteredAgent(agent, allowed) : agent },
            label: `agent (${offered.length} key${offered.length === 1 ? '' : 's'})`,
            needs: 'publickey',
          };
        }
      }
    }
    // 2. Key files (a key the agent offered already was refused: not asked again).
    for (const file of keyFiles) {
      const pub = publicBlob(file);
      if (pub && offeredByAgent.includes(pub)) continue;
      let data: Buffer;
      try {
        data = readFileSync(file);
      } catch (err) {
        tried.push(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        continue;
      }
      let key = utils.parseKey(data);
      if (key instanceof Error && /passphrase|encrypted/i.test(key.message)) {
        if (!ctx.prompts.passphrase) {
          tried.push(`${file}: encrypted, and there is no way to ask its passphrase here (add it to the agent: ssh-add ${file})`);
          continue;
        }
        for (let i = 0; i < PASSPHRASE_TRIES && key instanceof Error; i++) {
          const pass = await ask(() => ctx.prompts.passphrase!(file, i > 0));
          if (pass === undefined) break;
          key = utils.parseKey(data, pass);
        }
        if (key instanceof Error) {
          tried.push(`${file}: no valid passphrase given`);
          continue;
        }
      }
      if (key instanceof Error) {
        tried.push(`${file}: not a private key ssh2 can use (${key.message})`);
        continue;
      }
      yield { method: { type: 'publickey', username: user, key: Array.isArray(key) ? key[0] : key }, label: file, needs: 'publickey' };
    }
    // 3. A password, 4. keyboard-interactive: only with someone to ask.
    if (ctx.prompts.password) {
      const password = await ask(() => ctx.prompts.password!(user, ctx.label));
      if (password !== undefined) yield { method: { type: 'password', username: user, password }, label: 'password', needs: 'password' };
    }
    if (ctx.prompts.keyboardInteractive) {
      yield {
        method: {
          type: 'keyboard-interactive',
          username: user,
          prompt: (name, instructions, _lang, prompts, finish) => {
            if (prompts.length === 0) return finish([]);
            ask(() => ctx.prompts.keyboardInteractive!({ user, host: ctx.label, name, instructions, prompts: prompts.map((p) => ({ prompt: p.prompt, echo: !!p.echo })) })).then(
              (answers) => finish(answers ?? prompts.map(() => '')),
              () => finish(prompts.map(() => '')),
            );
          },
        },
        label: 'keyboard-interactive',
        needs: 'keyboard-interactive',
      };
    }
  }

  const handler: AuthHandlerMiddleware = (methodsLeft, _partial, next) => {
    if (current) tried.push(`${current}: refused by the server`);
    current = undefined;
    void (async () => {
      for (;;) {
        const step = await steps.next();
        if (step.done) return next(false as never);
        // The server's list of methods that can continue (none on the first call).
        if (methodsLeft && !methodsLeft.includes(step.value.needs as never)) {
          tried.push(`${step.value.label}: the server does not accept ${step.value.needs}`);
          continue;
        }
        current = step.value.label;
        return next(step.value.method);
      }
    })().catch((err: Error) => {
      tried.push(`authentication stopped: ${err.message}`);
      next(false as never);
    });
  };
  return { handler, tried };
}
