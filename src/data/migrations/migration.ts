import type { QueryInterface } from 'sequelize';
import type { MigrationParams } from 'umzug';

/** One schema change: a released one is never edited, only followed by a new one. */
export interface Migration {
  name: string;
  up: (params: MigrationParams<QueryInterface>) => Promise<void>;
  down: (params: MigrationParams<QueryInterface>) => Promise<void>;
}
