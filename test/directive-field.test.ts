import type { TestDatabase } from './support/databases';
import { gql, invite, openLink, type TestApp, openTestApp, closeTestApp } from './support/app';
import { hostUserAgent, visitorAgent } from './support/visitor-agent';

let db: TestDatabase;
let app: TestApp;
beforeAll(async () => ({ db, app } = await openTestApp('sqlite')));
afterAll(() => closeTestApp(app, db));

describe('@visitor on a field', () => {
  test('an anonymous caller gets null and VISITOR_REQUIRED, with a path, in a 200 partial result', async () => {
    const response = await gql(app.agent(), '{ secret publicInfo }');
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ secret: null, publicInfo: 'public' });
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors[0].extensions.code).toBe('VISITOR_REQUIRED');
    expect(response.body.errors[0].path).toEqual(['secret']);
  });

  test('a visitor with another scope gets VISITOR_SCOPE_DENIED; the message holds no token or stack', async () => {
    const invitation = await invite(app.agent(), { scope: 'OTHER' });
    const visitor = app.agent();
    expect((await openLink(visitor, invitation.link)).status).toBe(303);
    const response = await gql(visitor, '{ secret publicInfo }');
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ secret: null, publicInfo: 'public' });
    const [error] = response.body.errors;
    expect(error.extensions.code).toBe('VISITOR_SCOPE_DENIED');
    expect(error.path).toEqual(['secret']);
    const body = JSON.stringify(response.body);
    expect(body).not.toContain(invitation.token);
    expect(body).not.toMatch(/stacktrace|\bat .+\.(ts|js):\d+/);
    expect(error.message).toBe('Your visitor pass does not cover this field.');
  });

  test('a visitor with the right scope gets the value', async () => {
    const visitor = await visitorAgent(app, 'REFERENCE_REQUEST');
    const response = await gql(visitor, '{ secret publicInfo }');
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data).toEqual({ secret: 'secret', publicInfo: 'public' });
  });

  test('scope "*" admits a visitor of any scope', async () => {
    const visitor = await visitorAgent(app, 'OTHER');
    const response = await gql(visitor, '{ anyVisitor secret }');
    expect(response.body.data).toEqual({ anyVisitor: 'any', secret: null });
    expect(response.body.errors.map((error: any) => error.path)).toEqual([['secret']]);
  });

  test('scope "*" does not admit an anonymous caller', async () => {
    const response = await gql(app.agent(), '{ anyVisitor }');
    expect(response.body.data).toEqual({ anyVisitor: null });
    expect(response.body.errors[0].extensions.code).toBe('VISITOR_REQUIRED');
  });

  test('a logged-in host user without a visitor pass is denied, staff too when the field names no bypass', async () => {
    for (const user of [{ id: 'fred' }, { id: 'boss', isStaff: true }]) {
      const agent = await hostUserAgent(app, user);
      const response = await gql(agent, '{ whoami secret anyVisitor }');
      expect(response.status).toBe(200);
      expect(response.body.data).toEqual({ whoami: `user:${user.id}`, secret: null, anyVisitor: null });
      expect(response.body.errors.map((error: any) => error.extensions.code)).toEqual(['VISITOR_REQUIRED', 'VISITOR_REQUIRED']);
    }
  });
});
