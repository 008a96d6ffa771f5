// ~/.ssh/config as OpenSSH reads it, for the options Podsmith uses: Host and Match blocks, Include (with globs,
// relative to ~/.ssh), HostName, Port, User, IdentityFile, IdentitiesOnly, IdentityAgent, ProxyJump,
// ServerAliveInterval, ServerAliveCountMax, ConnectTimeout, UserKnownHostsFile, HostKeyAlias, and the tokens
// %h %p %r %u %d %n %% and a leading ~ where OpenSSH expands them. The first value found for an option wins,
// except IdentityFile and UserKnownHostsFile, which collect. ssh2 reads no config file itself.
//
// Nothing here runs a program: `Match exec` would run a shell command, so such a block is treated as not
// matching, with a warning; ProxyCommand is refused when it applies (connecting directly instead could take
// another route than the user set up). Unknown options are ignored, as OpenSSH ignores options it does not use.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';

export interface SshHostConfig {
  /** The name the user gave (the Host alias). */
  alias: string;
  hostName: string;
  port: number;
  user: string;
  /** Key files to try, tokens and ~ expanded, in order. */
  identityFiles: string[];
  /** Whether IdentityFile lines were given (else the default keys are tried). */
  identityFilesSet: boolean;
  identitiesOnly: boolean;
  /** Agent socket: undefined = SSH_AUTH_SOCK, 'none' = no agent. */
  identityAgent?: string;
  /** The hops to go through, first to last ([user@]host[:port] each). */
  proxyJump: string[];
  /** Seconds; 0 = off. */
  serverAliveInterval?: number;
  serverAliveCountMax?: number;
  /** Seconds. */
  connectTimeout?: number;
  userKnownHostsFiles: string[];
  hostKeyAlias?: string;
  /** A ProxyCommand that applies: refused at connect time. */
  proxyCommand?: string;
  /** Lines of the config Podsmith could not honour (file:line: why). */
  warnings: string[];
}

interface Line {
  file: string;
  line: number;
  key: string;
  args: string[];
}

type Block = { kind: 'all' } | { kind: 'host'; patterns: string[] } | { kind: 'match'; criteria: string[]; at: Line };

interface Entry {
  block: Block[];
  line: Line;
}

export interface SshConfigOptions {
  /** The local user's home (default os.homedir()). */
  home?: string;
  /** The local user name (default os.userInfo().username). */
  localUser?: string;
  /** The config file (default ~/.ssh/config); a missing file is an empty config. */
  file?: string;
  env?: NodeJS.ProcessEnv;
}

const MAX_INCLUDE_DEPTH = 16;

/** Splits a config line into its keyword and argument words: `Key value`, `Key=value` or `Key = value`; double quotes group. */
export function splitWords(text: string): string[] {
  const m = /^([^\s=]+)(?:[ \t]*=[ \t]*|[ \t]+|$)(.*)$/.exec(text.trim());
  if (!m) return [];
  const words = [m[1]];
  let cur = '';
  let inWord = false;
  let quoted = false;
  for (const ch of m[2]) {
    if (quoted) {
      if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') {
      quoted = true;
      inWord = true;
    } else if (ch === ' ' || ch === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quoted) throw new Error('unterminated quote');
  if (inWord) words.push(cur);
  return words;
}

/** OpenSSH's pattern match: `*` any run, `?` one character; host names compare case-insensitively. */
export function matchPattern(text: string, pattern: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
        .join('') +
      '$',
    'is',
  );
  return re.test(text);
}

/** A pattern list (`a*,!b` or words of a Host line): a negated match excludes, else any positive match includes. */
export function matchPatternList(text: string, patterns: string[]): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (matchPattern(text, p.slice(1))) return false;
    } else if (matchPattern(text, p)) matched = true;
  }
  return matched;
}

export class SshConfig {
  private readonly entries: Entry[] = [];
  private readonly hostLines: string[][] = [];
  readonly warnings: string[] = [];
  readonly home: string;
  readonly localUser: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(opts: SshConfigOptions = {}) {
    this.env = opts.env ?? process.env;
    this.home = opts.home ?? (opts.env?.HOME || homedir());
    this.localUser = opts.localUser ?? userInfo().username;
    const file = opts.file ?? join(this.home, '.ssh', 'config');
    this.load(file, [], 0, true);
  }

  /** The concrete names of `Host` lines (no wildcards, no negations): what a picker offers. */
  hostAliases(): string[] {
    const out = new Set<string>();
    for (const patterns of this.hostLines) for (const p of patterns) if (!/[*?!]/.test(p)) out.add(p);
    return [...out];
  }

  /** Whether a Host line names this alias literally (so `--host alias` may mean it). */
  hasHost(alias: string): boolean {
    return this.hostAliases().some((a) => a.toLowerCase() === alias.toLowerCase());
  }

