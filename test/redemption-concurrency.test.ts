import type request from 'supertest';
import { dialects, type TestDatabase } from './support/databases';
import { gql, invite, type TestApp, openTestApp, closeTestApp } from './support/app';

const PARALLEL = 20;

/** One redemption attempt by one browser; resolves to null on success or the refusal code. */
const redeemers: Array<[string, (agent: request.Agent, token: string) => Promise<string | null>]> = [
  [
    'links',
    async (agent, token) => {
      const opened = await agent.get(`/reference?vuid=${token}`);
      return opened.status === 303 ? null : opened.body.error;
    },
  ],
  [
    'redeemVisitorPass mutations',
    async (agent, token) => {
      const response = await gql(agent, 'mutation($token: String!) { redeemVisitorPass(token: $token) { id } }', { token });
      return response.body.errors?.[0]?.extensions?.code ?? null;
    },
  ],
];

describe.each(dialects)('maxUses under concurrency (%s)', (dialect) => {
  let db: TestDatabase;
  let app: TestApp;
  beforeAll(async () => ({ db, app } = await openTestApp(dialect)));
  afterAll(() => closeTestApp(app, db));

  describe.each(redeemers)('%s', (_via, redeem) => {
    test.each([1, 3])(`${PARALLEL} parallel redemptions of a %i-use pass give exactly that many successes`, async (maxUses) => {
      const invitation = await invite(app.agent(), { maxUses });
      const browsers = Array.from({ length: PARALLEL }, () => app.agent());

      const outcomes = await Promise.all(browsers.map((browser) => redeem(browser, invitation.token)));

      expect(outcomes.filter((code) => code === null)).toHaveLength(maxUses);
      expect(outcomes.filter((code) => code === 'VISITOR_PASS_USED_UP')).toHaveLength(PARALLEL - maxUses);
      const { VisitorLog, Visitor } = app.pass.models;
      expect((await Visitor.findByPk(invitation.visitor.id))!.useCount).toBe(maxUses);
      expect(await VisitorLog.count({ where: { visitorId: invitation.visitor.id, event: 'REDEEMED' } })).toBe(maxUses);
      expect(await VisitorLog.count({ where: { visitorId: invitation.visitor.id, event: 'DENIED', reason: 'VISITOR_PASS_USED_UP' } })).toBe(
        PARALLEL - maxUses,
      );
    });
  });
});
