import type { Response } from 'supertest';
import { dialects, createTestDatabase, type TestDatabase } from './support/databases';
import { invite, openLink, startTestApp, type TestApp } from './support/app';

const HOST_MAX_AGE_MS = 24 * 3600 * 1000;

/** The attributes of the session cookie a response sets (lower-cased names), or throws if it sets none. */
function sessionCookie(response: Response): Record<string, string> {
  const header = ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((cookie) => cookie.startsWith('connect.sid='));
  if (!header) throw new Error(`no session cookie set (status ${response.status})`);
  return Object.fromEntries(
    header
      .split(';')
      .slice(1)
      .map((part) => {
        const [name, ...value] = part.trim().split('=');
        return [name.toLowerCase(), value.join('=')];
      }),
  );
}

/** Milliseconds from now until the cookie's Expires. */
const expiresIn = (cookie: Record<string, string>) => Date.parse(cookie.expires) - Date.now();

describe.each(dialects)('the session cookie after redemption (%s)', (dialect) => {
  let db: TestDatabase;
  let app: TestApp;
  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    // The host's own sessions last a day, so a browser-session cookie can only come from the pass.
    app = await startTestApp({ database: db, cookie: { maxAge: HOST_MAX_AGE_MS } });
  });
  afterAll(async () => {
    await app.stop();
    await db.drop();
  });

  test("the host's own session cookie lasts a day (the baseline the other tests differ from)", async () => {
    const cookie = sessionCookie(await app.agent().post('/session-data').send({ theme: 'dark' }));
    expect(Math.abs(expiresIn(cookie) - HOST_MAX_AGE_MS)).toBeLessThan(5000);
  });

  test('sessionExpiry 0 → a browser-session cookie: neither Max-Age nor Expires', async () => {
    const invitation = await invite(app.agent(), { sessionExpiry: 0 });
    const cookie = sessionCookie(await openLink(app.agent(), invitation.link));
    expect(cookie).not.toHaveProperty('max-age');
    expect(cookie).not.toHaveProperty('expires');
  });

  test('sessionExpiry 0 also turns an existing host session (of a day) into a browser-session cookie', async () => {
    const invitation = await invite(app.agent(), { sessionExpiry: 0 });
    const ginger = app.agent();
    await ginger.post('/session-data').send({ theme: 'dark' }).expect(200);
    const cookie = sessionCookie(await openLink(ginger, invitation.link));
    expect(cookie).not.toHaveProperty('max-age');
    expect(cookie).not.toHaveProperty('expires');
  });

  // express-session writes the lifetime as Expires (computed from maxAge), never as Max-Age.
  test('sessionExpiry 3600 → a persistent cookie expiring an hour from now', async () => {
    const invitation = await invite(app.agent(), { sessionExpiry: 3600 });
    const cookie = sessionCookie(await openLink(app.agent(), invitation.link));
    expect(Math.abs(expiresIn(cookie) - 3600 * 1000)).toBeLessThan(5000);
  });

  test.each([0, 3600])('with a host user logged in on the session, sessionExpiry %i leaves the lifetime as the host set it', async (sessionExpiry) => {
    const invitation = await invite(app.agent(), { sessionExpiry });
    const both = app.agent();
    await both.post('/login').send({ id: 'astaire' }).expect(200);
    const cookie = sessionCookie(await openLink(both, invitation.link));
    expect(Math.abs(expiresIn(cookie) - HOST_MAX_AGE_MS)).toBeLessThan(5000);
  });
});
