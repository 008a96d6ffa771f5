// The pod commands that are clients of the daemon, each loaded when it runs. main.ts serves them with every
// other command (and with --host, a remote host's daemon); pod-main.ts, the entry of their own bundle, serves
// only them, on this machine.
import type { Command } from './dispatch';
import type { PodCommandName } from './pod-command-names';

export const POD_COMMANDS: Record<PodCommandName, Command> = {
  run: async (argv, io, deps) => (await import('./commands/run')).podRunCommand(argv, io, deps),
  ps: async (argv, io, deps) => (await import('./commands/ps')).psCommand(argv, io, deps),
  describe: async (argv, io, deps) => (await import('./commands/describe')).describeCommand(argv, io, deps),
  logs: async (argv, io, deps) => (await import('./commands/logs')).logsCommand(argv, io, deps),
  exec: async (argv, io, deps) => (await import('./commands/exec')).execCommand(argv, io, deps),
  stop: async (argv, io, deps) => (await import('./commands/stop')).stopCommand(argv, io, deps),
  rm: async (argv, io, deps) => (await import('./commands/rm')).rmCommand(argv, io, deps),
  events: async (argv, io, deps) => (await import('./commands/events')).eventsCommand(argv, io, deps),
};
