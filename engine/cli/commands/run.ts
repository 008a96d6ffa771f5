// `podsmith run -f FILE|DIR [--oci-runtime R]`
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { classifyValue } from '../../manifest/documents';
import { fastDocuments } from '../../manifest/fast-values';
import { isRunnable } from '../../manifest/pod-of';
import { PodError, type PodEvent } from '../../pods/types';
import { collectFiles, readManifest, UsageError } from '../files';
import { podStatusText } from '../format/pod-table';
import { processIo, reportError, type Io } from '../io';
import { runPodCommand, withHint, type PodCommandDeps } from './daemon-command';
import { createProgressReporter } from './transfer-progress';

export const RUN_USAGE = `Usage: podsmith run -f FILE|DIR [--oci-runtime runc|crun|youki] [-q]

Runs the pods of a manifest file, or of every manifest file in a folder (there, ConfigMap and Secret
documents of all the folder's files are available to every pod, as with 'podman kube play'). A workload
(Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob) runs its pod template as one pod named after
the workload, with the template's labels and annotations. A pod is
admitted by the same checks as 'podsmith lint', its images are pulled (with progress), and the command
returns once every container runs; a pod that cannot start is removed entirely and the reason is printed,
with the failing container's last output lines.
--oci-runtime picks the OCI runtime (default: crun where it works, else runc). -q prints no progress.
Exit 0 when every pod runs, 1 when one failed, 2 for usage.`;

interface PodJob {
  fileName: string;
  manifest: string;
  podName?: string;
}

export interface RunDeps extends PodCommandDeps {
  /** Draw progress bars; default: stderr is a terminal. */
  tty?: boolean;
}

export function podRunCommand(argv: string[], io: Io, deps: RunDeps = {}): Promise<number> {
  return runPodCommand('run', RUN_USAGE, io, deps, async (client) => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        'oci-runtime': { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.out(RUN_USAGE + '\n');
      return 0;
    }
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"; name manifests with -f FILE|DIR`);
    if (!values.filename?.length) throw new UsageError('run needs -f FILE or -f DIR');
    const { jobs, extras } = planJobs(values.filename);

    // Progress goes to stderr so stdout carries only the result lines.
    const progressIo: Io = { out: io.err, err: io.err };
    const tty = deps.tty ?? (io === processIo && !!process.stderr.isTTY);
    let failed = 0;
    for (const job of jobs) {
      const reporter = values.quiet ? undefined : createProgressReporter(progressIo, { tty, verb: 'pull' });
      const onEvent = (e: PodEvent): void => {
        if (e.type === 'pull') reporter?.onProgress(e.progress);
      };
      try {
        const status = await client.runPod(
          {
            manifest: job.manifest,
            fileName: job.fileName,
            podName: job.podName,
            extraManifests: extras.filter((x) => x.fileName !== job.fileName),
            ociRuntime: values['oci-runtime'],
          },
          onEvent,
        );
        reporter?.finish();
        io.out(`pod/${status.name} ${podStatusText(status)}\n`);
        for (const w of status.warnings ?? []) reportError(io, `podsmith run: warning: pod/${status.name}: ${w}\n`);
      } catch (err) {
        reporter?.finish();
        if (!(err instanceof PodError)) throw err;
        failed++;
        const what = job.podName ? `pod ${job.podName} (${basename(job.fileName)})` : basename(job.fileName);
        reportError(io, `podsmith run: ${what}: ${withHint(err)}\n`);
      }
    }
    return failed ? 1 : 0;
  });
}

/** One job per Pod or workload document; in a folder the other files lend their ConfigMaps and Secrets. */
function planJobs(paths: string[]): { jobs: PodJob[]; extras: { fileName: string; text: string }[] } {
  const jobs: PodJob[] = [];
  const extras: { fileName: string; text: string }[] = [];
  let fromFolder = false;
  for (const p of paths) {
    const isDir = statOrThrow(p).isDirectory();
    fromFolder ||= isDir;
    for (const file of collectFiles([p])) {
      const r = readManifest(file);
      if (!r.ok) throw new UsageError(`${file}: ${r.message}`);
      // Read as YAML on purpose, which forgives what strict JSON does not: a pod in a broken `.json` file is
      // still found here, and admission (which holds the file to JSON) says what is wrong with it and where.
      const pods = documentValues(r.text)
        .map(classifyValue)
        .filter(isRunnable);
      if (pods.length === 0) {
        // A file named on its own goes to the engine anyway, which explains what is wrong with it.
        if (!isDir) jobs.push({ fileName: file, manifest: r.text });
        else extras.push({ fileName: file, text: r.text });
        continue;
      }
      extras.push({ fileName: file, text: r.text });
      for (const d of pods) jobs.push({ fileName: file, manifest: r.text, podName: pods.length > 1 ? d.name : undefined });
    }
  }
  if (jobs.length === 0) throw new UsageError(`no Pod or workload (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob) in ${paths.join(', ')}`);
  return { jobs, extras: fromFolder ? extras : [] };
}

/**
 * The documents' plain values, as the daemon reads them (engine/pods/router.ts): js-yaml first; the full parser,
 * loaded only then, when js-yaml leaves the file to it. Only which documents are pods is decided here: the
 * daemon checks each pod (lint included) itself.
 */
function documentValues(text: string): unknown[] {
  const fast = fastDocuments(text);
  if (fast) return fast.map((d) => d.value);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseText } = require('../../manifest/parse') as typeof import('../../manifest/parse');
  return parseText(text).documents.map((d) => d.value);
}

function statOrThrow(p: string) {
  try {
    return statSync(p);
  } catch {
    throw new UsageError(`${p}: no such file or directory`);
  }
}
