// The addresses a network namespace really has, read from procfs as seen by a process inside it
// (/proc/<pid>/net is per namespace): IPv4 from fib_trie's local host routes, IPv6 from if_inet6. No helper
// process and no setns: the pod runtime calls this once pasta has configured the pod's interface.
import { readFile } from 'node:fs/promises';

/** Local IPv4 addresses of fib_trie (`|-- A.B.C.D` followed by `/32 host LOCAL`), loopback excluded. */
export function parseFibTrieLocal(text: string): string[] {
  const out: string[] = [];
  let last: string | undefined;
  for (const line of text.split('\n')) {
    const addr = /^\s*\|--\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(line);
    if (addr) {
      last = addr[1];
      continue;
    }
    if (last && /^\s*\/32 host LOCAL\s*$/.test(line) && !last.startsWith('127.') && !out.includes(last)) out.push(last);
  }
  return out;
}

/** Global-scope IPv6 addresses of if_inet6 (scope 00), without tentative ones (flag 0x40). */
export function parseIfInet6(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^[0-9a-f]{32}$/i.test(f[0])) continue;
    if (f[3] !== '00' || (parseInt(f[4], 16) & 0x40) !== 0) continue;
    const groups = f[0].match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, '').toLowerCase());
    out.push(compressIPv6(groups));
  }
  return out;
}

/** RFC 5952 text: the longest run of two or more zero groups becomes `::`. */
function compressIPv6(groups: string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** The namespace's addresses, IPv4 first (Kubernetes' podIPs order for dual stack); empty when unreadable. */
export async function namespaceAddresses(pid: number): Promise<string[]> {
  const read = (name: string) => readFile(`/proc/${pid}/net/${name}`, 'utf8').catch(() => '');
  const [v4, v6] = await Promise.all([read('fib_trie'), read('if_inet6')]);
  return [...parseFibTrieLocal(v4), ...parseIfInet6(v6)];
}
