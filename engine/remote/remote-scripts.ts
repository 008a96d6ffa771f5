// The two programs Podsmith runs on a remote host before its engine is there: the probe (what the host is,
// and whether this engine bundle is installed and intact) and the installer (check an uploaded bundle, then
// rename it into place). Both are fixed JavaScript fed to `node -` on its stdin, with their parameters as a
// JSON literal at the top: no value ever passes through the remote shell. They must run on old Node versions
// too (the probe is what reports that Node is too old), so they use nothing newer than Node 12.
import { quoteArg } from './shell-quote';

const VERIFY = String.raw`
function verify(dir, files) {
  for (const f of files) {
    let data;
    try { data = fs.readFileSync(path.join(dir, f.path)); } catch (e) { return e.code === 'ENOENT' || e.code === 'ENOTDIR' ? 'missing' : 'corrupt'; }
    if (crypto.createHash('sha256').update(data).digest('hex') !== f.sha256) return 'corrupt';
  }
  return 'ok';
}
`;

const PROBE = String.raw`
const fs = require('fs'), path = require('path'), os = require('os'), crypto = require('crypto');
${VERIFY}
const out = { node: process.versions.node, platform: process.platform, arch: process.arch, uid: process.getuid ? process.getuid() : -1, user: os.userInfo().username, home: os.homedir() };
try { out.libc = process.report.getReport().header.glibcVersionRuntime ? 'glibc' : 'musl'; } catch (e) { out.libc = 'glibc'; }
if (parseInt(process.versions.node, 10) >= 20 && process.platform === 'linux') {
  const root = path.join(process.env.XDG_CACHE_HOME || path.join(out.home, '.cache'), 'podsmith', 'engine');
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  out.engineRoot = root;
  out.engineDir = path.join(root, P.bundleId);
  out.installed = verify(out.engineDir, P.files);
  // Upload directories of clients that died mid-way, after an hour.
  for (const n of fs.readdirSync(root)) {
    if (!n.startsWith('.tmp-')) continue;
    try { if (Date.now() - fs.statSync(path.join(root, n)).mtimeMs > 3600e3) fs.rmSync(path.join(root, n), { recursive: true, force: true }); } catch (e) {}
  }
}
process.stdout.write(JSON.stringify(out));
`;

// Checks every uploaded file against its hash, sets modes, and renames the directory into place. Two
// clients installing at once each upload into their own temporary directory; rename(2) of a directory onto
// an existing non-empty one fails, so the first one wins and the other finds a verified bundle there.
const INSTALL = String.raw`
const fs = require('fs'), path = require('path'), crypto = require('crypto');
${VERIFY}
const out = {};
const bad = verify(P.tmp, P.files);
if (bad !== 'ok') {
  fs.rmSync(P.tmp, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ error: 'the uploaded engine bundle is ' + bad + ' (a file does not match its SHA-256)' }));
  process.exit(0);
}
for (const f of P.files) fs.chmodSync(path.join(P.tmp, f.path), f.mode);
try {
  fs.renameSync(P.tmp, P.final);
  out.installed = 'renamed';
} catch (e) {
  if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
  if (verify(P.final, P.files) === 'ok') {
    fs.rmSync(P.tmp, { recursive: true, force: true });
    out.installed = 'present';
  } else {
    // A damaged copy: moved aside (a running daemon may still use its files), replaced, then removed.
    const aside = P.tmp + '-stale';
    fs.renameSync(P.final, aside);
    fs.renameSync(P.tmp, P.final);
    fs.rmSync(aside, { recursive: true, force: true });
    out.installed = 'replaced';
  }
}
process.stdout.write(JSON.stringify(out));
`;

export type RemoteScript = 'probe' | 'install';

const SOURCES: Record<RemoteScript, string> = { probe: PROBE, install: INSTALL };

/** The source `node -` reads: the parameters, then the program. */
export function scriptSource(which: RemoteScript, params: unknown): string {
  // JSON is a JavaScript expression (U+2028/9 included since ES2019; escaped anyway for older Node).
  const literal = JSON.stringify(params).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `'use strict';\nconst P = ${literal};\n${SOURCES[which]}`;
}

/** The command line that runs a script: `'node' '-'`, with the configured Node binary quoted. */
export function scriptCommand(node: string): string {
  return `${quoteArg(node)} -`;
}
