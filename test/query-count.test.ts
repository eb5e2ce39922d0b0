import type { Options } from 'sequelize';
import { closeTestApp, gql, invite, openLink, openTestApp, type TestApp } from './support/app';
import { dialects, type TestDatabase } from './support/databases';

/** Counts the SQL statements the pass's Sequelize runs while `work` runs (via its logging hook). */
async function countQueries(db: TestDatabase, work: () => Promise<unknown>): Promise<string[]> {
  const statements: string[] = [];
  // Sequelize reads `options.logging` on every query; its typings just do not list `options`.
  const options = (db.sequelize as unknown as { options: Options }).options;
  const previous = options.logging;
  options.logging = (sql: string) => void statements.push(sql);
  try {
    await work();
  } finally {
    options.logging = previous;
  }
  return statements;
}

describe.each(dialects)('database queries per request on %s', (dialect) => {
  let db: TestDatabase;
  let app: TestApp;
  beforeAll(async () => ({ db, app } = await openTestApp(dialect)));
  afterAll(() => closeTestApp(app, db));

  test('a request without a visitor costs no query, protected field or not', async () => {
    const anonymous = app.agent();
    const statements = await countQueries(db, () => gql(anonymous, '{ publicInfo secret document { title } }'));
    expect(statements).toEqual([]);
  });

  test('a request from a visitor costs one primary-key query, however many guarded fields it reads', async () => {
    const ginger = app.agent();
    await openLink(ginger, (await invite(app.agent(), {})).link).expect(303);
    await app.pass.flushLogs();
    const statements = await countQueries(db, async () => {
      const response = await gql(ginger, '{ secret anyVisitor staffOrVisitor currentVisitor { fullName } }');
      expect(response.body.errors).toBeUndefined();
    });
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/SELECT/);
    expect(statements[0]).toMatch(/WHERE .*id.* = /);
  });

  test('the access log of many visitor requests is written in a few batched statements, off the request path', async () => {
    const ginger = app.agent();
    await openLink(ginger, (await invite(app.agent(), {})).link).expect(303);
    await app.pass.flushLogs();
    const during = await countQueries(db, async () => {
      for (let i = 0; i < 10; i += 1) await gql(ginger, '{ secret }');
    });
    expect(during).toHaveLength(10);
    const flushing = await countQueries(db, () => app.pass.flushLogs());
    expect(flushing.filter((sql) => /INSERT/.test(sql))).toHaveLength(1);
  });
});
