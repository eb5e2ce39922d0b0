import { makeExecutableSchema } from '@graphql-tools/schema';
import { isObjectType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import type { VisitorPass } from '../src';
import { createTestDatabase, type TestDatabase } from './support/databases';
import { hostResolvers, hostTypeDefs, testPass } from './support/app';

let db: TestDatabase;
let pass: VisitorPass;
let host: ReturnType<typeof hostResolvers>;
let original: GraphQLSchema;
let transformed: GraphQLSchema;
/** `Type.field` → resolve of the original schema, read before the transform ran. */
let resolversBefore: Map<string, unknown>;
beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  pass = testPass(db, { bypass: { staff: () => false } });
  host = hostResolvers({ touches: 0, drafts: [] });
  original = makeExecutableSchema({ typeDefs: [pass.typeDefs, hostTypeDefs], resolvers: [pass.resolvers as Record<string, any>, host] });
  resolversBefore = new Map(objectFields(original).map(({ type, field }) => [`${type}.${field}`, fieldOf(original, type, field).resolve]));
  transformed = pass.transform(original);
});
afterAll(async () => {
  await db.drop();
});

/** Every `Type.field` of the host and visitor-pass object types. */
function objectFields(schema: GraphQLSchema) {
  return Object.values(schema.getTypeMap())
    .filter((type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith('__'))
    .flatMap((type) => Object.keys(type.getFields()).map((field) => ({ type: type.name, field })));
}

function fieldOf(schema: GraphQLSchema, type: string, field: string) {
  return (schema.getType(type) as GraphQLObjectType).getFields()[field];
}

/** Fields governed by @visitor in the test app's host schema, and their rule. */
const guarded: Record<string, { scope: string; bypass: string | null }> = {
  'Query.secret': { scope: 'REFERENCE_REQUEST', bypass: null },
  'Query.anyVisitor': { scope: '*', bypass: null },
  'Query.staffOrVisitor': { scope: 'REFERENCE_REQUEST', bypass: 'staff' },
  'Document.title': { scope: 'DOCS', bypass: null },
  'Document.summary': { scope: '*', bypass: null },
  'Circle.name': { scope: 'SHAPES', bypass: null },
  'Mutation.saveDraft': { scope: 'REFERENCE_REQUEST', bypass: null },
  'Subscription.ticks': { scope: 'REFERENCE_REQUEST', bypass: null },
};

describe('pass.transform leaves unguarded resolvers alone', () => {
  test('every field without a rule keeps the very same resolve and subscribe functions (undefined stays undefined)', () => {
    const unguarded = objectFields(original).filter(({ type, field }) => !guarded[`${type}.${field}`]);
    expect(unguarded.length).toBeGreaterThan(40);
    for (const { type, field } of unguarded) {
      const before = fieldOf(original, type, field);
      const after = fieldOf(transformed, type, field);
      expect({ at: `${type}.${field}`, same: after.resolve === before.resolve && after.subscribe === before.subscribe }).toEqual({
        at: `${type}.${field}`,
        same: true,
      });
      expect(after.extensions.visitorPassRules).toBeUndefined();
    }
  });

  test('default-resolved fields stay default-resolved (no resolve at all)', () => {
    expect(fieldOf(original, 'Circle', 'radius').resolve).toBeUndefined();
    expect(fieldOf(transformed, 'Circle', 'radius').resolve).toBeUndefined();
    expect(fieldOf(transformed, 'Document', 'title').resolve).toBeDefined();
  });

  test('guarded fields are wrapped and carry their rules in extensions.visitorPassRules', () => {
    for (const [at, rule] of Object.entries(guarded)) {
      const [type, field] = at.split('.');
      const before = fieldOf(original, type, field);
      const after = fieldOf(transformed, type, field);
      expect({ at, rules: after.extensions.visitorPassRules }).toEqual({ at, rules: { visitor: rule, allowGuest: false, registeredUser: false } });
      if (type === 'Subscription') expect(after.subscribe).not.toBe(before.subscribe);
      else expect(typeof after.resolve === 'function' && after.resolve !== before.resolve).toBe(true);
    }
  });

  test('the original schema is left as it was', () => {
    for (const [at, resolve] of resolversBefore) {
      const [type, field] = at.split('.');
      expect(fieldOf(original, type, field).resolve === resolve).toBe(true);
    }
    expect(fieldOf(original, 'Query', 'secret').extensions.visitorPassRules).toBeUndefined();
  });
});
