import type { Sequelize } from 'sequelize';
import { connectDatabase, VISITOR_PASS_ERRORS, type VisitorPassEvents } from '../src';
import { createTestDatabase, dialects, type TestDatabase } from './support/databases';
import { gql, invite, INVITE, openLink, startTestApp, type TestApp } from './support/app';

const UNAVAILABLE = VISITOR_PASS_ERRORS.VISITOR_PASS_UNAVAILABLE.message;

/** Nothing about the database may reach a client: no SQL, no driver, no host, no stack. */
function expectNothingLeaked(body: unknown): void {
  const text = JSON.stringify(body);
  for (const leak of ['SELECT', 'INSERT', 'UPDATE', 'Sequelize', 'ConnectionManager', 'ECONNREFUSED', '127.0.0.1', 'stacktrace', '    at ']) {
    expect(text).not.toContain(leak);
  }
}

function inviteGinger(agent: ReturnType<TestApp['agent']>) {
  return gql(agent, INVITE, { input: { firstName: 'Ginger', email: 'ginger@example.com', scope: 'REFERENCE_REQUEST' } });
}

/** Watches the process for promise rejections nobody handled while the store is down. */
function watchUnhandledRejections(): { rejections: unknown[]; stop(): void } {
  const rejections: unknown[] = [];
  const listener = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', listener);
  return { rejections, stop: () => process.off('unhandledRejection', listener) };
}

describe.each(dialects)("the pass's connection closed on %s", (dialect) => {
  let db: TestDatabase;
  let store: Sequelize;
  let app: TestApp;
  let unavailable: Array<VisitorPassEvents['unavailable']>;
  let watch: ReturnType<typeof watchUnhandledRejections>;
  let fred: ReturnType<TestApp['agent']>;
  let ginger: ReturnType<TestApp['agent']>;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    // The pass gets a connection of its own, so closing it leaves the suite's connection for the clean-up.
    store = connectDatabase(db.url);
    app = await startTestApp({ database: { ...db, sequelize: store } });
    unavailable = [];
    app.pass.events.on('unavailable', (payload) => unavailable.push(payload));
    fred = app.agent();
    const { link } = await invite(fred, {});
    ginger = app.agent();
    await openLink(ginger, link).expect(303);
    expect((await gql(ginger, '{ secret }')).body.data.secret).toBe('secret');
    watch = watchUnhandledRejections();
    await store.close();
  });
  afterAll(async () => {
    await app.stop();
    watch.stop();
    await db.drop();
  });

  test('inviteVisitor answers VISITOR_PASS_UNAVAILABLE with HTTP 503 and leaks nothing', async () => {
    unavailable.length = 0;
    const response = await inviteGinger(fred);
    expect(response.status).toBe(503);
    expect(response.body.data).toBeNull();
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors[0].extensions.code).toBe('VISITOR_PASS_UNAVAILABLE');
    expect(response.body.errors[0].message).toBe(UNAVAILABLE);
    expectNothingLeaked(response.body);
    expect(unavailable).toHaveLength(1);
    expect(unavailable[0].error).toBeInstanceOf(Error);
  });

  test("a visitor's protected fields are denied with VISITOR_PASS_UNAVAILABLE while public fields resolve", async () => {
    const response = await gql(ginger, '{ publicInfo secret whoami }');
    expect(response.body.data).toEqual({ publicInfo: 'public', secret: null, whoami: 'anonymous' });
    expect(response.body.errors.map((error: { path: string[]; extensions: { code: string } }) => [error.path, error.extensions.code])).toEqual([
      [['secret'], 'VISITOR_PASS_UNAVAILABLE'],
    ]);
    expectNothingLeaked(response.body);
  });

  test('the link page goes on with the code instead of failing', async () => {
    await ginger.get('/reference').expect(200, { visitor: null, error: 'VISITOR_PASS_UNAVAILABLE' });
  });

  test('writing the access log fails quietly: no crash, the server keeps answering', async () => {
    await expect(app.pass.flushLogs()).resolves.toBeUndefined();
    await gql(app.agent(), '{ publicInfo }').expect(200, { data: { publicInfo: 'public' } });
    expect(watch.rejections).toEqual([]);
  });
});

describe('a PostgreSQL URL where nothing listens', () => {
  const DEAD_URL = 'postgres://visitor@127.0.0.1:1/visitor_pass';
  let app: TestApp;
  let unavailable: Array<VisitorPassEvents['unavailable']>;
  let watch: ReturnType<typeof watchUnhandledRejections>;

  beforeAll(async () => {
    const sequelize = connectDatabase(DEAD_URL);
    app = await startTestApp({
      database: { dialect: 'postgres', url: DEAD_URL, sequelize, drop: () => sequelize.close() },
      migrate: false,
    });
    unavailable = [];
    app.pass.events.on('unavailable', (payload) => unavailable.push(payload));
    watch = watchUnhandledRejections();
  });
  afterAll(async () => {
    await app.stop();
    await app.pass.sequelize.close();
    watch.stop();
  });

  test('inviteVisitor answers VISITOR_PASS_UNAVAILABLE with HTTP 503 and leaks nothing', async () => {
    const fred = app.agent();
    await fred.post('/login').send({ id: 'fred' }).expect(200);
    const response = await inviteGinger(fred);
    expect(response.status).toBe(503);
    expect(response.body.errors[0].extensions.code).toBe('VISITOR_PASS_UNAVAILABLE');
    expect(response.body.errors[0].message).toBe(UNAVAILABLE);
    expectNothingLeaked(response.body);
    expect(unavailable.length).toBeGreaterThan(0);
  });

  test('a link with a token goes on to the page with VISITOR_PASS_UNAVAILABLE, not a 500', async () => {
    await app.agent().get(`/reference?vuid=${'A'.repeat(43)}`).expect(200, { visitor: null, error: 'VISITOR_PASS_UNAVAILABLE' });
  });

  test('a GraphQL request carrying a token answers 503 VISITOR_PASS_UNAVAILABLE', async () => {
    const response = await app.agent().post(`/graphql?vuid=${'A'.repeat(43)}`).send({ query: '{ publicInfo }' });
    expect(response.status).toBe(503);
    expect(response.body.errors[0].extensions.code).toBe('VISITOR_PASS_UNAVAILABLE');
    expectNothingLeaked(response.body);
  });

  test('callers without a pass are not affected, and nothing crashed', async () => {
    await gql(app.agent(), '{ publicInfo secret }').expect(200);
    expect(watch.rejections).toEqual([]);
  });
});
