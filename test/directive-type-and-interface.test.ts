import { createTestDatabase, type TestDatabase } from './support/databases';
import { gql, startTestApp, type TestApp } from './support/app';
import { visitorAgent } from './support/visitor-agent';

const typeDefs = /* GraphQL */ `
  type Query {
    document: Document
    shapes: [Shape!]!
    pets: [Pet!]!
  }
  type Document @visitor(scope: "DOCS") {
    title: String
    summary: String @visitor(scope: "*")
    auditTrail: String @visitor(scope: "AUDIT")
  }
  interface Shape @visitor(scope: "SHAPES") {
    name: String
  }
  type Circle implements Shape {
    name: String
    radius: Int
  }
  type Square implements Shape {
    name: String @visitor(scope: "*")
    side: Int
  }
  interface Pet {
    name: String
    vetNotes: String @visitor(scope: "VET")
  }
  type Dog implements Pet {
    name: String
    vetNotes: String
  }
  type Cat implements Pet {
    name: String
    vetNotes: String @visitor(scope: "*")
  }
`;

const resolvers = {
  Query: {
    document: () => ({ title: 'Terms', summary: 'short', auditTrail: 'log' }),
    shapes: () => [
      { __typename: 'Circle', name: 'c1', radius: 2 },
      { __typename: 'Square', name: 's1', side: 3 },
    ],
    pets: () => [
      { __typename: 'Dog', name: 'Rex', vetNotes: 'dog notes' },
      { __typename: 'Cat', name: 'Tom', vetNotes: 'cat notes' },
    ],
  },
};

let db: TestDatabase;
let app: TestApp;
beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  app = await startTestApp({ database: db, typeDefs, resolvers });
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

/** `{ path: code }` for every error of a response. */
function deniedPaths(body: { errors?: Array<{ path: Array<string | number>; extensions: { code: string } }> }) {
  return Object.fromEntries((body.errors ?? []).map((error) => [error.path.join('.'), error.extensions.code]));
}

describe('@visitor on an object type', () => {
  const query = '{ document { title summary auditTrail } }';

  test('covers every field of the type', async () => {
    const visitor = await visitorAgent(app, 'DOCS');
    const response = await gql(visitor, query);
    expect(response.body.data.document).toEqual({ title: 'Terms', summary: 'short', auditTrail: null });
    expect(deniedPaths(response.body)).toEqual({ 'document.auditTrail': 'VISITOR_SCOPE_DENIED' });
  });

  test('a looser field directive ("*") overrides the type’s for another scope, not for anonymous callers', async () => {
    const visitor = await visitorAgent(app, 'OTHER');
    const response = await gql(visitor, query);
    expect(response.body.data.document).toEqual({ title: null, summary: 'short', auditTrail: null });
    expect(deniedPaths(response.body)).toEqual({ 'document.title': 'VISITOR_SCOPE_DENIED', 'document.auditTrail': 'VISITOR_SCOPE_DENIED' });

    const anonymous = await gql(app.agent(), query);
    expect(anonymous.body.data.document).toEqual({ title: null, summary: null, auditTrail: null });
    expect(Object.values(deniedPaths(anonymous.body))).toEqual(['VISITOR_REQUIRED', 'VISITOR_REQUIRED', 'VISITOR_REQUIRED']);
  });

  test('a stricter field directive overrides the type’s', async () => {
    const visitor = await visitorAgent(app, 'AUDIT');
    const response = await gql(visitor, query);
    expect(response.body.data.document).toEqual({ title: null, summary: 'short', auditTrail: 'log' });
    expect(deniedPaths(response.body)).toEqual({ 'document.title': 'VISITOR_SCOPE_DENIED' });
  });
});

describe('@visitor on an interface', () => {
  const shapes = '{ shapes { name ... on Circle { radius } ... on Square { side } } }';
  const pets = '{ pets { name vetNotes } }';

  test('an interface directive covers its declared fields on every implementing type', async () => {
    const visitor = await visitorAgent(app, 'SHAPES');
    const response = await gql(visitor, shapes);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.shapes).toEqual([{ name: 'c1', radius: 2 }, { name: 's1', side: 3 }]);

    const anonymous = await gql(app.agent(), shapes);
    expect(anonymous.body.data.shapes).toEqual([{ name: null, radius: 2 }, { name: null, side: 3 }]);
    expect(deniedPaths(anonymous.body)).toEqual({ 'shapes.0.name': 'VISITOR_REQUIRED', 'shapes.1.name': 'VISITOR_REQUIRED' });
  });

  test('a field’s own directive beats the interface type’s', async () => {
    const visitor = await visitorAgent(app, 'OTHER');
    const response = await gql(visitor, shapes);
    expect(response.body.data.shapes).toEqual([{ name: null, radius: 2 }, { name: 's1', side: 3 }]);
    expect(deniedPaths(response.body)).toEqual({ 'shapes.0.name': 'VISITOR_SCOPE_DENIED' });
  });

  test('a directive on an interface field covers that field on implementers', async () => {
    const vet = await visitorAgent(app, 'VET');
    const allowed = await gql(vet, pets);
    expect(allowed.body.errors).toBeUndefined();
    expect(allowed.body.data.pets).toEqual([{ name: 'Rex', vetNotes: 'dog notes' }, { name: 'Tom', vetNotes: 'cat notes' }]);

    const anonymous = await gql(app.agent(), pets);
    expect(anonymous.body.data.pets).toEqual([{ name: 'Rex', vetNotes: null }, { name: 'Tom', vetNotes: null }]);
    expect(deniedPaths(anonymous.body)).toEqual({ 'pets.0.vetNotes': 'VISITOR_REQUIRED', 'pets.1.vetNotes': 'VISITOR_REQUIRED' });
  });

  test('a field’s own directive beats the interface field’s', async () => {
    const visitor = await visitorAgent(app, 'OTHER');
    const response = await gql(visitor, pets);
    expect(response.body.data.pets).toEqual([{ name: 'Rex', vetNotes: null }, { name: 'Tom', vetNotes: 'cat notes' }]);
    expect(deniedPaths(response.body)).toEqual({ 'pets.0.vetNotes': 'VISITOR_SCOPE_DENIED' });
  });
});
