import type request from 'supertest';
import { dialects, type TestDatabase } from './support/databases';
import { gql, invite, type TestApp, openTestApp, closeTestApp, unknownToken, passRow } from './support/app';

/** What one attempt to redeem a token gave. */
interface Outcome {
  /** The visitor the session holds afterwards. */
  visitor: string | null;
  code: string | null;
  status: number;
}

const REDEEM = /* GraphQL */ `
  mutation Redeem($token: String!) {
    redeemVisitorPass(token: $token) { fullName useCount }
  }
`;

/** The two ways in: opening the link, and the redeemVisitorPass mutation. */
const redeemers: Array<[string, (agent: request.Agent, token: string) => Promise<Outcome>]> = [
  [
    'the link',
    async (agent, token) => {
      const opened = await agent.get(`/reference?vuid=${token}`);
      if (opened.status !== 303) return { visitor: opened.body.visitor, code: opened.body.error, status: opened.status };
      const page = await agent.get(opened.headers.location);
      return { visitor: page.body.visitor, code: page.body.error, status: opened.status };
    },
  ],
  [
    'redeemVisitorPass',
    async (agent, token) => {
      const response = await gql(agent, REDEEM, { token });
      const who = await gql(agent, '{ currentVisitor { fullName } }');
      return {
        visitor: who.body.data.currentVisitor?.fullName ?? null,
        code: response.body.errors?.[0]?.extensions?.code ?? null,
        status: response.status,
      };
    },
  ],
];

/** HTTP status of a refusal: the link goes on to the page (200); GraphQL answers with the §5 status. */
const refusalStatus = (via: string, status: number) => (via === 'the link' ? 200 : status);


describe.each(dialects)('redemption (%s)', (dialect) => {
  let db: TestDatabase;
  let app: TestApp;
  beforeAll(async () => ({ db, app } = await openTestApp(dialect)));
  afterAll(() => closeTestApp(app, db));

  const logsOf = async (id: string, event: string) =>
    app.pass.models.VisitorLog.findAll({ where: { visitorId: id, event }, order: [['id', 'ASC']] });

  test('an invitation token is 256 URL-safe bits and appears verbatim in the link', async () => {
    const invitation = await invite(app.agent(), {});
    expect(invitation.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new URL(invitation.link).searchParams.get('vuid')).toBe(invitation.token);
    expect(invitation.link.endsWith(`vuid=${invitation.token}`)).toBe(true);
  });

  describe.each(redeemers)('via %s', (via, redeem) => {
    test('a valid token makes the caller a visitor, counts one use and logs REDEEMED', async () => {
      const invitation = await invite(app.agent(), {});
      const outcome = await redeem(app.agent(), invitation.token);
      expect(outcome).toMatchObject({ visitor: 'Ginger Rogers', code: null });
      expect((await passRow(app, invitation.visitor.id)).useCount).toBe(1);
      expect(await logsOf(invitation.visitor.id, 'REDEEMED')).toHaveLength(1);
    });

    test('each redemption counts a use', async () => {
      const invitation = await invite(app.agent(), {});
      for (let i = 0; i < 3; i++) expect((await redeem(app.agent(), invitation.token)).visitor).toBe('Ginger Rogers');
      expect((await passRow(app, invitation.visitor.id)).useCount).toBe(3);
    });

    test.each([
      ['of the wrong shape', 'not.a+token'],
      ['too long', unknownToken() + 'A'],
      ['too short', unknownToken().slice(1)],
    ])('a token %s → VISITOR_TOKEN_MALFORMED (400)', async (_name, token) => {
      const outcome = await redeem(app.agent(), token);
      expect(outcome).toEqual({ visitor: null, code: 'VISITOR_TOKEN_MALFORMED', status: refusalStatus(via, 400) });
    });

    test('a well-formed token of no pass → VISITOR_PASS_NOT_FOUND (401), and no log row', async () => {
      const rowsBefore = await app.pass.models.VisitorLog.count();
      const outcome = await redeem(app.agent(), unknownToken());
      expect(outcome).toEqual({ visitor: null, code: 'VISITOR_PASS_NOT_FOUND', status: refusalStatus(via, 401) });
      expect(await app.pass.models.VisitorLog.count()).toBe(rowsBefore);
    });

    test('a link past expiresAt → VISITOR_PASS_EXPIRED (401), DENIED logged with the reason', async () => {
      const invitation = await invite(app.agent(), {});
      await app.pass.models.Visitor.update({ expiresAt: new Date(Date.now() - 1000) }, { where: { id: invitation.visitor.id } });
      const outcome = await redeem(app.agent(), invitation.token);
      expect(outcome).toEqual({ visitor: null, code: 'VISITOR_PASS_EXPIRED', status: refusalStatus(via, 401) });
      expect((await passRow(app, invitation.visitor.id)).useCount).toBe(0);
      expect((await logsOf(invitation.visitor.id, 'DENIED')).map((row) => row.reason)).toEqual(['VISITOR_PASS_EXPIRED']);
    });

    test('a revoked pass → VISITOR_PASS_REVOKED (401), DENIED logged with the reason', async () => {
      const fred = app.agent();
      const invitation = await invite(fred, {});
      const revoked = await gql(fred, 'mutation($id: ID!) { revokeVisitorPass(id: $id) { isActive } }', { id: invitation.visitor.id });
      expect(revoked.body.data.revokeVisitorPass.isActive).toBe(false);
      const outcome = await redeem(app.agent(), invitation.token);
      expect(outcome).toEqual({ visitor: null, code: 'VISITOR_PASS_REVOKED', status: refusalStatus(via, 401) });
      expect((await passRow(app, invitation.visitor.id)).useCount).toBe(0);
      expect((await logsOf(invitation.visitor.id, 'DENIED')).map((row) => row.reason)).toEqual(['VISITOR_PASS_REVOKED']);
    });

    test('a pass whose maxUses are reached → VISITOR_PASS_USED_UP (403), DENIED logged with the reason', async () => {
      const invitation = await invite(app.agent(), { maxUses: 2 });
      expect((await redeem(app.agent(), invitation.token)).code).toBeNull();
      expect((await redeem(app.agent(), invitation.token)).code).toBeNull();
      const outcome = await redeem(app.agent(), invitation.token);
      expect(outcome).toEqual({ visitor: null, code: 'VISITOR_PASS_USED_UP', status: refusalStatus(via, 403) });
      expect((await passRow(app, invitation.visitor.id)).useCount).toBe(2);
      expect((await logsOf(invitation.visitor.id, 'DENIED')).map((row) => row.reason)).toEqual(['VISITOR_PASS_USED_UP']);
    });

    test('a refused token leaves the visitor already in the session as they were', async () => {
      const first = await invite(app.agent(), {});
      const ginger = app.agent();
      expect((await redeem(ginger, first.token)).visitor).toBe('Ginger Rogers');
      const outcome = await redeem(ginger, unknownToken());
      expect(outcome).toMatchObject({ visitor: 'Ginger Rogers', code: 'VISITOR_PASS_NOT_FOUND' });
    });
  });

  test('a repeated vuid parameter on the link → VISITOR_TOKEN_MALFORMED, no use counted', async () => {
    const invitation = await invite(app.agent(), {});
    const opened = await app.agent().get(`/reference?vuid=${invitation.token}&vuid=${invitation.token}`);
    expect(opened.status).toBe(200);
    expect(opened.body).toEqual({ visitor: null, error: 'VISITOR_TOKEN_MALFORMED' });
    expect((await passRow(app, invitation.visitor.id)).useCount).toBe(0);
  });
});
