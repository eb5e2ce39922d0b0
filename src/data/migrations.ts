import { Umzug, SequelizeStorage, type MigrationParams } from 'umzug';
import type { QueryInterface, Sequelize } from 'sequelize';
import { LOGS_TABLE, VISITORS_TABLE, copyColumns, logColumns, visitorColumns } from './models';

type Migration = {
  name: string;
  up: (params: MigrationParams<QueryInterface>) => Promise<void>;
  down: (params: MigrationParams<QueryInterface>) => Promise<void>;
};

/** Ordered, append-only: a released migration is never edited, only followed by a new one. */
export const migrations: Migration[] = [
  {
    name: '0001-create-visitor-pass-tables',
    async up({ context: queryInterface }) {
      await queryInterface.createTable(VISITORS_TABLE, copyColumns(visitorColumns));
      await queryInterface.addIndex(VISITORS_TABLE, ['email'], { name: 'visitor_pass_visitors_email' });
      await queryInterface.addIndex(VISITORS_TABLE, ['expiresAt'], { name: 'visitor_pass_visitors_expires_at' });
      await queryInterface.addIndex(VISITORS_TABLE, ['invitedBy'], { name: 'visitor_pass_visitors_invited_by' });
      await queryInterface.createTable(LOGS_TABLE, {
        ...copyColumns(logColumns),
        visitorId: {
          ...logColumns.visitorId,
          references: { model: VISITORS_TABLE, key: 'id' },
          onDelete: 'CASCADE',
          onUpdate: 'CASCADE',
        },
      });
      await queryInterface.addIndex(LOGS_TABLE, ['visitorId', 'createdAt'], { name: 'visitor_pass_logs_visitor_created' });
    },
    async down({ context: queryInterface }) {
      await queryInterface.dropTable(LOGS_TABLE);
      await queryInterface.dropTable(VISITORS_TABLE);
    },
  },
];

export const MIGRATIONS_TABLE = 'visitor_pass_migrations';

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
