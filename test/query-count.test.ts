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

describe.each(dialects)('database queries of a guest on %s', (dialect) => {
  let db: TestDatabase;
  let app: TestApp;
  beforeAll(
    async () =>
      ({ db, app } = await openTestApp(dialect, {
        typeDefs: 'type Query { note: String @allowGuest }',
        resolvers: { Query: { note: (_: unknown, __: unknown, context: { visitor: { fullName: string } | null }) => context.visitor?.fullName ?? null } },
      })),
  );
  afterAll(() => closeTestApp(app, db));

  test('becoming a guest costs three statements (insert, its rank among the address\'s guests, the CREATED log); staying one costs one', async () => {
    const browser = app.agent().set('user-agent', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0');
    const creating = await countQueries(db, async () => {
      const response = await gql(browser, '{ note }');
      expect(response.body.data.note).toMatch(/^Guest \d{4}$/);
    });
    expect(creating).toHaveLength(3);
    expect(creating[0]).toMatch(/INSERT INTO .visitor_pass_visitors/);
    expect(creating[1]).toMatch(/SELECT count/i);
    expect(creating[2]).toMatch(/INSERT INTO .visitor_pass_logs/);
    await app.pass.flushLogs();
    const staying = await countQueries(db, () => gql(browser, '{ note }'));
    expect(staying).toHaveLength(1);
    expect(staying[0]).toMatch(/SELECT/);
  });
});

describe('the host user is read once per request', () => {
  let db: TestDatabase;
  let app: TestApp;
  let calls = 0;
  beforeAll(
    async () =>
      ({ db, app } = await openTestApp('sqlite', {
        pass: {
          getUser: (req) => {
            calls += 1;
            return (req as unknown as { user?: unknown }).user;
          },
        },
      })),
  );
  afterAll(() => closeTestApp(app, db));

  test('getUser runs once for a link redemption and once for a GraphQL request that redeems and asks for a ticket', async () => {
    const fred = app.agent();
    const { link } = await invite(fred, {});
    const { token } = await invite(fred, {});
    calls = 0;
    await openLink(app.agent(), link).expect(303);
    expect(calls).toBe(1);
    calls = 0;
    const ginger = app.agent();
    const response = await gql(ginger, 'mutation Redeem($token: String!) { redeemVisitorPass(token: $token) { id } issueRealtimeTicket { ticket } }', { token });
    expect(response.body.errors).toBeUndefined();
    expect(calls).toBe(1);
  });
});
