import type { Request } from 'express';
import request, { type Response } from 'supertest';
import type { VisitorPass, VisitorPassOptions } from '../../src';
import { closeTestApp, gql, startTestApp, type TestApp } from './app';
import { createTestDatabase, type Dialect, type TestDatabase } from './databases';

/**
 * A host schema for guests: @allowGuest on fields, a type, a list and a root
 * mutation; @registeredUser on fields, a type and a root mutation; @visitor
 * beside them; and a host login mutation that merges the caller's visitor.
 */
export const guestTypeDefs = /* GraphQL */ `
  type Query {
    publicInfo: String
    whoami: String
    guestNote: String @allowGuest
    guestOther: String @allowGuest
    guestRequired: String! @allowGuest
    guestPage: GuestPage
    guestPages: [GuestPage!]!
    guestOnly: String @allowGuest @visitor(scope: "GUEST")
    anyVisitor: String @visitor(scope: "*")
    secret: String @visitor(scope: "REFERENCE_REQUEST")
    account: String @registeredUser
    accountRequired: String! @registeredUser
    profile: Profile
    myNotes: [String!]!
  }
  type GuestPage @allowGuest {
    title: String
    viewer: String
  }
  type Profile @registeredUser {
    name: String
    owner: String
  }
  type Mutation {
    "Records who ran it; no directive."
    touch: String
    writeNote(text: String!): String! @allowGuest
    saveAccount(text: String!): String! @registeredUser
    "The host's login: merges the caller's visitor into user \`id\`, then signs \`id\` in."
    login(id: ID!): String
  }
`;

interface WhoContext {
  visitor?: { id: string; kind: string; fullName: string } | null;
  user?: { id: string } | null;
  req: Request & { session: any };
}

/** Who the resolver sees: `visitor:<kind>:<full name>`, `user:<id>` or `anonymous`. */
export function who(context: WhoContext): string {
  if (context.visitor) return `visitor:${context.visitor.kind}:${context.visitor.fullName}`;
  if (context.user) return `user:${context.user.id}`;
  return 'anonymous';
}

/** Whose data a resolver reads and writes: the visitor's id first, as a host keys guest data. */
export function ownerOf(context: WhoContext): string | null {
  if (context.visitor) return `visitor:${context.visitor.id}`;
  if (context.user) return `user:${context.user.id}`;
  return null;
}

export interface GuestHostState {
  /** The host's data: notes by owner (`visitor:<id>` or `user:<id>`). */
  notes: Map<string, string[]>;
  /** One entry per resolver run that changes something: `<field>:<who>`. */
  ran: string[];
  /** Set once the app started: the login mutation calls `pass.mergeVisitorInto`. */
  pass?: VisitorPass;
}

export function guestResolvers(state: GuestHostState) {
  const page = () => ({ title: 'Welcome' });
  return {
    Query: {
      publicInfo: () => 'public',
      whoami: (_: unknown, __: unknown, context: WhoContext) => who(context),
      guestNote: (_: unknown, __: unknown, context: WhoContext) => who(context),
      guestOther: (_: unknown, __: unknown, context: WhoContext) => who(context),
      guestRequired: (_: unknown, __: unknown, context: WhoContext) => who(context),
      guestPage: page,
      guestPages: () => [page(), page(), page()],
      guestOnly: (_: unknown, __: unknown, context: WhoContext) => who(context),
      anyVisitor: () => 'any',
      secret: () => 'secret',
      account: (_: unknown, __: unknown, context: WhoContext) => who(context),
      accountRequired: (_: unknown, __: unknown, context: WhoContext) => who(context),
      profile: () => ({ name: 'Profile' }),
      myNotes: (_: unknown, __: unknown, context: WhoContext) => state.notes.get(ownerOf(context) ?? '') ?? [],
    },
    GuestPage: {
      viewer: (_: unknown, __: unknown, context: WhoContext) => who(context),
    },
    Profile: {
      owner: (_: unknown, __: unknown, context: WhoContext) => who(context),
    },
    Mutation: {
      touch: (_: unknown, __: unknown, context: WhoContext) => {
        state.ran.push(`touch:${who(context)}`);
        return who(context);
      },
      writeNote: (_: unknown, { text }: { text: string }, context: WhoContext) => {
        state.ran.push(`writeNote:${who(context)}`);
        const owner = ownerOf(context);
        if (!owner) throw new Error('writeNote ran without a guest');
        state.notes.set(owner, [...(state.notes.get(owner) ?? []), text]);
        return text;
      },
      saveAccount: (_: unknown, { text }: { text: string }, context: WhoContext) => {
        state.ran.push(`saveAccount:${who(context)}`);
        return text;
      },
      async login(_: unknown, { id }: { id: string }, context: WhoContext) {
        if (!state.pass) throw new Error('the pass is not set on the host state');
        const merged = await state.pass.mergeVisitorInto(context, id);
        // Signed in only once the merge went through: a refused merge fails the login.
        context.req.session.user = { id, isStaff: false };
        state.ran.push(`login:${id}`);
        return merged ? `merged:${merged.id}` : 'none';
      },
    },
  };
}

