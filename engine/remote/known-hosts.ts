// Host key checking against OpenSSH's known_hosts files, which ssh2 does not read. A line is
// `[@marker] hostpatterns keytype base64key [comment]`:
//   - host patterns are a comma-separated list with `*`/`?` wildcards and `!` negations, or one hashed entry
//     `|1|base64(salt)|base64(HMAC-SHA1(salt, name))` (HashKnownHosts);
//   - a port other than 22 is written `[host]:port`, and only that form matches it;
//   - `@revoked` marks a key that must never be accepted, `@cert-authority` a CA for host certificates (which
//     Podsmith does not verify: such lines are skipped, so a host known only through a CA reads as unknown).
// A malformed line is skipped with a warning naming file and line; it never breaks the other lines.
//
// Accepted keys are appended hashed, as OpenSSH does with `HashKnownHosts yes` (Debian's default): the file
// then does not list the hosts a user connects to.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { matchPatternList } from './ssh-config';

export interface KnownKey {
  file: string;
  line: number;
  keyType: string;
  key: Buffer;
}

export type HostKeyVerdict =
  | { status: 'known'; match: KnownKey }
  /** No line names this host (with a usable key). */
  | { status: 'unknown' }
  /** Lines name this host, but with other keys: a changed key (or one of another type). */
  | { status: 'changed'; known: KnownKey[] }
  /** The key is marked @revoked. */
  | { status: 'revoked'; match: KnownKey };

/** The name a host's keys are filed under: `host` for port 22, else `[host]:port`. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH's fingerprint: `SHA256:` and the unpadded base64 of the key blob's SHA-256. */
export function fingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** The algorithm name a key blob starts with (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const n = key.readUInt32BE(0);
  return n > 0 && n < 64 && key.length >= 4 + n ? key.subarray(4, 4 + n).toString('latin1') : 'unknown';
}

function hashedMatches(entry: string, name: string): boolean {
  const parts = entry.split('|'); // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2], 'base64');
  const want = Buffer.from(parts[3], 'base64');
  const got = createHmac('sha1', salt).update(name).digest();
  return got.length === want.length && got.equals(want);
}

/** Whether one line's host field names `name` (already in `[host]:port` form where needed). */
function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|')) return hashedMatches(field, name);
  return matchPatternList(name, field.split(','));
}

interface ParsedLine {
  marker?: 'revoked' | 'cert-authority';
  hosts: string;
  key: KnownKey;
}

export class KnownHosts {
  readonly warnings: string[] = [];
  private readonly lines: ParsedLine[] = [];

  /** Reads the files (missing ones are empty). */
  constructor(readonly files: string[]) {
    for (const file of files) this.read(file);
  }

  private read(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.warnings.push(`${file}: cannot read: ${(err as Error).message}`);
      return;
    }
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i].trim();
      if (!raw || raw.startsWith('#')) continue;
      const words = raw.split(/\s+/);
      let marker: ParsedLine['marker'];
      if (words[0].startsWith('@')) {
        const m = words.shift()!;
        if (m === '@revoked') marker = 'revoked';
        else if (m === '@cert-authority') marker = 'cert-authority';
        else {
          this.warnings.push(`${file}:${i + 1}: unknown marker ${m.slice(0, 40)}; line skipped`);
          continue;
        }
      }
      const [hosts, keyType, b64] = words;
      if (!hosts || !keyType || !b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
        this.warnings.push(`${file}:${i + 1}: not a known_hosts line (hosts keytype base64-key); skipped`);
        continue;
      }
      const key = Buffer.from(b64, 'base64');
      if (keyTypeOf(key) !== keyType) {
        this.warnings.push(`${file}:${i + 1}: the key does not match its type ${keyType.slice(0, 40)}; skipped`);
        continue;
      }
      this.lines.push({ marker, hosts, key: { file, line: i + 1, keyType, key } });
    }
  }

  /** The key types known for the host (to ask the server for those first, as OpenSSH does). */
  knownTypes(host: string, port: number): string[] {
    const name = knownHostsName(host, port);
    return [...new Set(this.lines.filter((l) => !l.marker && hostFieldMatches(l.hosts, name)).map((l) => l.key.keyType))];
  }

  check(host: string, port: number, key: Buffer): HostKeyVerdict {
    const name = knownHostsName(host, port);
    // A revoked key is refused whichever host it is presented for.
    const revoked = this.lines.find((l) => l.marker === 'revoked' && l.key.key.equals(key) && (l.hosts === '*' || hostFieldMatches(l.hosts, name)));
    if (revoked) return { status: 'revoked', match: revoked.key };
    const mine = this.lines.filter((l) => !l.marker && hostFieldMatches(l.hosts, name));
    const match = mine.find((l) => l.key.key.equals(key));
    if (match) return { status: 'known', match: match.key };
    if (mine.length) return { status: 'changed', known: mine.map((l) => l.key) };
    return { status: 'unknown' };
  }
}

/** One hashed known_hosts line for the host's key. */
export function hashedLine(host: string, port: number, key: Buffer, salt: Buffer = randomBytes(20)): string {
  const name = knownHostsName(host, port);
  const hash = createHmac('sha1', salt).update(name).digest('base64');
  return `|1|${salt.toString('base64')}|${hash} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

/** Appends the host's key, hashed, to `file` (created 0600, its directory 0700, when missing). */
export function appendKnownHost(file: string, host: string, port: number, key: Buffer): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const text = readFileSync(file, 'utf8');
    if (text.length && !text.endsWith('\n')) prefix = '\n';
  } catch {
    // a new file
  }
  appendFileSync(file, `${prefix}${hashedLine(host, port, key)}\n`, { mode: 0o600 });
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
