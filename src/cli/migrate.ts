import type { Command } from 'commander';
import { migrate } from '../data/migrations';
import { withDatabase } from './database';
import { writeLine, type CliIo } from './io';

/** `visitor-pass migrate`: creates or upgrades the tables. */
export function addMigrateCommand(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description('Create or upgrade the visitor pass tables (runs the pending migrations).')
    .action(async () => {
      const ran = await withDatabase(io, ({ sequelize }) => migrate(sequelize), { forMigrate: true });
      if (ran.length === 0) writeLine(io.stdout, 'The visitor pass tables are up to date.');
      for (const name of ran) writeLine(io.stdout, `Ran migration ${name}.`);
    });
}
