import type { Sequelize } from 'sequelize';
import type request from 'supertest';
import { connectDatabase } from '../src';
import { gql, invite, openLink, startTestApp, unknownToken, type TestApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/databases';
import { hostUserAgent } from './support/visitor-agent';

const PATH = '/visitor-pass/ticket';
const TICKET_SHAPE = /^[A-Za-z0-9_-]{43}$/;

let db: TestDatabase;
let app: TestApp;
let custom: TestApp;

beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  app = await startTestApp({ database: db });
  custom = await startTestApp({ database: db, pass: { tickets: { path: '/realtime/ticket', ttlSeconds: 30 } } });
});
afterAll(async () => {
  for (const each of [app, custom]) {
    await each?.stop();
    await each?.pass.close();
  }
  await db?.drop();
});

/** A new browser holding a redeemed REFERENCE_REQUEST pass; the inviter's browser and the pass id. */
async function visitor(on: TestApp = app) {
  const inviter = on.agent();
  const invitation = await invite(inviter, {});
  const browser = on.agent();
  await openLink(browser, invitation.link).expect(303);
  return { browser, inviter, id: invitation.visitor.id as string };
}

/** POST the endpoint as a script of the page would: JSON. */
const postJson = (agent: request.Agent, path = PATH) => agent.post(path).set('content-type', 'application/json').send({});

function expectOk(response: request.Response) {
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.headers['cache-control']).toBe('no-store');
  expect(Object.keys(response.body).sort()).toEqual(['expiresAt', 'status', 'ticket']);
  expect(response.body.status).toBe('ok');
  expect(response.body.ticket).toMatch(TICKET_SHAPE);
  expect(new Date(response.body.expiresAt).toISOString()).toBe(response.body.expiresAt);
  return response.body as { status: 'ok'; ticket: string; expiresAt: string };
}

function expectRefused(response: request.Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.headers['cache-control']).toBe('no-store');
  expect(response.body).toEqual({ status: 'error', code });
}

