import { dialects, type TestDatabase } from './support/databases';
import { gql, invite, openLink, type TestApp, openTestApp, closeTestApp } from './support/app';

const END = 'mutation End($deactivate: Boolean) { endVisitorSession(deactivate: $deactivate) }';

describe.each(dialects)('endVisitorSession on %s', (dialect) => {
  let db: TestDatabase;
  let app: TestApp;
  beforeAll(async () => ({ db, app } = await openTestApp(dialect)));
  afterAll(() => closeTestApp(app, db));

  async function gingerIn(input: Record<string, unknown> = {}) {
    const fred = app.agent();
    const invitation = await invite(fred, input);
    const ginger = app.agent();
    await openLink(ginger, invitation.link).expect(303);
    expect((await gql(ginger, '{ secret }')).body.data.secret).toBe('secret');
    return { fred, ginger, ...invitation };
  }

  test('ends the session: true, then the visitor is gone on the next request', async () => {
    const { ginger } = await gingerIn();
    const ended = await gql(ginger, END);
    expect(ended.body).toEqual({ data: { endVisitorSession: true } });
    const after = await gql(ginger, '{ secret currentVisitor { id } }');
    expect(after.body.data).toEqual({ secret: null, currentVisitor: null });
    expect(after.body.errors[0].extensions.code).toBe('VISITOR_REQUIRED');
  });

  test('leaves the pass valid, so its link can be redeemed again while uses are left', async () => {
    const { fred, ginger, visitor, link } = await gingerIn({ maxUses: 2 });
    await gql(ginger, END).expect(200);
    const pass = await gql(fred, 'query Pass($id: ID!) { visitorPass(id: $id) { isActive isValid useCount } }', { id: visitor.id });
    expect(pass.body.data.visitorPass).toEqual({ isActive: true, isValid: true, useCount: 1 });
    await openLink(ginger, link).expect(303);
    expect((await gql(ginger, '{ secret }')).body.data.secret).toBe('secret');
  });

  test('with deactivate: true the pass is inactive and its link answers VISITOR_PASS_REVOKED', async () => {
    const { fred, ginger, visitor, link } = await gingerIn();
    expect((await gql(ginger, END, { deactivate: true })).body).toEqual({ data: { endVisitorSession: true } });
    const pass = await gql(fred, 'query Pass($id: ID!) { visitorPass(id: $id) { isActive isValid } }', { id: visitor.id });
    expect(pass.body.data.visitorPass).toEqual({ isActive: false, isValid: false });
    const page = await openLink(ginger, link);
    expect(page.body).toEqual({ visitor: null, error: 'VISITOR_PASS_REVOKED' });
    expect((await gql(ginger, '{ secret }')).body.errors[0].extensions.code).toBe('VISITOR_REQUIRED');
  });

  test('keeps the host session data of the browser', async () => {
    const fred = app.agent();
    const { link } = await invite(fred, {});
    const ginger = app.agent();
    await ginger.post('/session-data').send({ cart: ['tea'] }).expect(200);
    await openLink(ginger, link).expect(303);
    await gql(ginger, END).expect(200);
    expect((await ginger.get('/session-data')).body.cart).toEqual(['tea']);
  });

  test('is false for an anonymous caller and for a logged-in user', async () => {
    expect((await gql(app.agent(), END)).body).toEqual({ data: { endVisitorSession: false } });
    const fred = app.agent();
    await fred.post('/login').send({ id: 'fred' }).expect(200);
    expect((await gql(fred, END, { deactivate: true })).body).toEqual({ data: { endVisitorSession: false } });
  });
});
