import { Umzug, SequelizeStorage } from 'umzug';
import type { QueryInterface, Sequelize } from 'sequelize';
import { createVisitorPassTables } from './0001-create-visitor-pass-tables';
import { addGuests } from './0002-add-guests';
import type { Migration } from './migration';

/** In order, append-only. */
export const migrations: Migration[] = [createVisitorPassTables, addGuests];

const MIGRATIONS_TABLE = 'visitor_pass_migrations';

export function createMigrator(sequelize: Sequelize): Umzug<QueryInterface> {
  return new Umzug({
    migrations,
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, tableName: MIGRATIONS_TABLE }),
    logger: undefined,
  });
}

/** Creates or upgrades the tables; returns the names of the migrations it ran. */
export async function migrate(sequelize: Sequelize): Promise<string[]> {
  const ran = await createMigrator(sequelize).up();
  return ran.map((migration) => migration.name);
}
