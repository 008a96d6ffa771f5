// Vocabulary shared by the registry client, the content-addressed store, unpacking and the bundle builder.
// Shapes follow the OCI image spec (descriptor, manifest, index, config) so JSON maps onto them directly.

import { safeText } from '../text/safe-text';

/** `sha256:<64 hex>`; other algorithms are refused. */
export type Digest = string;

export interface ImageReference {
  /** Registry host[:port], `docker.io` for Docker Hub. */
  registry: string;
  /** Repository path, `library/nginx` for Docker Hub official images. */
  repository: string;
  tag?: string;
  digest?: Digest;
  /** The reference as the user wrote it. */
  original: string;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

/** The parts of an OCI image config the engine uses. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  config?: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    ExposedPorts?: Record<string, object>;
    Labels?: Record<string, string>;
    StopSignal?: string;
  };
  rootfs?: { type: 'layers'; diff_ids: Digest[] };
}

/** Progress of a pull, per blob; the CLI draws bars from these, the extension shows them later. */
export type PullProgress =
  | { type: 'resolve'; reference: string; digest: Digest }
  | { type: 'blob-start'; digest: Digest; size: number; mediaType: string }
  | { type: 'blob-progress'; digest: Digest; bytes: number; size: number }
  | { type: 'blob-done'; digest: Digest; cached: boolean }
  | { type: 'retry'; digest?: Digest; attempt: number; reason: string }
  | { type: 'unpack-start'; digest: Digest }
  | { type: 'unpack-done'; digest: Digest; cached: boolean }
  | { type: 'done'; reference: string; digest: Digest };

/**
 * How the registry client hands bytes to the store: a blob is written to a temporary file that only becomes
 * visible under its digest after its SHA-256 is verified. `offset` > 0 means a partial download survives
 * and may be resumed with a Range request (the writer re-hashes the existing bytes first).
 */
export interface BlobWriter {
  readonly digest: Digest;
  /** Bytes already present from an earlier, interrupted download. */
  readonly offset: number;
  write(chunk: Uint8Array): Promise<void>;
  /** Verifies size and digest, then renames into place. Throws (and discards the data) on mismatch. */
  commit(): Promise<void>;
  /** Drops the partial data (`keepPartial` keeps it for a later resume). */
  abort(keepPartial?: boolean): Promise<void>;
}

export interface BlobSink {
  has(digest: Digest): Promise<boolean>;
  /** Starts (or resumes) writing a blob; `expectedSize` is enforced while writing. */
  writer(digest: Digest, expectedSize: number): Promise<BlobWriter>;
}

/**
 * Image errors quote what registries, manifests and archives say (error bodies, media types, entry names), so
 * the message is made safe for a terminal here, once for every path that builds one.
 */
export class ImageError extends Error {
  constructor(
    message: string,
    /** A stable code callers can branch on: NOT_FOUND, UNAUTHORIZED, DIGEST_MISMATCH, TOO_LARGE, TIMEOUT, HOSTILE_LAYER, ... */
    readonly code: string,
  ) {
    super(safeText(message, { multiline: true }));
    this.name = 'ImageError';
  }
}