  private load(file: string, block: Block[], depth: number, top: boolean): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if (!top && (err as NodeJS.ErrnoException).code !== 'ENOENT') this.warnings.push(`${file}: cannot read: ${(err as Error).message}`);
      return;
    }
    let current: Block[] = block;
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i].trim();
      if (raw === '' || raw.startsWith('#')) continue;
      let words: string[];
      try {
        words = splitWords(raw);
      } catch (err) {
        this.warnings.push(`${file}:${i + 1}: ${(err as Error).message}; line ignored`);
        continue;
      }
      if (words.length === 0) continue;
      const line: Line = { file, line: i + 1, key: words[0].toLowerCase(), args: words.slice(1) };
      if (line.key === 'host') {
        this.hostLines.push(line.args);
        current = [...block, { kind: 'host', patterns: line.args }];
        continue;
      }
      if (line.key === 'match') {
        current = [...block, { kind: 'match', criteria: line.args, at: line }];
        continue;
      }
      if (line.key === 'include') {
        if (depth >= MAX_INCLUDE_DEPTH) {
          this.warnings.push(`${file}:${i + 1}: Include nested too deeply; ignored`);
          continue;
        }
        for (const pattern of line.args) {
          const path = this.expandTilde(pattern);
          const full = isAbsolute(path) ? path : join(this.home, '.ssh', path);
          for (const f of globFiles(full)) this.load(f, current, depth + 1, false);
        }
        continue;
      }
      this.entries.push({ block: current, line });
    }
  }

  private expandTilde(p: string): string {
    if (p === '~') return this.home;
    if (p.startsWith('~/')) return join(this.home, p.slice(2));
    return p;
  }

  /** The options that apply to `alias`, with `overrides` (from an ssh:// URL) taking precedence. */
  resolve(alias: string, overrides: { user?: string; port?: number } = {}): SshHostConfig {
    const warnings: string[] = [...this.warnings];
    const first = new Map<string, Line>();
    const identityLines: Line[] = [];
    const knownHostsLines: Line[] = [];
    // Host patterns match the alias; `Match host` matches the HostName found so far, as in OpenSSH.
    const blockMatches = (blocks: Block[]): boolean =>
      blocks.every((b) => {
        if (b.kind === 'all') return true;
        if (b.kind === 'host') return matchPatternList(alias, b.patterns);
        return this.matchCriteria(b, alias, first.get('hostname')?.args[0] ?? alias, overrides.user ?? first.get('user')?.args[0] ?? this.localUser, warnings);
      });
    for (const e of this.entries) {
      if (!blockMatches(e.block)) continue;
      if (e.line.key === 'identityfile') identityLines.push(e.line);
      else if (e.line.key === 'userknownhostsfile') knownHostsLines.push(e.line);
      else if (!first.has(e.line.key)) first.set(e.line.key, e.line);
    }
    const value = (key: string): string | undefined => first.get(key)?.args[0];
    const where = (key: string): string => {
      const l = first.get(key);
      return l ? `${l.file}:${l.line}` : '';
    };

    let hostName = value('hostname') ?? alias;
    hostName = hostName.replace(/%(.)/g, (m, c: string) => (c === 'h' ? alias : c === '%' ? '%' : m));
    const portText = value('port');
    let port = overrides.port ?? 22;
    if (overrides.port === undefined && portText !== undefined) {
      const n = Number(portText);
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw new SshConfigError(`${where('port')}: Port must be 1-65535, not "${portText}"`);
      port = n;
    }
    const user = overrides.user ?? value('user') ?? this.localUser;
    const tokens = (text: string): string =>
      this.expandTilde(
        text.replace(/%(.)/g, (m, c: string) => {
          switch (c) {
            case 'h':
              return hostName;
            case 'p':
              return String(port);
            case 'r':
              return user;
            case 'u':
              return this.localUser;
            case 'd':
              return this.home;
            case 'n':
              return alias;
            case '%':
              return '%';
            default:
              warnings.push(`token ${m} is not supported; left as is in "${text}"`);
              return m;
          }
        }),
      ).replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => this.env[name] ?? '');
    const seconds = (key: string): number | undefined => {
      const v = value(key);
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new SshConfigError(`${where(key)}: ${first.get(key)!.args.length ? first.get(key)!.key : key} must be a whole number of seconds, not "${v}"`);
      return n;
    };
    const yes = (key: string): boolean => (value(key) ?? 'no').toLowerCase() === 'yes';

    const identityFiles: string[] = [];
    for (const l of identityLines) for (const a of l.args.slice(0, 1)) if (a.toLowerCase() !== 'none') identityFiles.push(tokens(a));
    const knownHosts: string[] = [];
    for (const l of knownHostsLines.slice(0, 1)) for (const a of l.args) if (a.toLowerCase() !== 'none') knownHosts.push(tokens(a));
    const jump = value('proxyjump');
    const proxyJump = jump && jump.toLowerCase() !== 'none' ? jump.split(',').map((s) => s.trim()).filter(Boolean) : [];
    const agent = value('identityagent');
    const proxyCommand = value('proxycommand');
    return {
      alias,
      hostName,
      port,
      user,
      identityFiles,
      identityFilesSet: identityLines.length > 0,
      identitiesOnly: yes('identitiesonly'),
      identityAgent: agent === undefined ? undefined : agent.toLowerCase() === 'none' ? 'none' : agent === 'SSH_AUTH_SOCK' ? undefined : tokens(agent),
      proxyJump,
      serverAliveInterval: seconds('serveraliveinterval'),
      serverAliveCountMax: seconds('serveralivecountmax'),
      connectTimeout: seconds('connecttimeout'),
      userKnownHostsFiles: knownHosts.length ? knownHosts : [join(this.home, '.ssh', 'known_hosts')],
      hostKeyAlias: value('hostkeyalias'),
      proxyCommand: proxyCommand && proxyCommand.toLowerCase() !== 'none' ? `${first.get('proxycommand')!.args.join(' ')} (${where('proxycommand')})` : undefined,
      warnings,
    };
  }

  private matchCriteria(b: Extract<Block, { kind: 'match' }>, alias: string, hostName: string, user: string, warnings: string[]): boolean {
    const c = b.criteria;
    const at = `${b.at.file}:${b.at.line}`;
    for (let i = 0; i < c.length; i++) {
      let word = c[i].toLowerCase();
      const negate = word.startsWith('!');
      if (negate) word = word.slice(1);
      let result: boolean;
      if (word === 'all') result = true;
      else if (word === 'canonical' || word === 'final') {
        // Podsmith does no host name canonicalisation: there is no second pass.
        result = false;
      } else {
        const arg = c[++i];
        if (arg === undefined) {
          warnings.push(`${at}: Match ${word} needs an argument; block ignored`);
          return false;
        }
        const list = arg.split(',');
        if (word === 'host') result = matchPatternList(hostName, list);
        else if (word === 'originalhost') result = matchPatternList(alias, list);
        else if (word === 'user') result = matchPatternList(user, list);
        else if (word === 'localuser') result = matchPatternList(this.localUser, list);
        else if (word === 'exec') {
          warnings.push(`${at}: Match exec is not run by Podsmith (it would run a shell command); block ignored`);
          return false;
        } else {
          warnings.push(`${at}: Match ${word} is not supported; block ignored`);
          return false;
        }
      }
      if (result === negate) return false;
    }
    return true;
  }
}

