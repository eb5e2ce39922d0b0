import { existsSync } from 'node:fs';
import { BaseError, ConnectionError, type Sequelize } from 'sequelize';
import { connectDatabase, sqliteStorage } from '../data/database';
import { createMigrator } from '../data/migrations';
import { defineModels, type VisitorPassModels } from '../data/models';
import { VisitorPassOptionsError } from '../errors';
import { DEFAULT_DATABASE_URL } from '../options';
import { CliFailure, type CliIo } from './io';

export interface CliDatabase {
  sequelize: Sequelize;
  models: VisitorPassModels;
}

/** The database named by DATABASE_URL, or the library's default SQLite file. */
function databaseUrlOf(io: CliIo): string {
  return io.env.DATABASE_URL || DEFAULT_DATABASE_URL;
}

function open(databaseUrl: string, create: boolean): Sequelize {
  let sequelize: Sequelize;
  try {
    sequelize = connectDatabase(databaseUrl);
  } catch (error) {
    if (error instanceof VisitorPassOptionsError) {
      throw new CliFailure('DATABASE_URL must start with sqlite:, postgres://, mysql:// or mariadb://.');
    }
    throw error;
  }
  // Only `migrate` may create a SQLite file: a typo in the path must not leave an empty database behind.
  const storage = sqliteStorage(databaseUrl);
  if (!create && storage !== null && storage !== ':memory:' && !existsSync(storage)) {
    throw new CliFailure(`no SQLite database at ${storage}; check DATABASE_URL, or run \`visitor-pass migrate\` to create it.`);
  }
  return sequelize;
}

/** A database failure in one line: the driver's words or code, never the SQL nor the URL's password. */
function describeDatabaseError(error: BaseError): string {
  if (error instanceof ConnectionError) {
    const reason = error.parent?.message ?? error.message;
    return `cannot connect to the database (${reason.split('\n')[0]}); check DATABASE_URL.`;
  }
  const code = (error as { parent?: { code?: unknown } }).parent?.code;
  return `the database refused the operation (${typeof code === 'string' ? code : error.name}).`;
}

/**
 * Opens the database, runs `work`, closes it. Unless `forMigrate`, refuses to
 * work on tables that `visitor-pass migrate` has not brought up to date.
 */
export async function withDatabase<T>(io: CliIo, work: (database: CliDatabase) => Promise<T>, { forMigrate = false } = {}): Promise<T> {
  const sequelize = open(databaseUrlOf(io), forMigrate);
  let connected = true;
  try {
    if (!forMigrate && (await createMigrator(sequelize).pending()).length > 0) {
      throw new CliFailure('the visitor pass tables are missing or out of date; run `visitor-pass migrate` first.');
    }
    return await work({ sequelize, models: defineModels(sequelize) });
  } catch (error) {
    if (error instanceof ConnectionError) connected = false;
    if (error instanceof BaseError) throw new CliFailure(describeDatabaseError(error));
    throw error;
  } finally {
    // Sequelize's SQLite close() never settles after a failed open, and there is nothing to close then.
    if (connected || sequelize.getDialect() !== 'sqlite') await sequelize.close();
  }
}
