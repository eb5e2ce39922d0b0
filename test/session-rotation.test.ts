import request, { type Response } from 'supertest';
import { dialects, type TestDatabase } from './support/databases';
import { gql, invite, openLink, type TestApp, openTestApp, closeTestApp } from './support/app';

/** `connect.sid=…` as the response set it, ready for a Cookie header. */
function sessionIdCookie(response: Response): string {
  const header = ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((cookie) => cookie.startsWith('connect.sid='));
  if (!header) throw new Error(`no session cookie set (status ${response.status})`);
  return header.split(';')[0];
}

describe.each(dialects)('session id rotation (%s)', (dialect) => {
  let db: TestDatabase;
  let app: TestApp;
  beforeAll(async () => ({ db, app } = await openTestApp(dialect)));
  afterAll(() => closeTestApp(app, db));

  /** What the session behind a raw `connect.sid` cookie holds, sent by a browser with no jar of its own. */
  const sessionBehind = async (cookie: string) => (await request(app.app).get('/session-data').set('cookie', cookie)).body;

  const redemptions: Array<[string, (agent: request.Agent, invitation: { link: string; token: string }) => Promise<Response>]> = [
    ['opening the link', (agent, invitation) => openLink(agent, invitation.link)],
    ['redeemVisitorPass', (agent, invitation) => gql(agent, 'mutation($t: String!) { redeemVisitorPass(token: $t) { id } }', { t: invitation.token })],
  ];

  test.each(redemptions)('%s gives a new session id, destroys the old one and keeps the host data', async (_via, redeem) => {
    const invitation = await invite(app.agent(), {});
    const ginger = app.agent();
    const before = sessionIdCookie(await ginger.post('/session-data').send({ cart: ['tea'], locale: 'fr' }));
    expect(await sessionBehind(before)).toMatchObject({ cart: ['tea'], locale: 'fr' });

    const after = sessionIdCookie(await redeem(ginger, invitation));

    expect(after).not.toBe(before);
    const kept = (await ginger.get('/session-data')).body;
    expect(kept).toMatchObject({ cart: ['tea'], locale: 'fr', 'visitor:session': { visitorId: invitation.visitor.id } });
    const old = await sessionBehind(before);
    expect(old).not.toHaveProperty('cart');
    expect(old).not.toHaveProperty('visitor:session');
  });

  test('the session stash holds the pass id, never the token', async () => {
    const invitation = await invite(app.agent(), {});
    const ginger = app.agent();
    await openLink(ginger, invitation.link).expect(303);
    const stored = (await ginger.get('/session-data')).text;
    expect(stored).toContain(invitation.visitor.id);
    expect(stored).not.toContain(invitation.token);
  });

  test("a host user's login survives redemption", async () => {
    const invitation = await invite(app.agent(), {});
    const both = app.agent();
    await both.post('/login').send({ id: 'astaire' }).expect(200);
    await openLink(both, invitation.link).expect(303);
    expect((await both.get('/session-data')).body.user).toEqual({ id: 'astaire', isStaff: false });
  });

  test('endVisitorSession also rotates the id, destroys the old session and keeps the host data', async () => {
    const invitation = await invite(app.agent(), {});
    const ginger = app.agent();
    await ginger.post('/session-data').send({ cart: ['tea'] }).expect(200);
    const visiting = sessionIdCookie(await openLink(ginger, invitation.link));

    const ended = await gql(ginger, 'mutation { endVisitorSession }');
    expect(ended.body.data.endVisitorSession).toBe(true);
    const after = sessionIdCookie(ended);

    expect(after).not.toBe(visiting);
    const kept = (await ginger.get('/session-data')).body;
    expect(kept.cart).toEqual(['tea']);
    expect(kept).not.toHaveProperty('visitor:session');
    expect((await gql(ginger, '{ whoami }')).body.data.whoami).toBe('anonymous');
    const old = await sessionBehind(visiting);
    expect(old).not.toHaveProperty('cart');
    expect(old).not.toHaveProperty('visitor:session');
    const replayed = await request(app.app).post('/graphql').set('cookie', visiting).send({ query: '{ whoami }' });
    expect(replayed.body.data.whoami).toBe('anonymous');
  });
});
