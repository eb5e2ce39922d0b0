import { randomBytes } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { makeExecutableSchema } from '@graphql-tools/schema';
import express from 'express';
import type { GraphQLSchema } from 'graphql';
import session from 'express-session';
import request from 'supertest';
import { createVisitorPass, type VisitorPass, type VisitorPassOptions } from '../../src';
import { createTestDatabase, type Dialect, type TestDatabase } from './databases';

/** A host schema with @visitor on fields, types, an interface, a mutation and a subscription. */
export const hostTypeDefs = /* GraphQL */ `
  type Query {
    publicInfo: String
    secret: String @visitor(scope: "REFERENCE_REQUEST")
    anyVisitor: String @visitor(scope: "*")
    staffOrVisitor: String @visitor(scope: "REFERENCE_REQUEST", bypass: "staff")
    document: Document
    shapes: [Shape!]!
    whoami: String
  }
  type Document @visitor(scope: "DOCS") {
    title: String
    summary: String @visitor(scope: "*")
  }
  interface Shape @visitor(scope: "SHAPES") {
    name: String
  }
  type Circle implements Shape {
    name: String
    radius: Int
  }
  type Mutation {
    saveDraft(text: String!): String! @visitor(scope: "REFERENCE_REQUEST")
    touch: Int!
  }
  type Subscription {
    ticks: Int @visitor(scope: "REFERENCE_REQUEST")
  }
`;

export interface HostState {
  touches: number;
  drafts: string[];
}

export function hostResolvers(state: HostState) {
  return {
    Query: {
      publicInfo: () => 'public',
      secret: () => 'secret',
      anyVisitor: () => 'any',
      staffOrVisitor: () => 'staff-or-visitor',
      document: () => ({ title: 'Terms', summary: 'short' }),
      shapes: () => [{ __typename: 'Circle', name: 'c1', radius: 2 }],
      whoami: (_: unknown, __: unknown, context: { visitor?: { fullName: string } | null; user?: { id: string } | null }) =>
        context.visitor ? `visitor:${context.visitor.fullName}` : context.user ? `user:${context.user.id}` : 'anonymous',
    },
    Shape: { __resolveType: () => 'Circle' },
    Mutation: {
      saveDraft: (_: unknown, { text }: { text: string }) => {
        state.drafts.push(text);
        return text;
      },
      touch: () => ++state.touches,
    },
    Subscription: {
      ticks: {
        subscribe: async function* () {
          yield { ticks: 1 };
        },
      },
    },
  };
}

export interface TestApp {
  app: express.Express;
  pass: VisitorPass;
  server: ApolloServer<any>;
  /** The transformed executable schema Apollo serves (e.g. for graphql-ws's useServer). */
  schema: GraphQLSchema;
  state: HostState;
  /** A new cookie jar: one browser. */
  agent(): request.Agent;
  stop(): Promise<void>;
}

export interface TestAppOptions {
  database: TestDatabase;
  pass?: Partial<VisitorPassOptions>;
  typeDefs?: string;
  resolvers?: Record<string, any>;
  /** express-session cookie options of the host. */
  cookie?: session.CookieOptions;
  /** express-session's store (default: its MemoryStore). */
  store?: session.Store;
  /** Run `pass.migrate()` before starting (default true); false for a database that cannot be reached. */
  migrate?: boolean;
}

export const LINK_BASE_URL = 'http://localhost:4000/reference';

/**
 * Express 5 + express-session + Apollo Server 5 + the visitor pass, as a host
 * app would wire them. `POST /login {id, isStaff}` logs a host user in.
 */
