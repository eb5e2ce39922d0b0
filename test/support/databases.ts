import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sequelize } from 'sequelize';
import { connectDatabase } from '../../src';

export type Dialect = 'sqlite' | 'postgres' | 'mysql';

export interface TestDatabase {
  dialect: Dialect;
  url: string;
  sequelize: Sequelize;
  /** Closes the connection and drops the throwaway database (or file). */
  drop(): Promise<void>;
}

/**
 * SQLite always; PostgreSQL and MariaDB/MySQL when their URLs are set
 * (CI sets both and fails if a server cannot be reached).
 */
export const dialects: Dialect[] = [
  'sqlite',
  ...(process.env.VISITOR_PASS_TEST_POSTGRES_URL ? (['postgres'] as const) : []),
  ...(process.env.VISITOR_PASS_TEST_MYSQL_URL ? (['mysql'] as const) : []),
];

function serverUrl(dialect: Exclude<Dialect, 'sqlite'>): string {
  const url = dialect === 'postgres' ? process.env.VISITOR_PASS_TEST_POSTGRES_URL : process.env.VISITOR_PASS_TEST_MYSQL_URL;
  if (!url) throw new Error(`no test URL for ${dialect}`);
  return url;
}

/** A connection to `url`, and how to drop it: close, then remove what held the data. */
function testDatabase(dialect: Dialect, url: string, removeData: () => Promise<void>): TestDatabase {
  const sequelize = connectDatabase(url);
  return {
    dialect,
    url,
    sequelize,
    async drop() {
      await sequelize.close();
      await removeData();
    },
  };
}

/** A fresh database of its own for one test file, so suites can run in parallel. */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'visitor-pass-'));
    return testDatabase(dialect, `sqlite:${join(dir, 'test.sqlite')}`, async () => rmSync(dir, { recursive: true, force: true }));
  }
  const name = `vp_test_${randomBytes(6).toString('hex')}`;
  const admin = connectDatabase(serverUrl(dialect));
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl(dialect));
  url.pathname = `/${name}`;
  return testDatabase(dialect, url.toString(), async () => {
    await admin.query(`DROP DATABASE ${name}`);
    await admin.close();
  });
}
