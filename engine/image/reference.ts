// Image references as users write them (`nginx`, `ghcr.io/o/r:tag`, `host:5000/r@sha256:…`), parsed strictly
// with Docker Hub defaults. The grammar follows the distribution reference grammar, so a name accepted here is
// accepted by registries; errors name the part that is wrong.
import { LIMITS } from '../limits/table';
import { ImageError, type ImageReference } from './types';

export const DOCKER_HUB = 'docker.io';
/** Docker Hub's API lives on another host than its name. */
const DOCKER_HUB_API = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PORT = /^[0-9]{1,5}$/;
/** A path component: lowercase alphanumerics joined by `.`, `_`, `__` or runs of `-`. */
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const MAX_REPOSITORY_LENGTH = 255;

function invalid(input: string, why: string): ImageError {
  return new ImageError(`invalid image reference "${input}": ${why}`, 'INVALID_REFERENCE');
}

/** Whether `d` is a digest this engine accepts (`sha256:` + 64 lowercase hex). */
export function isDigest(d: string): boolean {
  return DIGEST.test(d);
}

function checkRegistry(input: string, host: string): void {
  let name = host;
  let port: string | undefined;
  const bracket = /^\[([0-9a-fA-F:.]+)\](?::(.*))?$/.exec(host);
  if (bracket) {
    port = bracket[2];
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) {
      name = host.slice(0, colon);
      port = host.slice(colon + 1);
    }
    for (const part of name.split('.')) {
      if (!DOMAIN_COMPONENT.test(part)) throw invalid(input, `registry host "${host}" is not a valid host name`);
    }
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) > 65535)) throw invalid(input, `registry port "${port}" is not a number from 0 to 65535`);
}

/**
 * Parses a reference. Docker Hub defaults apply: no registry means `docker.io`, a one-part Docker Hub path gets
 * `library/`, and no tag or digest means tag `latest`. Throws ImageError INVALID_REFERENCE.
 */
export function parseReference(input: string): ImageReference {
  if (typeof input !== 'string' || input.length === 0) throw invalid(String(input), 'it is empty');
  if (Buffer.byteLength(input, 'utf8') > LIMITS.imageReferenceBytes) {
    throw invalid(input.slice(0, 40) + '…', `it is ${Buffer.byteLength(input, 'utf8')} bytes; the limit is ${LIMITS.imageReferenceBytes}`);
  }
  if (/\s/.test(input)) throw invalid(input, 'it contains whitespace');

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digest.startsWith('sha256:')) throw invalid(input, `digest "${digest}" must start with sha256: (other algorithms are not supported)`);
    if (!isDigest(digest)) throw invalid(input, `digest "${digest}" must be sha256: followed by 64 lowercase hex characters`);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      throw invalid(input, `tag "${tag}" must be 1 to 128 characters of letters, digits, '_', '.' or '-', not starting with '.' or '-'`);
    }
  }
  if (rest.length === 0) throw invalid(input, 'the repository name is missing');

  // The first component is a registry when it looks like a host: it has a '.' or ':', is localhost, or has
  // capitals (repository paths cannot).
  let registry = DOCKER_HUB;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      registry = first;
      path = rest.slice(slash + 1);
      checkRegistry(input, registry);
    }
  }
  if (DOCKER_HUB_ALIASES.has(registry.toLowerCase())) registry = DOCKER_HUB;

  if (path.length === 0) throw invalid(input, 'the repository path is empty');
  for (const component of path.split('/')) {
    if (component.length === 0) throw invalid(input, 'the repository path has an empty component (a doubled or trailing "/")');
    if (component !== component.toLowerCase()) throw invalid(input, `repository path component "${component}" must be lowercase`);
    if (!PATH_COMPONENT.test(component)) {
      throw invalid(input, `repository path component "${component}" may only hold a-z, 0-9 and single '.', '_', '__' or '-' separators between them`);
    }
  }
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  if (path.length > MAX_REPOSITORY_LENGTH) throw invalid(input, `the repository path is ${path.length} characters; the limit is ${MAX_REPOSITORY_LENGTH}`);

  if (!tag && !digest) tag = 'latest';
  return { registry, repository: path, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}), original: input };
}

/** The fully qualified name without tag or digest: `docker.io/library/nginx`. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The canonical form: `docker.io/library/nginx:latest`, `host/r@sha256:…`, or both tag and digest. */
export function formatReference(ref: ImageReference): string {
  return repositoryName(ref) + (ref.tag ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '');
}

/** The short form people write (`nginx:1.25`, `ghcr.io/o/r:tag`): Docker Hub defaults dropped. */
export function familiarReference(ref: ImageReference): string {
  let name = repositoryName(ref);
  if (ref.registry === DOCKER_HUB) name = ref.repository.startsWith('library/') ? ref.repository.slice(8) : ref.repository;
  return name + (ref.tag ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '');
}

/** Host (and port) that serves the registry API for a registry name. */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

/** Maps the spellings of a registry used in auth files and flags (`https://index.docker.io/v1/`) to one key. */
export function normalizeRegistryHost(raw: string): string {
  let host = raw.trim().replace(/^[a-z]+:\/\//i, '');
  const slash = host.indexOf('/');
  if (slash >= 0) host = host.slice(0, slash);
  host = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}
