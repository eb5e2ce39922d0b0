import { QueryTypes } from 'sequelize';
import { dialects, type TestDatabase } from './support/databases';
import { gql, invite, openLink, startTestApp, type TestApp, openTestApp, closeTestApp } from './support/app';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const LOOPBACK = /^(::ffff:)?127\.0\.0\.1$|^::1$/;

describe.each(dialects)('visitor logs on %s', (dialect) => {
  let db: TestDatabase;
  let app: TestApp;
  beforeAll(async () => ({ db, app } = await openTestApp(dialect)));
  afterAll(() => closeTestApp(app, db));

  async function logsOf(visitorId: string, event?: string) {
    const rows = await app.pass.models.VisitorLog.findAll({
      where: event ? { visitorId, event } : { visitorId },
      order: [['id', 'ASC']],
    });
    return rows.map((row) => row.get({ plain: true }));
  }

  async function gingerIn(input: Record<string, unknown> = {}) {
    const fred = app.agent();
    const invitation = await invite(fred, input);
    const ginger = app.agent();
    await openLink(ginger, invitation.link).expect(303);
    return { fred, ginger, ...invitation };
  }

  test('REDEEMED: method, path without the token, user agent, referer without the token, address', async () => {
    const fred = app.agent();
    const { link, token, visitor } = await invite(fred, { url: '/reference?step=2' });
    const url = new URL(link);
    await app
      .agent()
      .get(url.pathname + url.search)
      .set('user-agent', FIREFOX)
      .set('referer', `https://mail.example.com/read?id=7&vuid=${token}`)
      .expect(303);
    const [redeemed] = await logsOf(visitor.id, 'REDEEMED');
    expect(redeemed).toMatchObject({
      httpMethod: 'GET',
      path: '/reference?step=2',
      userAgent: FIREFOX,
      referer: 'https://mail.example.com/read?id=7',
      reason: null,
    });
    expect(redeemed.remoteAddr).toMatch(LOOPBACK);
  });

  test('DENIED with the reason, for a used-up and for a revoked pass', async () => {
    const { fred, visitor, link } = await gingerIn({ maxUses: 1 });
    await openLink(app.agent(), link).expect(200);
    await gql(fred, 'mutation Revoke($id: ID!) { revokeVisitorPass(id: $id) { id } }', { id: visitor.id }).expect(200);
    await openLink(app.agent(), link).expect(200);
    const denied = await logsOf(visitor.id, 'DENIED');
    expect(denied.map((row) => row.reason)).toEqual(['VISITOR_PASS_USED_UP', 'VISITOR_PASS_REVOKED']);
    expect(denied[0]).toMatchObject({ httpMethod: 'GET', path: '/reference' });
  });

  test('ACCESS: exactly one row per GraphQL operation of a visitor, after flushLogs', async () => {
    const { fred, ginger, visitor } = await gingerIn();
    await gql(ginger, '{ secret anyVisitor publicInfo document { title summary } }').expect(200);
    await gql(ginger, 'query Step2 { secret whoami }').expect(200);
    await gql(ginger, 'mutation Save { saveDraft(text: "draft") }').expect(200);
    await gql(ginger, 'mutation Sneaky { inviteVisitor(input: { email: "x@example.com", scope: "S" }) { token } }').expect(403);
    await gql(fred, '{ publicInfo }').expect(200);
    await gql(app.agent(), '{ publicInfo }').expect(200);
    await app.pass.flushLogs();

    const access = await logsOf(visitor.id, 'ACCESS');
    expect(access.map((row) => [row.reason, row.statusCode, row.httpMethod, row.path])).toEqual([
      [null, 200, 'POST', '/graphql'],
      ['Step2', 200, 'POST', '/graphql'],
      ['Save', 200, 'POST', '/graphql'],
      ['Sneaky', 403, 'POST', '/graphql'],
    ]);
    for (const row of access) expect(row.remoteAddr).toMatch(LOOPBACK);
  });

  test('remoteAddr ignores X-Forwarded-For while trust proxy is off, and follows it when trusted', async () => {
    const { ginger, visitor } = await gingerIn();
    await gql(ginger, 'query Untrusted { publicInfo }').set('x-forwarded-for', '203.0.113.7').expect(200);
    app.app.set('trust proxy', 'loopback');
    try {
      await gql(ginger, 'query Trusted { publicInfo }').set('x-forwarded-for', '203.0.113.7').expect(200);
    } finally {
      app.app.set('trust proxy', false);
    }
    await app.pass.flushLogs();
    const byOperation = Object.fromEntries((await logsOf(visitor.id, 'ACCESS')).map((row) => [row.reason, row.remoteAddr]));
    expect(byOperation.Untrusted).toMatch(LOOPBACK);
    expect(byOperation.Trusted).toBe('203.0.113.7');
  });

  test('ENDED, REVOKED and REISSUED rows', async () => {
    const { fred, ginger, visitor } = await gingerIn();
    await gql(ginger, 'mutation { endVisitorSession }').expect(200);
    await gql(fred, 'mutation Revoke($id: ID!) { revokeVisitorPass(id: $id) { id } }', { id: visitor.id }).expect(200);
    await gql(fred, 'mutation Reissue($id: ID!) { reissueVisitorPass(id: $id) { token } }', { id: visitor.id }).expect(200);
    const deactivating = await gingerIn();
    await gql(deactivating.ginger, 'mutation { endVisitorSession(deactivate: true) }').expect(200);

    expect((await logsOf(visitor.id)).map((row) => row.event)).toEqual(['REDEEMED', 'ENDED', 'REVOKED', 'REISSUED']);
    const [ended] = await logsOf(deactivating.visitor.id, 'ENDED');
    expect(ended).toMatchObject({ reason: 'DEACTIVATED', httpMethod: 'POST', path: '/graphql' });
  });

  test('no row in any column holds a token: not from the URL, the Referer or the query', async () => {
    const fred = app.agent();
    const byLink = await invite(fred, { maxUses: 1 });
    const byUrl = await invite(fred, {});
    const byQuery = await invite(fred, {});
    const tokens = [byLink.token, byUrl.token, byQuery.token];

    await openLink(app.agent(), byLink.link).set('referer', `http://localhost:4000/mail?vuid=${byLink.token}`).expect(303);
    await openLink(app.agent(), byLink.link).set('referer', `http://localhost:4000/mail?vuid=${byLink.token}`).expect(200);
    await app
      .agent()
      .post(`/graphql?x=1&vuid=${byUrl.token}`)
      .set('referer', `http://localhost:4000/reference?vuid=${byUrl.token}`)
      .send({ query: '{ secret }' })
      .expect(200);
    await gql(app.agent(), `mutation { redeemVisitorPass(token: "${byQuery.token}") { id } }`)
      .set('referer', `http://localhost:4000/reference?vuid=${byQuery.token}`)
      .expect(200);
    const reissued = await gql(fred, 'mutation Reissue($id: ID!) { reissueVisitorPass(id: $id) { token } }', { id: byQuery.visitor.id });
    tokens.push(reissued.body.data.reissueVisitorPass.token);
    await app.pass.flushLogs();

    const rows = await db.sequelize.query<Record<string, unknown>>('SELECT * FROM visitor_pass_logs', { type: QueryTypes.SELECT });
    const cells = rows.flatMap((row) => Object.values(row).map(String));
    for (const token of tokens) expect(cells.filter((cell) => cell.includes(token))).toEqual([]);

    // The scan saw the rows it had to: their URLs are stored, with the token taken out.
    expect((await logsOf(byLink.visitor.id)).map((row) => [row.event, row.path, row.referer])).toEqual([
      ['REDEEMED', '/reference', 'http://localhost:4000/mail'],
      ['DENIED', '/reference', 'http://localhost:4000/mail'],
    ]);
    expect((await logsOf(byUrl.visitor.id)).map((row) => [row.event, row.path, row.referer])).toEqual([
      ['REDEEMED', '/graphql?x=1', 'http://localhost:4000/reference'],
      ['ACCESS', '/graphql?x=1', 'http://localhost:4000/reference'],
    ]);
    const [redeemedByQuery] = await logsOf(byQuery.visitor.id, 'REDEEMED');
    expect(redeemedByQuery).toMatchObject({ path: '/graphql', referer: 'http://localhost:4000/reference' });
  });

  test('lastSeenAt moves forward with the access log', async () => {
    const { ginger, visitor } = await gingerIn();
    const anHourAgo = new Date(Date.now() - 3600_000);
    await app.pass.models.Visitor.update({ lastSeenAt: anHourAgo }, { where: { id: visitor.id } });
    const started = Date.now();
    await gql(ginger, '{ secret }').expect(200);
    await app.pass.flushLogs();
    const stored = await app.pass.models.Visitor.findByPk(visitor.id);
    expect(stored!.lastSeenAt!.getTime()).toBeGreaterThanOrEqual(started - 1000);
  });

  test('ACCESS rows still queued when the server stops are written (drained on graceful shutdown)', async () => {
    const draining = await startTestApp({ database: db });
    const fred = draining.agent();
    const { link, visitor } = await invite(fred, {});
    const ginger = draining.agent();
    await openLink(ginger, link).expect(303);
    for (const step of ['One', 'Two', 'Three']) await gql(ginger, `query ${step} { secret }`).expect(200);
    // Still queued: the access log writes in batches, off the request path.
    expect(await logsOf(visitor.id, 'ACCESS')).toHaveLength(0);
    await draining.stop();
    expect((await logsOf(visitor.id, 'ACCESS')).map((row) => row.reason)).toEqual(['One', 'Two', 'Three']);
  });
});