export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const state: HostState = { touches: 0, drafts: [] };
  const pass = createVisitorPass({
    sequelize: options.database.sequelize,
    linkBaseUrl: LINK_BASE_URL,
    bypass: {
      staff: (context: { user?: { isStaff?: boolean } | null }) => Boolean(context.user?.isStaff),
    },
    ...options.pass,
  });
  if (options.migrate !== false) await pass.migrate();
  const schema = pass.transform(
    makeExecutableSchema({
      typeDefs: [pass.typeDefs, options.typeDefs ?? hostTypeDefs],
      resolvers: [pass.resolvers as Record<string, any>, options.resolvers ?? hostResolvers(state)],
    }),
  );
  const server = new ApolloServer<any>({ schema, plugins: [pass.plugin] });
  await server.start();

  const app = express();
  app.use(express.json());
  app.use(
    session({
      secret: 'test-secret',
      resave: false,
      saveUninitialized: false,
      cookie: options.cookie,
      store: options.store,
    }),
  );
  app.use((req, _res, next) => {
    (req as any).user = (req.session as any).user ?? null;
    next();
  });
  // The JSON realtime ticket endpoint (POST tickets.path), after the session, as a host mounts it.
  app.use(pass.ticketHandler());
  app.post('/login', (req, res) => {
    (req.session as any).user = { id: String(req.body.id), isStaff: Boolean(req.body.isStaff) };
    res.json({ ok: true });
  });
  app.post('/session-data', (req, res) => {
    Object.assign(req.session as any, req.body);
    res.json({ ok: true });
  });
  app.get('/session-data', (req, res) => {
    res.json({ ...(req.session as any), cookie: undefined });
  });
  app.get('/reference', pass.linkHandler(), (req, res) => {
    res.json({ visitor: req.visitor?.fullName ?? null, error: req.visitorPassError?.code ?? null });
  });
  app.use(
    '/graphql',
    expressMiddleware(server, {
      // `req` lets host hooks (e.g. `guests.login`) reach the session.
      context: async ({ req, res }) => ({ user: (req as any).user, req, ...(await pass.context({ req, res })) }),
    }),
  );

  return {
    app,
    pass,
    server,
    schema,
    state,
    agent: () => request.agent(app),
    async stop() {
      await server.stop();
    },
  };
}

/** POST a GraphQL operation through the agent; resolves to the supertest response. */
export function gql(agent: request.Agent, query: string, variables?: Record<string, unknown>, path = '/graphql') {
  return agent.post(path).set('content-type', 'application/json').send({ query, variables });
}

export const INVITE = /* GraphQL */ `
  mutation Invite($input: InviteVisitorInput!) {
    inviteVisitor(input: $input) {
      link
      token
      visitor { id scope firstName lastName fullName email isActive isValid maxUses useCount sessionExpiry expiresAt }
    }
  }
`;

/** Logs a host user in on `agent` and invites a visitor; returns the invitation. */
export async function invite(agent: request.Agent, input: Record<string, unknown>, inviter: { id: string; isStaff?: boolean } = { id: 'fred' }) {
  await agent.post('/login').send(inviter).expect(200);
  const response = await gql(agent, INVITE, { input: { firstName: 'Ginger', lastName: 'Rogers', email: 'ginger@example.com', scope: 'REFERENCE_REQUEST', ...input } });
  if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
  return response.body.data.inviteVisitor as { link: string; token: string; visitor: Record<string, any> };
}

/** Opens an invitation link in `agent` (the path and query of the link). */
export function openLink(agent: request.Agent, link: string) {
  const url = new URL(link);
  return agent.get(url.pathname + url.search);
}

/** A throwaway database on `dialect` and a test app on it, for a suite's beforeAll. */
export async function openTestApp(dialect: Dialect, options: Omit<TestAppOptions, 'database'> = {}) {
  const db = await createTestDatabase(dialect);
  return { db, app: await startTestApp({ database: db, ...options }) };
}

/** Stops the app and drops its database, for a suite's afterAll. */
export async function closeTestApp(app: TestApp | undefined, db: TestDatabase | undefined): Promise<void> {
  await app?.stop();
  await db?.drop();
}

/** A token of the right shape that no pass was issued for. */
export const unknownToken = () => randomBytes(32).toString('base64url');

/** The pass row as stored now. */
export async function passRow(app: TestApp, id: string) {
  const visitor = await app.pass.models.Visitor.findByPk(id);
  if (!visitor) throw new Error(`no pass ${id}`);
  return visitor;
}

/** A pass on the test database, with no app around it. */
export function testPass(db: TestDatabase, options: Partial<VisitorPassOptions> = {}): VisitorPass {
  return createVisitorPass({ sequelize: db.sequelize, linkBaseUrl: LINK_BASE_URL, ...options });
}
