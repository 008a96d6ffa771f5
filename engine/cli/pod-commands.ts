// The pod commands that are clients of the daemon, each loaded when it runs. main.ts serves them with every
// other command; pod-main.ts, the entry of their own bundle, serves only them.
import type { Command } from './dispatch';
import type { PodCommandName } from './pod-command-names';

export const POD_COMMANDS: Record<PodCommandName, Command> = {
  run: async (argv, io) => (await import('./commands/run')).podRunCommand(argv, io),
  ps: async (argv, io) => (await import('./commands/ps')).psCommand(argv, io),
  describe: async (argv, io) => (await import('./commands/describe')).describeCommand(argv, io),
  logs: async (argv, io) => (await import('./commands/logs')).logsCommand(argv, io),
  exec: async (argv, io) => (await import('./commands/exec')).execCommand(argv, io),
  stop: async (argv, io) => (await import('./commands/stop')).stopCommand(argv, io),
  rm: async (argv, io) => (await import('./commands/rm')).rmCommand(argv, io),
  events: async (argv, io) => (await import('./commands/events')).eventsCommand(argv, io),
};
