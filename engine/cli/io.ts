// Output sinks, injectable so commands can be tested without a subprocess.
export interface Io {
  out(s: string): void;
  err(s: string): void;
}

export const processIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};
