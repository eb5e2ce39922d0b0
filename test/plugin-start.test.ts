import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { makeExecutableSchema } from '@graphql-tools/schema';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import type { VisitorPass } from '../src';
import { createTestDatabase, type TestDatabase } from './support/databases';
import { hostResolvers, hostTypeDefs, testPass } from './support/app';

let db: TestDatabase;
let pass: VisitorPass;
const started: ApolloServer<any>[] = [];
beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  pass = testPass(db, { bypass: { staff: () => false } });
  await pass.migrate();
});
afterAll(async () => {
  await Promise.all(started.map((server) => server.stop()));
  await db.drop();
});

function hostSchema(typeDefs = hostTypeDefs, resolvers: Record<string, any> = hostResolvers({ touches: 0, drafts: [] })) {
  return makeExecutableSchema({ typeDefs: [pass.typeDefs, typeDefs], resolvers: [pass.resolvers as Record<string, any>, resolvers] });
}

async function start(schema: ReturnType<typeof hostSchema>) {
  const server = new ApolloServer<any>({ schema, plugins: [pass.plugin] });
  await server.start();
  started.push(server);
  return server;
}

describe('pass.plugin at start-up', () => {
  test('refuses a schema that uses @visitor but skipped pass.transform, saying what to do', async () => {
    const server = new ApolloServer<any>({ schema: hostSchema(), plugins: [pass.plugin] });
    await expect(server.start()).rejects.toThrow(/uses @visitor \(on Query\.secret\) but was not transformed.*pass\.transform/);
  });

  test('refuses an untransformed schema whose only @visitor is on an interface', async () => {
    const typeDefs = 'type Query { shapes: [Shape!]! } interface Shape @visitor(scope: "SHAPES") { name: String } type Circle implements Shape { name: String }';
    const server = new ApolloServer<any>({ schema: hostSchema(typeDefs, {}), plugins: [pass.plugin] });
    await expect(server.start()).rejects.toThrow(/Circle\.name.*not transformed/);
  });

  test('starts with the transformed schema, which then guards its fields', async () => {
    const server = await start(pass.transform(hostSchema()));
    const response = await request(hostApp(server)).post('/graphql').send({ query: '{ publicInfo secret }' });
    expect(response.body.data).toEqual({ publicInfo: 'public', secret: null });
    expect(response.body.errors[0].extensions.code).toBe('VISITOR_REQUIRED');
  });

  test('starts with a schema that uses no @visitor, untransformed', async () => {
    const server = await start(hostSchema('type Query { publicInfo: String }', { Query: { publicInfo: () => 'public' } }));
    const response = await request(hostApp(server)).post('/graphql').send({ query: '{ publicInfo currentVisitor { id } }' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: { publicInfo: 'public', currentVisitor: null } });
  });
});

describe('pass.plugin on a request', () => {
  test('a context function that does not spread pass.context gets a clear error, never a silent allow', async () => {
    const server = await start(pass.transform(hostSchema()));
    const app = hostApp(server, async () => ({ user: { id: 'boss', isStaff: true } }));
    for (const query of ['{ secret }', '{ publicInfo }', 'mutation { saveDraft(text: "draft") }']) {
      const response = await request(app).post('/graphql').send({ query });
      expect(response.status).toBe(500);
      expect(response.body.data ?? null).toBeNull();
      expect(response.body.errors[0].message).toMatch(/lacks pass\.context\(\).*spread it into your context function/);
      expect(JSON.stringify(response.body)).not.toMatch(/"secret"|"draft"/);
    }
  });
});

/** Express + express-session + the server, with pass.context spread into the context unless `context` replaces it. */
function hostApp(server: ApolloServer<any>, context?: () => Promise<Record<string, unknown>>) {
  const app = express();
  app.use(express.json());
  app.use(session({ secret: 'test-secret', resave: false, saveUninitialized: false }));
  app.use('/graphql', expressMiddleware(server, { context: context ?? (async ({ req, res }) => ({ ...(await pass.context({ req, res })) })) }));
  return app;
}
