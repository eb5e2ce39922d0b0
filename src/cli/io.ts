/** Where the CLI reads and writes: the process in `main.ts`, captured streams in tests. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
  /** Is stderr a terminal? Only then is a progress bar drawn. */
  isTTY: boolean;
}

/** Exit codes: 1 when a command could not do its work, 2 for a bad command line. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure the user can act on: printed as one line, without a stack trace. */
export class CliFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliFailure';
  }
}

/** Writes one line to `stream`. */
export function writeLine(stream: NodeJS.WritableStream, line = ''): void {
  stream.write(`${line}\n`);
}

/** Text from the database or the command line made safe for one terminal line. */
export function printable(value: string, max = Infinity): string {
  // Control and bidi characters could move the cursor or reorder what the operator reads.
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, ' ');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
