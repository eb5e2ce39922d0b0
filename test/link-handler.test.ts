import { once } from 'node:events';
import { get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import session from 'express-session';
import { dialects, createTestDatabase, type TestDatabase } from './support/databases';
import { gql, invite, openLink, startTestApp, type TestApp, unknownToken } from './support/app';

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';


describe.each(dialects)('the link handler (%s)', (dialect) => {
  let db: TestDatabase;
  let app: TestApp;
  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    app = await startTestApp({ database: db });
    // A page of the host whose refused links go to a page of its own.
    app.app.get('/apply', app.pass.linkHandler({ failureRedirect: '/sorry?lang=en' }), (req, res) => {
      res.json({ visitor: req.visitor?.fullName ?? null, error: req.visitorPassError?.code ?? null });
    });
  });
  afterAll(async () => {
    await app.stop();
    await db.drop();
  });

  test('GET with a valid token → 303 to the same URL without it, Referrer-Policy: no-referrer; the session holds the visitor', async () => {
    const invitation = await invite(app.agent(), {});
    const ginger = app.agent();

    const opened = await openLink(ginger, invitation.link);
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe('/reference');
    expect(opened.headers['referrer-policy']).toBe('no-referrer');

    expect((await ginger.get('/reference')).body).toEqual({ visitor: 'Ginger Rogers', error: null });
    expect((await gql(ginger, '{ whoami }')).body.data.whoami).toBe('visitor:Ginger Rogers');
  });

  test('the redirect keeps every other query parameter exactly, repeated ones and odd encodings too', async () => {
    const query = 'a=1&b=x+y&a=2&c=&flag&d=%20%2B&e=caf%C3%A9';
    const invitation = await invite(app.agent(), {});
    const opened = await app.agent().get(`/reference?${query.slice(0, 9)}&vuid=${invitation.token}&${query.slice(10)}`);
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe(`/reference?${query}`);
  });

  test('a link made for a page with its own query and a fragment redirects to that query, with no token and no fragment', async () => {
    const invitation = await invite(app.agent(), { url: '/reference?step=1&step=2#form' });
    expect(invitation.link).toBe(`http://localhost:4000/reference?step=1&step=2&vuid=${invitation.token}#form`);
    const opened = await openLink(app.agent(), invitation.link);
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe('/reference?step=1&step=2');
  });

  test.each([
    ['malformed', () => 'short', 'VISITOR_TOKEN_MALFORMED'],
    ['broken percent-encoding', () => '%E0%A4%A', 'VISITOR_TOKEN_MALFORMED'],
    ['unknown', unknownToken, 'VISITOR_PASS_NOT_FOUND'],
  ])('a %s token goes on to the page with req.visitorPassError, never a 500', async (_name, token, code) => {
    const opened = await app.agent().get(`/reference?vuid=${token()}`);
    expect(opened.status).toBe(200);
    expect(opened.body).toEqual({ visitor: null, error: code });
    expect(opened.headers['referrer-policy']).toBe('no-referrer');
  });

  test('a link used up goes on to the page with VISITOR_PASS_USED_UP', async () => {
    const invitation = await invite(app.agent(), { maxUses: 1 });
    expect((await openLink(app.agent(), invitation.link)).status).toBe(303);
    const second = await openLink(app.agent(), invitation.link);
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ visitor: null, error: 'VISITOR_PASS_USED_UP' });
  });

  test('a page without a token passes straight through, with no error', async () => {
    const page = await app.agent().get('/reference?a=1');
    expect(page.status).toBe(200);
    expect(page.body).toEqual({ visitor: null, error: null });
    expect(page.headers['referrer-policy']).toBeUndefined();
  });

  describe('with failureRedirect', () => {
    test.each([
      ['malformed', () => 'short', 'VISITOR_TOKEN_MALFORMED'],
      ['unknown', unknownToken, 'VISITOR_PASS_NOT_FOUND'],
    ])('a %s token → 303 to the failure page with ?reason=CODE', async (_name, token, code) => {
      const opened = await app.agent().get(`/apply?x=1&vuid=${token()}`);
      expect(opened.status).toBe(303);
      expect(opened.headers.location).toBe(`/sorry?lang=en&reason=${code}`);
      expect(opened.headers['referrer-policy']).toBe('no-referrer');
    });

    test('a revoked pass → 303 to the failure page with reason=VISITOR_PASS_REVOKED', async () => {
      const fred = app.agent();
      const invitation = await invite(fred, { url: '/apply' });
      await gql(fred, 'mutation($id: ID!) { revokeVisitorPass(id: $id) { id } }', { id: invitation.visitor.id });
      const opened = await openLink(app.agent(), invitation.link);
      expect(opened.status).toBe(303);
      expect(opened.headers.location).toBe('/sorry?lang=en&reason=VISITOR_PASS_REVOKED');
    });

    test('a valid token still redirects to the page itself without the token', async () => {
      const invitation = await invite(app.agent(), { url: '/apply?x=1' });
      const ginger = app.agent();
      const opened = await openLink(ginger, invitation.link);
      expect(opened.status).toBe(303);
      expect(opened.headers.location).toBe('/apply?x=1');
      expect((await ginger.get('/apply?x=1')).body).toEqual({ visitor: 'Ginger Rogers', error: null });
    });
  });
});

describe('the link handler and a slow session store', () => {
  let db: TestDatabase;
  let app: TestApp;
  let server: Server;
  /** A store whose writes take a while, as a networked one can. */
  class SlowStore extends session.MemoryStore {
    override set(sid: string, data: session.SessionData, callback?: (error?: unknown) => void): void {
      setTimeout(() => super.set(sid, data, callback), 200);
    }
  }
  const store = new SlowStore();

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    app = await startTestApp({ database: db, store });
    server = app.app.listen(0);
    await once(server, 'listening');
  });
  afterAll(async () => {
    server.close();
    await app.stop();
    await db.drop();
  });

  test('the redeemed session is stored before the 303 reaches the browser (which follows it at once)', async () => {
    const { link } = await invite(app.agent(), {});
    const url = new URL(link);
    const { port } = server.address() as AddressInfo;
    // Headers only: a browser acts on the 303 as soon as they arrive, before the body ends.
    const response = await new Promise<IncomingMessage>((resolve, reject) =>
      get({ port, path: url.pathname + url.search, headers: { 'user-agent': BROWSER } }, resolve).on('error', reject),
    );
    const sid = decodeURIComponent(/^connect\.sid=([^;]+)/.exec(response.headers['set-cookie']?.[0] ?? '')?.[1] ?? '').replace(/^s:/, '').split('.')[0];
    const stored = await new Promise<session.SessionData | null | undefined>((resolve, reject) =>
      store.get(sid, (error, data) => (error ? reject(error) : resolve(data))),
    );
    response.resume();
    expect(response.statusCode).toBe(303);
    expect((stored as Record<string, any> | null | undefined)?.['visitor:session']).toMatchObject({ visitorId: expect.any(String) });
  });
});
