// The process argv and working directory, with the kubelet's and containerd's rules:
//  - `command` replaces the image Entrypoint and, when `args` is absent, drops the image Cmd too;
//  - `args` alone replaces Cmd and keeps the Entrypoint;
//  - neither: Entrypoint + Cmd. An Entrypoint of exactly [""] is Docker's way to clear it and counts as none.
// `$(VAR)` in command and args is expanded against the container's full kubelet environment (every env
// entry, not only earlier ones); the image's Entrypoint and Cmd are never expanded.

import type { ImageConfig } from '../types';
import { expand, type Lookup } from './expansion';
import { BundleError, type ContainerSpec } from './types';

/** The argv before expansion, or an empty list when nothing says what to run. */
export function rawArgv(image: ImageConfig, container: Pick<ContainerSpec, 'command' | 'args'>): string[] {
  const command = container.command ?? [];
  const args = container.args ?? [];
  if (command.length > 0) return [...command, ...args];
  const entrypoint = image.config?.Entrypoint ?? [];
  const cleared = entrypoint.length === 1 && entrypoint[0] === '';
  return [...(cleared ? [] : entrypoint), ...(args.length > 0 ? args : (image.config?.Cmd ?? []))];
}

/** The container's command and args with `$(VAR)` expanded. */
export function expandCommand(
  container: Pick<ContainerSpec, 'command' | 'args'>,
  env: Lookup,
): Pick<ContainerSpec, 'command' | 'args'> {
  return { command: container.command?.map((c) => expand(c, env)), args: container.args?.map((a) => expand(a, env)) };
}

/** The argv the container runs: rawArgv with command and args expanded. Throws NO_COMMAND when empty. */
export function resolveArgv(image: ImageConfig, container: ContainerSpec, env: Lookup): string[] {
  const argv = rawArgv(image, expandCommand(container, env));
  if (argv.length === 0)
    throw new BundleError(
      `container "${container.name}": no command to run: the image has no Entrypoint or Cmd, so set "command" (and "args")`,
      'NO_COMMAND',
    );
  if (argv[0] === '')
    throw new BundleError(`container "${container.name}": the program to run (argv[0]) is empty`, 'NO_COMMAND');
  return argv;
}

/** `workingDir` over the image's WorkingDir, `/` when neither is set; it must be absolute. */
export function resolveWorkingDir(image: ImageConfig, container: ContainerSpec): string {
  const dir = container.workingDir || image.config?.WorkingDir || '/';
  if (!dir.startsWith('/'))
    throw new BundleError(
      `container "${container.name}": working directory "${dir}" must be an absolute path`,
      'BAD_WORKING_DIR',
    );
  return dir;
}
