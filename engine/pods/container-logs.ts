// A container's log for the PodRuntime `logs` call, the same for every runtime class: the CRI files in
// `dir`, read by engine/logs (tail, since, timestamps, previous instance, follow across rotations and
// restarts until `isDone`).
import type { Readable } from 'node:stream';
import { LogsUnavailableError, openContainerLogs } from '../logs';
import type { LogsRequest } from './runtime';
import { PodError } from './types';

export async function containerLogs(dir: string, container: string, req: LogsRequest, isDone: () => Promise<boolean>, signal?: AbortSignal): Promise<Readable> {
  try {
    return await openContainerLogs(
      dir,
      {
        follow: req.follow,
        ...(req.tail !== undefined ? { tail: req.tail } : {}),
        ...(req.sinceSeconds !== undefined ? { sinceSeconds: req.sinceSeconds } : {}),
        timestamps: req.timestamps,
        previous: req.previous,
        isDone,
      },
      signal,
    );
  } catch (err) {
    if (err instanceof LogsUnavailableError) throw new PodError(`container "${container}": ${err.message}`, 'NOT_FOUND', { container });
    throw err;
  }
}
