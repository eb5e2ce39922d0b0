import { Sequelize, type Options } from 'sequelize';
import { VisitorPassOptionsError } from '../errors';

/** The file a `sqlite:<path>` URL names (`:memory:` for none), or null for another kind of URL. */
export function sqliteStorage(databaseUrl: string): string | null {
  if (!databaseUrl.startsWith('sqlite:')) return null;
  return databaseUrl.slice('sqlite:'.length).replace(/^\/\//, '') || ':memory:';
}

/**
 * A Sequelize instance for `sqlite:<path>`, `postgres://…`, `mysql://…` or
 * `mariadb://…`. SQLite gets an explicit storage path (the URL form warns).
 */
export function connectDatabase(databaseUrl: string, options: Options = {}): Sequelize {
  const common: Options = { logging: false, ...options };
  const storage = sqliteStorage(databaseUrl);
  if (storage !== null) return new Sequelize({ dialect: 'sqlite', storage, ...common });
  const match = /^(postgres|postgresql|mysql|mariadb):\/\//.exec(databaseUrl);
  if (!match) {
    throw new VisitorPassOptionsError(
      'option `databaseUrl` must start with sqlite:, postgres://, mysql:// or mariadb:// (got another scheme).',
    );
  }
  // MariaDB speaks the MySQL protocol; mysql2 serves both without the optional mariadb driver.
  const url = match[1] === 'mariadb' ? databaseUrl.replace(/^mariadb:/, 'mysql:') : databaseUrl;
  return new Sequelize(url, common);
}
