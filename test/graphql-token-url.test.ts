import { dialects, type TestDatabase } from './support/databases';
import { gql, invite, type TestApp, openTestApp, closeTestApp, unknownToken, passRow } from './support/app';

const WHO = '{ whoami currentVisitor { fullName } }';


describe.each(dialects)('a GraphQL request whose URL carries a token (%s)', (dialect) => {
  let db: TestDatabase;
  let app: TestApp;
  beforeAll(async () => ({ db, app } = await openTestApp(dialect)));
  afterAll(() => closeTestApp(app, db));

  const useCountOf = async (id: string) => (await passRow(app, id)).useCount;

  test('a valid token is redeemed and the operation already sees the visitor', async () => {
    const invitation = await invite(app.agent(), {});
    const ginger = app.agent();

    const first = await gql(ginger, WHO, undefined, `/graphql?vuid=${invitation.token}`);
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual({ whoami: 'visitor:Ginger Rogers', currentVisitor: { fullName: 'Ginger Rogers' } });
    expect(await useCountOf(invitation.visitor.id)).toBe(1);

    // Stashed in the session: later requests need no token and count no use.
    const later = await gql(ginger, WHO);
    expect(later.body.data.whoami).toBe('visitor:Ginger Rogers');
    expect(await useCountOf(invitation.visitor.id)).toBe(1);
  });

  test.each([
    ['of the wrong shape', () => 'not-a-token'],
    ['too long', () => unknownToken() + 'A'],
    ['with broken percent-encoding', () => '%E0%A4%A'],
    ['empty', () => ''],
  ])('a token %s → 400 VISITOR_TOKEN_MALFORMED', async (_name, token) => {
    const response = await gql(app.agent(), WHO, undefined, `/graphql?vuid=${token()}`);
    expect(response.status).toBe(400);
    expect(response.body.errors.map((error: any) => error.extensions.code)).toEqual(['VISITOR_TOKEN_MALFORMED']);
    expect(response.body.data).toBeUndefined();
  });

  test('a repeated vuid parameter → 400 VISITOR_TOKEN_MALFORMED and no use counted', async () => {
    const invitation = await invite(app.agent(), {});
    const response = await gql(app.agent(), WHO, undefined, `/graphql?vuid=${invitation.token}&vuid=${invitation.token}`);
    expect(response.status).toBe(400);
    expect(response.body.errors[0].extensions.code).toBe('VISITOR_TOKEN_MALFORMED');
    expect(await useCountOf(invitation.visitor.id)).toBe(0);
  });

  test('a well-formed unknown token → 401 VISITOR_PASS_NOT_FOUND', async () => {
    const response = await gql(app.agent(), WHO, undefined, `/graphql?vuid=${unknownToken()}`);
    expect(response.status).toBe(401);
    expect(response.body.errors[0].extensions.code).toBe('VISITOR_PASS_NOT_FOUND');
    expect(JSON.stringify(response.body)).not.toMatch(/stack|SELECT|sequelize/i);
  });
});
