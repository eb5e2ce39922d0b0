import { createTestDatabase, type TestDatabase } from './support/databases';
import { gql, startTestApp, type TestApp } from './support/app';
import { hostUserAgent, visitorAgent } from './support/visitor-agent';

const typeDefs = /* GraphQL */ `
  type Query {
    publicInfo: String
    staffOnly: String @visitor(scope: "REFERENCE_REQUEST", bypass: "staff")
    broken: String @visitor(scope: "REFERENCE_REQUEST", bypass: "throws")
    rejecting: String @visitor(scope: "REFERENCE_REQUEST", bypass: "rejects")
    asyncStaff: String @visitor(scope: "REFERENCE_REQUEST", bypass: "asyncStaff")
    items: [Item!]!
  }
  type Item @visitor(scope: "REFERENCE_REQUEST", bypass: "counted") {
    id: Int
    name: String
  }
  type Mutation {
    brokenSave: String @visitor(scope: "REFERENCE_REQUEST", bypass: "throws")
  }
`;

const resolvers = {
  Query: {
    publicInfo: () => 'public',
    staffOnly: () => 'staff-only',
    broken: () => 'broken',
    rejecting: () => 'rejecting',
    asyncStaff: () => 'async-staff',
    items: () => Array.from({ length: 100 }, (_, id) => ({ id, name: `item ${id}` })),
  },
  Mutation: { brokenSave: () => 'saved' },
};

type Context = { user?: { isStaff?: boolean } | null };
let countedCalls = 0;
const bypass = {
  staff: (context: Context) => Boolean(context.user?.isStaff),
  throws: (): boolean => {
    throw new Error('bypass store down: postgres://admin:secret@db');
  },
  rejects: async (): Promise<boolean> => {
    throw new Error('bypass store down');
  },
  asyncStaff: async (context: Context) => {
    await new Promise((resolve) => setImmediate(resolve));
    return Boolean(context.user?.isStaff);
  },
  counted: (context: Context) => {
    countedCalls += 1;
    return Boolean(context.user?.isStaff);
  },
};

let db: TestDatabase;
let app: TestApp;
beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  app = await startTestApp({ database: db, typeDefs, resolvers, pass: { bypass } });
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

function codes(body: { errors?: Array<{ extensions: { code: string } }> }) {
  return (body.errors ?? []).map((error) => error.extensions.code);
}

describe('@visitor(bypass:)', () => {
  test('"staff" lets a staff host user in without a visitor pass', async () => {
    const staff = await hostUserAgent(app, { id: 'boss', isStaff: true });
    const response = await gql(staff, '{ staffOnly }');
    expect(response.body).toEqual({ data: { staffOnly: 'staff-only' } });
  });

  test('a non-staff host user or an anonymous caller is denied', async () => {
    for (const agent of [await hostUserAgent(app, { id: 'fred' }), app.agent()]) {
      const response = await gql(agent, '{ staffOnly }');
      expect(response.body.data).toEqual({ staffOnly: null });
      expect(codes(response.body)).toEqual(['VISITOR_REQUIRED']);
    }
  });

  test('the visitor scope still admits a visitor when the bypass says no', async () => {
    const visitor = await visitorAgent(app, 'REFERENCE_REQUEST');
    const response = await gql(visitor, '{ staffOnly }');
    expect(response.body).toEqual({ data: { staffOnly: 'staff-only' } });
  });

  test('a bypass that throws denies with the §5 code, never a 500, and leaks nothing', async () => {
    const staff = await hostUserAgent(app, { id: 'boss', isStaff: true });
    const response = await gql(staff, '{ broken publicInfo }');
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ broken: null, publicInfo: 'public' });
    expect(codes(response.body)).toEqual(['VISITOR_REQUIRED']);
    expect(JSON.stringify(response.body)).not.toMatch(/store down|postgres:|INTERNAL_SERVER_ERROR/);

    const otherScope = await visitorAgent(app, 'OTHER');
    expect(codes((await gql(otherScope, '{ broken }')).body)).toEqual(['VISITOR_SCOPE_DENIED']);
  });

  test('a bypass that throws on a root mutation field refuses with 401, not 500', async () => {
    const staff = await hostUserAgent(app, { id: 'boss', isStaff: true });
    const response = await gql(staff, 'mutation { brokenSave }');
    expect(response.status).toBe(401);
    expect(response.body.data).toBeUndefined();
    expect(codes(response.body)).toEqual(['VISITOR_REQUIRED']);
  });

  test('an async bypass that rejects denies', async () => {
    const staff = await hostUserAgent(app, { id: 'boss', isStaff: true });
    const response = await gql(staff, '{ rejecting publicInfo }');
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ rejecting: null, publicInfo: 'public' });
    expect(codes(response.body)).toEqual(['VISITOR_REQUIRED']);
  });

  test('an async bypass that resolves true allows, false denies', async () => {
    const staff = await hostUserAgent(app, { id: 'boss', isStaff: true });
    expect((await gql(staff, '{ asyncStaff }')).body).toEqual({ data: { asyncStaff: 'async-staff' } });
    const fred = await hostUserAgent(app, { id: 'fred' });
    expect(codes((await gql(fred, '{ asyncStaff }')).body)).toEqual(['VISITOR_REQUIRED']);
  });

  test('a bypass runs at most once per request, even for 100 guarded objects', async () => {
    const staff = await hostUserAgent(app, { id: 'boss', isStaff: true });
    countedCalls = 0;
    const allowed = await gql(staff, '{ items { id name } }');
    expect(allowed.body.errors).toBeUndefined();
    expect(allowed.body.data.items).toHaveLength(100);
    expect(allowed.body.data.items[99]).toEqual({ id: 99, name: 'item 99' });
    expect(countedCalls).toBe(1);

    const denied = await gql(app.agent(), '{ items { id name } }');
    expect(codes(denied.body)).toHaveLength(200);
    expect(countedCalls).toBe(2);
  });
});
