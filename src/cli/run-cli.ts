import { CommanderError } from 'commander';
import { CliFailure, EXIT_FAILURE, EXIT_USAGE, printable, writeLine, type CliIo } from './io';
import { createProgram } from './program';

/** Help and version end well; every other commander exit is a bad command line. */
function exitCodeOf(error: CommanderError): number {
  const done = ['commander.helpDisplayed', 'commander.version'].includes(error.code) || (error.code === 'commander.help' && error.exitCode === 0);
  return done ? 0 : EXIT_USAGE;
}

/**
 * Runs `visitor-pass` with `argv` (the arguments after the program name) and
 * returns the exit code. Never exits the process and never prints a stack trace.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await createProgram(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return exitCodeOf(error); // commander has printed its message
    if (error instanceof CliFailure) {
      writeLine(io.stderr, `visitor-pass: ${error.message}`);
      return EXIT_FAILURE;
    }
    const message = error instanceof Error ? error.message : String(error);
    writeLine(io.stderr, `visitor-pass: unexpected error: ${printable(message.split('\n')[0], 300)}`);
    return EXIT_FAILURE;
  }
}
