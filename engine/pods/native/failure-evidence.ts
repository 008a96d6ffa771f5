// What a container printed before it made `run` fail. `run` is all or nothing, so the pod (and its logs) are
// removed right after; the last lines go into the PodError and the Failed event first, bounded and cleaned of
// terminal control sequences so they are safe to print anywhere.
import { instanceLogPath, openLog, type LogEntry } from '../../logs';
import { PodError, type ContainerFailure } from '../types';
import { PodPaths } from './paths';
import { toPodError } from './pod-errors';
import type { PodRecord } from './state';

export const LAST_LINES = 20;
export const LAST_BYTES = 4096;

// CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), and two-character escapes.
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?/g;
// C0 controls but tab, DEL, and C1 controls.
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

/** The line as plain text: escape sequences and control characters (except tab) removed. */
export function printable(line: string): string {
  return line.replace(ESCAPES, '').replace(CONTROLS, '');
}

/** The newest lines that fit `maxLines` and `maxBytes` (UTF-8, a newline each); a lone longer line keeps its end. */
export function boundLines(lines: readonly string[], maxLines = LAST_LINES, maxBytes = LAST_BYTES): string[] {
  const out: string[] = [];
  let bytes = 0;
  for (let i = lines.length - 1; i >= 0 && out.length < maxLines; i--) {
    const size = Buffer.byteLength(lines[i]) + 1;
    if (bytes + size <= maxBytes) {
      out.unshift(lines[i]);
      bytes += size;
      continue;
    }
    if (out.length === 0) {
      const tail = Buffer.from(lines[i]).subarray(-(maxBytes - 4)).toString('utf8').replace(/^\uFFFD+/, '');
      out.unshift(`…${tail}`);
    }
    break;
  }
  return out;
}

/** The last lines of one instance's log (stdout and stderr interleaved as written); [] when there is none. */
export async function lastOutput(logPath: string): Promise<string[]> {
  const lines: string[] = [];
  try {
    const stream = await openLog(logPath, { tail: LAST_LINES, output: 'entries', maxLineBytes: LAST_BYTES });
    for await (const e of stream as AsyncIterable<LogEntry>) lines.push(printable(e.line));
  } catch {
    // No log (the container never started) or an unreadable one: no evidence, the message still says why.
  }
  return boundLines(lines);
}

/** Tags an error from starting `container` with the reason its evidence carries (StartError, ...). */
export function failedAs(container: string, reason: string): (err: unknown) => never {
  return (err) => {
    const e = toPodError(err, container);
    if (e.details?.failure || e.code !== 'START_FAILED') throw e;
    const tagged = new PodError(e.message, e.code, { ...e.details, container, failure: { container, reason, lastLines: [] } });
    tagged.stack = e.stack;
    throw tagged;
  };
}

/** Fills in the failing container's last output (from its current instance's log) while the pod still exists. */
export async function collectEvidence(home: string, record: PodRecord | undefined, error: PodError): Promise<ContainerFailure | undefined> {
  const failure = error.details?.failure;
  const c = failure && record?.containers.find((x) => x.name === failure.container);
  if (!failure || !record || !c) return failure;
  failure.lastLines = await lastOutput(instanceLogPath(new PodPaths(home, record.uid).logDir(c.name), c.restartCount));
  return failure;
}
