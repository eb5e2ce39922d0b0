import { makeExecutableSchema } from '@graphql-tools/schema';
import { parse, subscribe, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { createTestDatabase, type TestDatabase } from './support/databases';
import { hostResolvers, hostTypeDefs, startTestApp, type TestApp } from './support/app';
import { visitorAgent } from './support/visitor-agent';

const TICKS = parse('subscription { ticks }');

let db: TestDatabase;
let app: TestApp;
let schema: GraphQLSchema;
beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  app = await startTestApp({ database: db });
  schema = app.pass.transform(
    makeExecutableSchema({
      typeDefs: [app.pass.typeDefs, hostTypeDefs],
      resolvers: [app.pass.resolvers as Record<string, any>, hostResolvers({ touches: 0, drafts: [] })],
    }),
  );
  // Subscribing from a real request: the context comes from pass.context on that request's session.
  app.app.post('/subscribe-ticks', async (req, res) => {
    res.json(await subscribeTicks(await app.pass.context({ req, res })));
  });
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

/** The events of `subscription { ticks }`, or the result that refused it. */
async function subscribeTicks(contextValue: unknown): Promise<{ events: ExecutionResult[] } | { refused: ExecutionResult }> {
  const result = await subscribe({ schema, document: TICKS, contextValue });
  if (!(Symbol.asyncIterator in result)) return { refused: JSON.parse(JSON.stringify(result)) };
  const events: ExecutionResult[] = [];
  for await (const event of result) events.push(event);
  return { events };
}

async function visitorRow(scope: string) {
  const { visitor } = await app.pass.invite({ user: { id: 'fred' } }, { email: 'ginger@example.com', scope });
  return visitor;
}

function refusalCode(outcome: Awaited<ReturnType<typeof subscribeTicks>>) {
  if (!('refused' in outcome)) throw new Error(`expected a refusal, got ${JSON.stringify(outcome)}`);
  expect(outcome.refused.data).toBeUndefined();
  expect(outcome.refused.errors).toHaveLength(1);
  return outcome.refused.errors![0].extensions?.code;
}

describe('@visitor on a Subscription field is checked on subscribe', () => {
  test('a visitor with the right scope gets the events', async () => {
    const visitor = await visitorRow('REFERENCE_REQUEST');
    expect(await subscribeTicks({ visitor, isVisitor: true })).toEqual({ events: [{ data: { ticks: 1 } }] });
  });

  test('no visitor is refused with VISITOR_REQUIRED, also without any pass.context state (fail closed)', async () => {
    expect(refusalCode(await subscribeTicks({ visitor: null, isVisitor: false }))).toBe('VISITOR_REQUIRED');
    expect(refusalCode(await subscribeTicks({}))).toBe('VISITOR_REQUIRED');
    expect(refusalCode(await subscribeTicks(undefined))).toBe('VISITOR_REQUIRED');
  });

  test('a visitor with another scope is refused with VISITOR_SCOPE_DENIED', async () => {
    const visitor = await visitorRow('OTHER');
    expect(refusalCode(await subscribeTicks({ visitor, isVisitor: true }))).toBe('VISITOR_SCOPE_DENIED');
  });

  test('with the context pass.context builds from a real request and its session', async () => {
    const visitor = await visitorAgent(app, 'REFERENCE_REQUEST');
    expect((await visitor.post('/subscribe-ticks')).body).toEqual({ events: [{ data: { ticks: 1 } }] });

    const anonymous = await app.agent().post('/subscribe-ticks');
    expect(refusalCode(anonymous.body)).toBe('VISITOR_REQUIRED');

    const otherScope = await visitorAgent(app, 'OTHER');
    expect(refusalCode((await otherScope.post('/subscribe-ticks')).body)).toBe('VISITOR_SCOPE_DENIED');
  });
});
