// The commands that only talk to the daemon. The built CLI (bin.ts) sends them to a bundle of their own that
// holds the daemon client and nothing of the engine; this list is all bin.ts needs to know of them.
export const POD_COMMAND_NAMES = ['run', 'ps', 'describe', 'logs', 'exec', 'stop', 'rm', 'events'] as const;

export type PodCommandName = (typeof POD_COMMAND_NAMES)[number];
