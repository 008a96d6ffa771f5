// Which registries may be reached over plain HTTP (or HTTPS without certificate checks). Nothing is insecure
// unless the user says so, in any of:
//   --insecure-registry HOST[:PORT]           (command-line flag, repeatable)
//   PODSMITH_INSECURE_REGISTRIES=h1:p,h2      (environment)
//   $PODSMITH_HOME/registries.json            {"insecureRegistries": ["h1:p", "h2"]}
// An entry without a port covers every port of that host.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { insecureRegistries, podsmithHome } from '../../home';
import { normalizeRegistryHost } from '../reference';
import { ImageError } from '../types';

const CONFIG_MAX_BYTES = 1024 * 1024;

export function registriesConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(podsmithHome(env), 'registries.json');
}

export class InsecurePolicy {
  private readonly entries: Set<string>;
  constructor(entries: Iterable<string>) {
    this.entries = new Set([...entries].map(normalizeRegistryHost).filter(Boolean));
  }
  allows(registry: string): boolean {
    const host = normalizeRegistryHost(registry);
    if (this.entries.has(host)) return true;
    const colon = host.lastIndexOf(':');
    return colon > 0 && !host.endsWith(']') && this.entries.has(host.slice(0, colon));
  }
}

function readConfig(file: string): string[] {
  let st;
  try {
    st = statSync(file);
  } catch {
    return []; // no config file is the usual case
  }
  if (st.size > CONFIG_MAX_BYTES) throw new ImageError(`${file} is larger than 1 MiB`, 'CONFIG');
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ImageError(`${file} is not valid JSON: ${(err as Error).message}`, 'CONFIG');
  }
  const list = (parsed as { insecureRegistries?: unknown }).insecureRegistries;
  if (list === undefined) return [];
  if (!Array.isArray(list) || !list.every((e) => typeof e === 'string')) {
    throw new ImageError(`${file}: "insecureRegistries" must be a list of "host[:port]" strings`, 'CONFIG');
  }
  return list;
}

export interface InsecureSources {
  /** Values of --insecure-registry. */
  flags?: Iterable<string>;
  env?: NodeJS.ProcessEnv;
  /** Defaults to $PODSMITH_HOME/registries.json. */
  configFile?: string;
}

export function loadInsecurePolicy(src: InsecureSources = {}): InsecurePolicy {
  const env = src.env ?? process.env;
  return new InsecurePolicy([...(src.flags ?? []), ...insecureRegistries(env), ...readConfig(src.configFile ?? registriesConfigPath(env))]);
}

/** The advice an HTTPS failure carries, so nobody has to guess how to allow a plain-HTTP registry. */
export function insecureHint(registry: string): string {
  return (
    `If ${registry} is a plain-HTTP registry you trust, allow it with --insecure-registry ${registry}, ` +
    `PODSMITH_INSECURE_REGISTRIES=${registry}, or "insecureRegistries": ["${registry}"] in $PODSMITH_HOME/registries.json.`
  );
}
