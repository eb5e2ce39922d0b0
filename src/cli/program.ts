import { Command, type OutputConfiguration } from 'commander';
import { DEFAULT_DATABASE_URL } from '../options';
import { addCleanupCommand } from './cleanup';
import type { CliIo } from './io';
import { addListCommand } from './list';
import { addMigrateCommand } from './migrate';
import { addRevokeCommand } from './revoke';

/** Commander's output sent to `io`; its errors as one line that says where to find help. */
function outputTo(io: CliIo, commandPath: string): OutputConfiguration {
  return {
    writeOut: (text) => io.stdout.write(text),
    writeErr: (text) => io.stderr.write(text),
    getOutHelpWidth: () => (io.stdout as { columns?: number }).columns ?? 80,
    getErrHelpWidth: () => (io.stderr as { columns?: number }).columns ?? 80,
    outputError: (text, write) => write(`visitor-pass: ${text.replace(/^error: /, '').trimEnd()} (see \`${commandPath} --help\`)\n`),
  };
}

/**
 * The `visitor-pass` program. Nothing in it exits the process: commander's
 * exits become thrown CommanderErrors (exitOverride) that `runCli` turns into codes.
 */
export function createProgram(io: CliIo): Command {
  const program = new Command('visitor-pass')
    .description('Manage graphql-visitor-pass visitor passes: migrate the tables, list, revoke and clean up passes.')
    .exitOverride()
    .configureOutput(outputTo(io, 'visitor-pass'))
    .addHelpText(
      'after',
      `\nThe database comes from DATABASE_URL: sqlite:<path>, postgres://…, mysql://… or mariadb://… (default ${DEFAULT_DATABASE_URL}).`,
    );
  // Subcommands inherit exitOverride and the output from `program`, so they are added after both are set.
  addMigrateCommand(program, io);
  addListCommand(program, io);
  addRevokeCommand(program, io);
  addCleanupCommand(program, io);
  for (const command of program.commands) command.configureOutput(outputTo(io, `visitor-pass ${command.name()}`));
  return program;
}