export interface GuestApp {
  db: TestDatabase;
  app: TestApp;
  state: GuestHostState;
}

/** A throwaway database and a test app on the guest host schema, for a suite's beforeAll. */
export async function openGuestApp(dialect: Dialect, pass: Partial<VisitorPassOptions> = {}): Promise<GuestApp> {
  const db = await createTestDatabase(dialect);
  const state: GuestHostState = { notes: new Map(), ran: [] };
  const app = await startTestApp({ database: db, typeDefs: guestTypeDefs, resolvers: guestResolvers(state), pass });
  state.pass = app.pass;
  return { db, app, state };
}

export async function closeGuestApp(guestApp: GuestApp | undefined): Promise<void> {
  await closeTestApp(guestApp?.app, guestApp?.db);
}

/** Empties the tables and the host state between tests. */
export async function resetGuestApp({ app, state }: GuestApp): Promise<void> {
  await app.pass.flushLogs();
  await app.pass.models.VisitorLog.destroy({ where: {} });
  await app.pass.models.Visitor.destroy({ where: {} });
  state.notes.clear();
  state.ran.length = 0;
}

/** How many guest rows the database holds. */
export const guestCount = (app: TestApp) => app.pass.models.Visitor.count({ where: { kind: 'GUEST' } });

/** `connect.sid=…` as the response set it, ready for a Cookie header. */
export function sessionIdCookie(response: Response): string {
  const header = ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((cookie) => cookie.startsWith('connect.sid='));
  if (!header) throw new Error(`no session cookie set (status ${response.status})`);
  return header.split(';')[0];
}

/** The whole Set-Cookie header of the session cookie, or undefined when none was set. */
export function sessionSetCookie(response: Response): string | undefined {
  return ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((cookie) => cookie.startsWith('connect.sid='));
}

/** What the session behind a raw `connect.sid` cookie holds, asked by a browser with no jar of its own. */
export async function sessionBehind(app: TestApp, cookie: string): Promise<Record<string, any>> {
  return (await request(app.app).get('/session-data').set('cookie', cookie)).body;
}

/** A new browser that became a guest through `{ guestNote }`; its guest's id and name. */
export async function guestAgent(app: TestApp): Promise<{ agent: request.Agent; id: string; fullName: string; created: Response }> {
  const agent = app.agent();
  const created = await gql(agent, '{ guestNote }');
  if (created.body.errors) throw new Error(`no guest: ${JSON.stringify(created.body.errors)}`);
  const current = await gql(agent, '{ currentVisitor { id kind fullName } }');
  const visitor = current.body.data?.currentVisitor;
  if (!visitor || visitor.kind !== 'GUEST') throw new Error(`not a guest after { guestNote }: ${JSON.stringify(current.body)}`);
  return { agent, id: visitor.id, fullName: visitor.fullName, created };
}

/** The error codes of a GraphQL response body, in order. */
export const codes = (body: { errors?: Array<{ extensions?: { code?: string } }> }) => (body.errors ?? []).map((error) => error.extensions?.code);

export const secondsAgo = (seconds: number) => new Date(Date.now() - seconds * 1000);
