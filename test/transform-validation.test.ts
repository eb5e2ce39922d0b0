import { makeExecutableSchema } from '@graphql-tools/schema';
import { createVisitorPass, type VisitorPass } from '../src';
import { createTestDatabase, type TestDatabase } from './support/databases';
import { LINK_BASE_URL, testPass } from './support/app';

let db: TestDatabase;
let pass: VisitorPass;
beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  pass = createVisitorPass({
    sequelize: db.sequelize,
    linkBaseUrl: LINK_BASE_URL,
    bypass: { staff: () => true, auditor: () => true },
  });
});
afterAll(async () => {
  await db.drop();
});

/** Builds the host SDL beside the visitor-pass SDL and runs pass.transform on it. */
function transformHost(sdl: string) {
  return () => pass.transform(makeExecutableSchema({ typeDefs: [pass.typeDefs, sdl] }));
}

describe('pass.transform refuses bad uses of @visitor at start-up', () => {
  test.each([
    ['an empty scope', '""'],
    ['a blank scope', '"  "'],
  ])('%s on a field, naming the field', (_what, scope) => {
    const transform = transformHost(`type Query { ok: String  secret: String @visitor(scope: ${scope}) }`);
    expect(transform).toThrow(/@visitor on Query\.secret needs a non-empty scope/);
  });

  test('an empty scope on an object type names the type', () => {
    expect(transformHost('type Query { document: Document } type Document @visitor(scope: "") { title: String }')).toThrow(/@visitor on Document needs a non-empty scope/);
  });

  test('a missing scope is refused when the schema is built', () => {
    expect(transformHost('type Query { secret: String @visitor }')).toThrow(/scope/);
  });

  test('an unknown bypass names it and lists the registered ones', () => {
    const transform = transformHost('type Query { secret: String @visitor(scope: "REFERENCE_REQUEST", bypass: "wizard") }');
    expect(transform).toThrow(/Query\.secret.*"wizard".*registered: "staff", "auditor"/);
  });

  test('an unknown bypass with no bypass registered says none are', () => {
    const bare = testPass(db);
    const schema = makeExecutableSchema({ typeDefs: [bare.typeDefs, 'type Query { secret: String @visitor(scope: "X", bypass: "staff") }'] });
    expect(() => bare.transform(schema)).toThrow(/"staff".*registered: none/);
  });

  test('a bad use on an interface nothing implements still fails', () => {
    expect(transformHost('type Query { ok: String } interface Orphan @visitor(scope: " ") { name: String }')).toThrow(/@visitor on Orphan needs a non-empty scope/);
    expect(transformHost('type Query { ok: String } interface Orphan { name: String @visitor(scope: "X", bypass: "ghost") }')).toThrow(
      /Orphan\.name.*"ghost"/,
    );
  });

  test('a bad use on an object type no query reaches still fails', () => {
    expect(transformHost('type Query { ok: String } type Unused { name: String @visitor(scope: "") }')).toThrow(/Unused\.name/);
  });

  test('good uses transform without complaint', () => {
    const sdl = `
      type Query { secret: String @visitor(scope: "REFERENCE_REQUEST", bypass: "auditor") shapes: [Shape] }
      interface Shape @visitor(scope: "*") { name: String }
      type Circle implements Shape @visitor(scope: "SHAPES", bypass: "staff") { name: String }
    `;
    expect(transformHost(sdl)).not.toThrow();
  });
});
