// Output sinks, injectable so commands can be tested without a subprocess.
import { safeText } from '../text/safe-text';

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

export const processIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

/**
 * Writes an error or warning to stderr with control characters escaped: messages quote registries, images and
 * container output, which must not drive the terminal. (Progress bars write their own escapes with io.err.)
 */
export function reportError(io: Io, text: string): void {
  io.err(safeText(text, { multiline: true }));
}