describe('POST /visitor-pass/ticket', () => {
  test('a visitor gets 200 JSON with a ticket that consumes to the visitor once', async () => {
    const { browser, id } = await visitor();
    const before = Date.now();
    const { ticket, expiresAt } = expectOk(await postJson(browser));
    const after = Date.now();
    // Default ttlSeconds 10.
    expect(Date.parse(expiresAt)).toBeGreaterThanOrEqual(before + 10_000);
    expect(Date.parse(expiresAt)).toBeLessThanOrEqual(after + 10_000);

    const caller = await app.pass.tickets.consume(ticket);
    expect(caller).toMatchObject({ visitorId: id, scope: 'REFERENCE_REQUEST', userId: null });
    expect(Date.parse(expiresAt)).toBe(caller!.issuedAt + 10_000);
    expect(await app.pass.tickets.consume(ticket)).toBeNull();
  });

  test('a logged-in host user gets 200 JSON with a ticket for the user', async () => {
    const fred = await hostUserAgent(app, { id: 'fred' });
    const { ticket } = expectOk(await postJson(fred));
    expect(await app.pass.tickets.consume(ticket)).toMatchObject({ visitorId: null, scope: null, userId: 'fred' });
  });

  test('an anonymous caller gets 401 JSON REALTIME_TICKET_FORBIDDEN, never a 200', async () => {
    expectRefused(await postJson(app.agent()), 401, 'REALTIME_TICKET_FORBIDDEN');
    // Also with the header a script sets instead of a JSON body.
    expectRefused(await app.agent().post(PATH).set('x-requested-with', 'XMLHttpRequest'), 401, 'REALTIME_TICKET_FORBIDDEN');
  });

  test('a visitor whose pass was revoked gets 401, not a ticket', async () => {
    const { browser, inviter, id } = await visitor();
    expectOk(await postJson(browser));
    const revoked = await gql(inviter, 'mutation ($id: ID!) { revokeVisitorPass(id: $id) { isActive } }', { id });
    expect(revoked.body.data.revokeVisitorPass.isActive).toBe(false);
    expectRefused(await postJson(browser), 401, 'REALTIME_TICKET_FORBIDDEN');
  });

  test('a cross-site form post (form-encoded, no X-Requested-With) gets 415 UNSUPPORTED_MEDIA_TYPE and no ticket', async () => {
    const { browser } = await visitor();
    const form = await browser.post(PATH).type('form').send('a=b');
    expectRefused(form, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(form.text).not.toContain('ticket');

    // The other content types a form (or a no-CORS fetch) can send without a preflight, and none at all.
    expectRefused(await browser.post(PATH).set('content-type', 'text/plain').send('{}'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectRefused(await browser.post(PATH).set('content-type', 'multipart/form-data; boundary=x').send('--x--'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectRefused(await browser.post(PATH), 415, 'UNSUPPORTED_MEDIA_TYPE');
    // The session still works: the refusals spent nothing.
    expectOk(await postJson(browser));
  });

  test('the same form post with X-Requested-With is a script of the page: 200 with a ticket', async () => {
    const { browser, id } = await visitor();
    const response = await browser.post(PATH).type('form').set('x-requested-with', 'XMLHttpRequest').send('a=b');
    const { ticket } = expectOk(response);
    expect((await app.pass.tickets.consume(ticket))?.visitorId).toBe(id);
  });

  test('JSON with a charset is JSON', async () => {
    const { browser } = await visitor();
    expectOk(await browser.post(PATH).set('content-type', 'application/json; charset=utf-8').send('{}'));
  });

  test.each(['get', 'put', 'delete', 'patch'] as const)('%s answers 405 METHOD_NOT_ALLOWED with Allow: POST', async (method) => {
    const { browser } = await visitor();
    const response = await browser[method](PATH).set('content-type', 'application/json');
    expectRefused(response, 405, 'METHOD_NOT_ALLOWED');
    expect(response.headers.allow).toBe('POST');
  });

  test('a CORS preflight from another site is not granted', async () => {
    const { browser } = await visitor();
    const response = await browser
      .options(PATH)
      .set('origin', 'https://evil.example')
      .set('access-control-request-method', 'POST')
      .set('access-control-request-headers', 'content-type, x-requested-with');
    expectRefused(response, 405, 'METHOD_NOT_ALLOWED');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.headers['access-control-allow-headers']).toBeUndefined();
  });

  test('a link token in the query that matches no pass answers its own code as JSON (401 VISITOR_PASS_NOT_FOUND)', async () => {
    expectRefused(await postJson(app.agent(), `${PATH}?vuid=${unknownToken()}`), 401, 'VISITOR_PASS_NOT_FOUND');
  });

  test('other paths are left to the app', async () => {
    await app.agent().get('/reference').expect(200, { visitor: null, error: null });
    await app.agent().post('/visitor-pass/ticket/more').set('content-type', 'application/json').send({}).expect(404);
  });
});

describe('tickets.path', () => {
  test('the endpoint answers on the configured path only', async () => {
    const { browser, id } = await visitor(custom);
    const before = Date.now();
    const { ticket, expiresAt } = expectOk(await postJson(browser, '/realtime/ticket'));
    expect(Date.parse(expiresAt)).toBeGreaterThanOrEqual(before + 30_000);
    expect((await custom.pass.tickets.consume(ticket))?.visitorId).toBe(id);

    const atDefault = await postJson(browser);
    expect(atDefault.status).toBe(404);
    expect(atDefault.body.ticket).toBeUndefined();
    expectRefused(await browser.get('/realtime/ticket'), 405, 'METHOD_NOT_ALLOWED');
  });

  test("each pass consumes only its own tickets (two in-memory stores)", async () => {
    const { browser } = await visitor(custom);
    const { ticket } = expectOk(await postJson(browser, '/realtime/ticket'));
    expect(await app.pass.tickets.consume(ticket)).toBeNull();
    expect(await custom.pass.tickets.consume(ticket)).not.toBeNull();
  });
});

describe('the database unreachable', () => {
  let down: TestApp;
  let store: Sequelize;
  let visitorBrowser: request.Agent;
  let fred: request.Agent;

  beforeAll(async () => {
    // The pass gets a connection of its own, closed below; the suite's stays for the clean-up.
    store = connectDatabase(db.url);
    down = await startTestApp({ database: { ...db, sequelize: store } });
    ({ browser: visitorBrowser } = await visitor(down));
    fred = await hostUserAgent(down, { id: 'fred' });
    expectOk(await postJson(visitorBrowser));
    await store.close();
  });
  afterAll(async () => {
    await down?.stop();
    await down?.pass.close();
  });

  test('a visitor whose pass cannot be read is told VISITOR_PASS_UNAVAILABLE (503), not that they are nobody (401)', async () => {
    expectRefused(await postJson(visitorBrowser), 503, 'VISITOR_PASS_UNAVAILABLE');
    const response = await gql(visitorBrowser, 'mutation { issueRealtimeTicket { ticket } }');
    expect(response.status).toBe(503);
    expect(response.body.errors.map((error: { extensions: { code: string } }) => error.extensions.code)).toEqual(['VISITOR_PASS_UNAVAILABLE']);
  });

  test('a host user needs no database for a ticket', async () => {
    const { ticket } = expectOk(await postJson(fred));
    expect(await down.pass.tickets.consume(ticket)).toMatchObject({ visitorId: null, userId: 'fred' });
  });

  test('an anonymous caller is still 401', async () => {
    expectRefused(await postJson(down.agent()), 401, 'REALTIME_TICKET_FORBIDDEN');
  });
});
