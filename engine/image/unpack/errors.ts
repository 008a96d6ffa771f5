// Errors that name the layer and the tar entry, so a refused image says exactly what was wrong.
import { ImageError, type Digest } from '../types';

/** Entry names are shown JSON-quoted: a NUL or newline in a hostile name stays visible and harmless. */
export function quoteEntry(name: string): string {
  return JSON.stringify(name);
}

export class LayerError extends ImageError {
  constructor(
    code: 'HOSTILE_LAYER' | 'TOO_LARGE' | 'BAD_LAYER' | 'DIGEST_MISMATCH' | 'UNPACK_FAILED',
    readonly layer: Digest,
    readonly entry: string | undefined,
    readonly reason: string,
  ) {
    super(`layer ${layer}${entry === undefined ? '' : `, entry ${quoteEntry(entry)}`}: ${reason}`, code);
    this.name = 'LayerError';
  }
}

/** Thrown inside one layer's extraction; the extractor adds the layer digest and entry name. */
export class EntryProblem extends Error {
  constructor(
    readonly code: 'HOSTILE_LAYER' | 'TOO_LARGE' | 'BAD_LAYER',
    message: string,
  ) {
    super(message);
  }
}

export const hostile = (why: string): EntryProblem => new EntryProblem('HOSTILE_LAYER', why);
export const tooLarge = (why: string): EntryProblem => new EntryProblem('TOO_LARGE', why);
export const badLayer = (why: string): EntryProblem => new EntryProblem('BAD_LAYER', why);
