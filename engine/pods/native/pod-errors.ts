// Every failure of a pod operation leaves as a PodError whose message names the container and the cause,
// keeping the underlying tool's words (runc's "executable file not found in $PATH", a registry's 404).
import { BundleError } from '../../image/bundle';
import { ImageError } from '../../image/types';
import { RuntimeError } from '../../runtime';
import { PodError } from '../types';

// A tool that hit a full disk says so in its own words (pasta's "Couldn't write to log file; : No space left on
// device", runc's "write ...: no space left on device"): that is the same fault as our own ENOSPC.
const DISK_FULL_TEXT = /no space left on device|disk quota exceeded/i;

export function toPodError(err: unknown, container?: string): PodError {
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  const ownWrite = errno === 'ENOSPC' || errno === 'EDQUOT';
  const message = err instanceof Error ? err.message : String(err);
  // Given the advice once already: kept as it is.
  const toolSaid = DISK_FULL_TEXT.test(message) && !message.includes('the disk is full');
  if (err instanceof PodError && !toolSaid) return err;
  if (ownWrite || toolSaid) {
    const e = err as NodeJS.ErrnoException & { dest?: string };
    const where = ownWrite ? (e.dest ?? e.path) : undefined;
    const cause = where ? `writing ${where}` : ownWrite ? 'no space left on device' : message.replace(/^container "[^"]*": /, '');
    const named = container ?? (err instanceof PodError ? err.details?.container : undefined);
    const what = named ? `container "${named}": ` : '';
    return new PodError(
      `${what}the disk is full (${cause}): free some space ('podsmith prune' removes unused image data) and run the pod again`,
      'RUNTIME',
      named ? { container: named } : undefined,
    );
  }
  const named = !container || message.includes(`"${container}"`) ? message : `container "${container}": ${message}`;
  const details = container ? { container } : undefined;
  // A bad env reference or user is Kubernetes' CreateContainerConfigError: the container cannot be made.
  if (err instanceof BundleError) return new PodError(named, 'START_FAILED', details);
  if (err instanceof ImageError) return new PodError(named, 'IMAGE', details);
  if (err instanceof RuntimeError && err.code === 'TIMEOUT') return new PodError(named, 'TIMEOUT', details);
  if (err instanceof RuntimeError) return new PodError(named, err.code === 'NOT_INSTALLED' || err.code === 'UNUSABLE' ? 'RUNTIME' : 'START_FAILED', details);
  return new PodError(named, container ? 'START_FAILED' : 'RUNTIME', details);
}

/** Runs one container step, naming the container in any error. */
export async function forContainer<T>(name: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw toPodError(err, name);
  }
}