export class SshConfigError extends Error {
  override name = 'SshConfigError';
}

/** Files matching a path whose last components may hold * and ? (as Include does), sorted. */
function globFiles(pattern: string): string[] {
  if (!/[*?]/.test(pattern)) return [pattern];
  const parts = pattern.split('/');
  let dirs = [parts[0] === '' ? '/' : parts[0]];
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i];
    const next: string[] = [];
    for (const d of dirs) {
      if (!/[*?]/.test(part)) {
        next.push(join(d, part));
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(d).sort();
      } catch {
        continue;
      }
      for (const n of names) if (!n.startsWith('.') && matchPattern(n, part)) next.push(join(d, n));
    }
    dirs = next;
  }
  return dirs.filter((f) => {
    try {
      return statSync(f).isFile();
    } catch {
      return false;
    }
  });
}

/** `[user@]host[:port]` of a ProxyJump hop, or an ssh:// URL. */
export function parseJumpHop(text: string): { user?: string; host: string; port?: number } {
  if (text.startsWith('ssh://')) return parseSshUrl(text);
  const at = text.lastIndexOf('@');
  const user = at >= 0 ? text.slice(0, at) : undefined;
  const rest = at >= 0 ? text.slice(at + 1) : text;
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest) ?? /^([^:]+)(?::(\d+))?$/.exec(rest);
  if (!m || !m[1]) throw new SshConfigError(`ProxyJump hop "${text}" is not [user@]host[:port]`);
  const port = m[2] === undefined ? undefined : checkPort(m[2], text);
  return { user: user || undefined, host: m[1], port };
}

function checkPort(text: string, whole: string): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n < 1 || n > 65535) throw new SshConfigError(`port in "${whole}" must be 1-65535`);
  return n;
}

/** `ssh://[user@]host[:port]` (an IPv6 host in brackets); nothing after the port. */
export function parseSshUrl(url: string): { user?: string; host: string; port?: number } {
  const m = /^ssh:\/\/(?:([^@/?#\s]+)@)?(\[[0-9A-Fa-f:.]+\]|[^:/@?#\s[\]]+)(?::(\d+))?\/?$/.exec(url);
  if (!m) throw new SshConfigError(`"${url}" is not ssh://[user@]host[:port]`);
  const user = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
  const host = m[2].startsWith('[') ? m[2].slice(1, -1) : m[2];
  if (user !== undefined && !/^[A-Za-z0-9._][A-Za-z0-9._-]*\$?$/.test(user)) throw new SshConfigError(`"${user}" in ${url} is not a user name`);
  if (host.startsWith('-')) throw new SshConfigError(`"${host}" in ${url} is not a host name`);
  return { user, host, port: m[3] === undefined ? undefined : checkPort(m[3], url) };
}

/** Where the config is, for messages. */
export function defaultSshConfigFile(home = homedir()): string {
  return join(home, '.ssh', 'config');
}

