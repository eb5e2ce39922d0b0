import type request from 'supertest';
import { dialects, type TestDatabase } from './support/databases';
import { gql, invite, openLink, type TestApp, openTestApp, closeTestApp } from './support/app';

const VISITOR_PASS = /* GraphQL */ `
  query Pass($id: ID!) { visitorPass(id: $id) { id email scope isActive isValid useCount expiresAt } }
`;
const REVOKE = /* GraphQL */ `
  mutation Revoke($id: ID!) { revokeVisitorPass(id: $id) { id isActive isValid } }
`;
const REISSUE = /* GraphQL */ `
  mutation Reissue($id: ID!, $expiresIn: Int) {
    reissueVisitorPass(id: $id, expiresIn: $expiresIn) { link token visitor { id isActive isValid useCount expiresAt } }
  }
`;
const VISITS = /* GraphQL */ `
  query Visits($id: ID!, $limit: Int) { visitorPass(id: $id) { visits(limit: $limit) { event reason } } }
`;

describe.each(dialects)('managing visitor passes on %s', (dialect) => {
  let db: TestDatabase;
  let app: TestApp;
  beforeAll(async () => ({ db, app } = await openTestApp(dialect)));
  afterAll(() => closeTestApp(app, db));

  async function loggedIn(id: string, isStaff = false): Promise<request.Agent> {
    const agent = app.agent();
    await agent.post('/login').send({ id, isStaff }).expect(200);
    return agent;
  }

  async function fredInvites(input: Record<string, unknown> = {}) {
    const fred = app.agent();
    const invitation = await invite(fred, input);
    return { fred, ...invitation };
  }

  describe('visitorPass(id)', () => {
    test('the inviter gets the pass', async () => {
      const { fred, visitor } = await fredInvites();
      const response = await gql(fred, VISITOR_PASS, { id: visitor.id });
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data.visitorPass).toMatchObject({ id: visitor.id, email: 'ginger@example.com', scope: 'REFERENCE_REQUEST' });
    });

    test('another user and an anonymous caller get null', async () => {
      const { visitor } = await fredInvites();
      for (const agent of [await loggedIn('bob'), app.agent()]) {
        const response = await gql(agent, VISITOR_PASS, { id: visitor.id });
        expect(response.body).toEqual({ data: { visitorPass: null } });
      }
    });

    test('a staff user passing the staff bypass gets the pass', async () => {
      const { visitor } = await fredInvites();
      const response = await gql(await loggedIn('sam', true), VISITOR_PASS, { id: visitor.id });
      expect(response.body.data.visitorPass.id).toBe(visitor.id);
    });

    test.each(['not-a-uuid', "1' OR '1'='1", '', '123', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'])(
      'a malformed id %p is null, never a 500 or an SQL error',
      async (id) => {
        const response = await gql(await loggedIn('sam', true), VISITOR_PASS, { id });
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ data: { visitorPass: null } });
      },
    );

    test('an unknown well-formed id is null', async () => {
      const response = await gql(await loggedIn('sam', true), VISITOR_PASS, { id: '00000000-0000-4000-8000-000000000000' });
      expect(response.body).toEqual({ data: { visitorPass: null } });
    });
  });

  describe('revokeVisitorPass', () => {
    test('another user and an anonymous caller get VISITOR_PASS_NOT_FOUND and the pass stays active', async () => {
      const { fred, visitor } = await fredInvites();
      for (const agent of [await loggedIn('bob'), app.agent()]) {
        const response = await gql(agent, REVOKE, { id: visitor.id });
        expect(response.body.errors[0].extensions.code).toBe('VISITOR_PASS_NOT_FOUND');
        expect(response.body.data).toBeNull();
      }
      expect((await gql(fred, VISITOR_PASS, { id: visitor.id })).body.data.visitorPass.isActive).toBe(true);
    });

    test('the inviter revokes: the pass is inactive and its link answers VISITOR_PASS_REVOKED', async () => {
      const { fred, visitor, link } = await fredInvites();
      const response = await gql(fred, REVOKE, { id: visitor.id });
      expect(response.body.data.revokeVisitorPass).toEqual({ id: visitor.id, isActive: false, isValid: false });
      const page = await openLink(app.agent(), link);
      expect(page.status).toBe(200);
      expect(page.body).toEqual({ visitor: null, error: 'VISITOR_PASS_REVOKED' });
    });

    test('a staff user passing the bypass may revoke', async () => {
      const { visitor } = await fredInvites();
      const response = await gql(await loggedIn('sam', true), REVOKE, { id: visitor.id });
      expect(response.body.data.revokeVisitorPass.isActive).toBe(false);
    });

    test('a malformed id gives VISITOR_PASS_NOT_FOUND, not a 500', async () => {
      const response = await gql(await loggedIn('sam', true), REVOKE, { id: 'nope' });
      expect(response.status).toBe(401);
      expect(response.body.errors[0].extensions.code).toBe('VISITOR_PASS_NOT_FOUND');
    });
  });

  describe('reissueVisitorPass', () => {
    test('another user and an anonymous caller get VISITOR_PASS_NOT_FOUND and the old link still works', async () => {
      const { visitor, link } = await fredInvites();
      for (const agent of [await loggedIn('bob'), app.agent()]) {
        const response = await gql(agent, REISSUE, { id: visitor.id });
        expect(response.body.errors[0].extensions.code).toBe('VISITOR_PASS_NOT_FOUND');
      }
      expect((await openLink(app.agent(), link)).status).toBe(303);
    });

    test('gives a new link and token, resets the uses, sets a new expiry; the old token is VISITOR_PASS_NOT_FOUND', async () => {
      const { fred, visitor, link, token } = await fredInvites({ maxUses: 1 });
      expect((await openLink(app.agent(), link)).status).toBe(303);
      await app.pass.models.Visitor.update({ expiresAt: new Date(Date.now() - 60_000) }, { where: { id: visitor.id } });
      expect((await gql(fred, VISITOR_PASS, { id: visitor.id })).body.data.visitorPass).toMatchObject({ useCount: 1, isValid: false });

      const started = Date.now();
      const response = await gql(fred, REISSUE, { id: visitor.id, expiresIn: 600 });
      expect(response.body.errors).toBeUndefined();
      const reissued = response.body.data.reissueVisitorPass;
      expect(reissued.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(reissued.token).not.toBe(token);
      expect(reissued.link).toBe(link.replace(token, reissued.token));
      expect(reissued.visitor).toMatchObject({ id: visitor.id, useCount: 0, isActive: true, isValid: true });
      const expiresAt = Date.parse(reissued.visitor.expiresAt);
      expect(expiresAt).toBeGreaterThanOrEqual(started + 600_000 - 1000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 600_000 + 1000);

      const old = await gql(app.agent(), 'mutation Redeem($token: String!) { redeemVisitorPass(token: $token) { id } }', { token });
      expect(old.body.errors[0].extensions.code).toBe('VISITOR_PASS_NOT_FOUND');
      expect((await openLink(app.agent(), link)).body.error).toBe('VISITOR_PASS_NOT_FOUND');

      const ginger = app.agent();
      expect((await openLink(ginger, reissued.link)).status).toBe(303);
      expect((await gql(ginger, '{ secret }')).body.data.secret).toBe('secret');
    });

    test('a staff user passing the bypass may reissue', async () => {
      const { visitor } = await fredInvites();
      const response = await gql(await loggedIn('sam', true), REISSUE, { id: visitor.id });
      expect(response.body.data.reissueVisitorPass.visitor.id).toBe(visitor.id);
    });
  });

  describe('Visitor.visits', () => {
    test('the inviter sees the events newest first, honouring limit', async () => {
      const { fred, visitor, link } = await fredInvites();
      await openLink(app.agent(), link).expect(303);
      await gql(fred, REISSUE, { id: visitor.id }).expect(200);
      await gql(fred, REVOKE, { id: visitor.id }).expect(200);

      const all = await gql(fred, VISITS, { id: visitor.id });
      expect(all.body.data.visitorPass.visits.map((log: { event: string }) => log.event)).toEqual(['REVOKED', 'REISSUED', 'REDEEMED']);
      const two = await gql(fred, VISITS, { id: visitor.id, limit: 2 });
      expect(two.body.data.visitorPass.visits.map((log: { event: string }) => log.event)).toEqual(['REVOKED', 'REISSUED']);
    });

    test('the visitor herself gets INVITE_FORBIDDEN on her visits', async () => {
      const { link } = await fredInvites();
      const ginger = app.agent();
      await openLink(ginger, link).expect(303);
      const response = await gql(ginger, '{ currentVisitor { id visits { event } } }');
      expect(response.body.data).toEqual({ currentVisitor: null });
      expect(response.body.errors[0].extensions.code).toBe('INVITE_FORBIDDEN');
      expect(response.body.errors[0].path).toEqual(['currentVisitor', 'visits']);
    });
  });

  describe('currentVisitor', () => {
    test('is null for an anonymous caller and for a logged-in user', async () => {
      expect((await gql(app.agent(), '{ currentVisitor { id } }')).body).toEqual({ data: { currentVisitor: null } });
      expect((await gql(await loggedIn('bob'), '{ currentVisitor { id } }')).body).toEqual({ data: { currentVisitor: null } });
    });

    test("is the visitor's pass for a visitor", async () => {
      const { visitor, link } = await fredInvites();
      const ginger = app.agent();
      await openLink(ginger, link).expect(303);
      const response = await gql(ginger, '{ currentVisitor { id fullName scope useCount } }');
      expect(response.body.data.currentVisitor).toEqual({ id: visitor.id, fullName: 'Ginger Rogers', scope: 'REFERENCE_REQUEST', useCount: 1 });
    });
  });
});
