import type request from 'supertest';
import { dialects, type TestDatabase } from './support/databases';
import { gql, invite, openLink, type TestApp, openTestApp, closeTestApp } from './support/app';

/** Only Date is faked: the servers, drivers and supertest keep their real timers. */
function freezeClock(): number {
  const now = Date.now();
  jest.useFakeTimers({
    now,
    doNotFake: [
      'hrtime',
      'performance',
      'nextTick',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
  return now;
}

/** The code `{ secret }` is refused with for this browser, or null when it is let in. */
async function secretRefusal(agent: request.Agent): Promise<string | null> {
  const response = await gql(agent, '{ secret }');
  if (response.body.data?.secret === 'secret') return null;
  return response.body.errors[0].extensions.code;
}

describe.each(dialects)('visitor session limits (%s)', (dialect) => {
  let db: TestDatabase;
  let app: TestApp;
  beforeAll(async () => ({ db, app } = await openTestApp(dialect, { pass: { maxSessionAge: 60 } })));
  afterAll(() => closeTestApp(app, db));
  afterEach(() => {
    jest.useRealTimers();
  });

  const revoke = (inviter: request.Agent, id: string) => gql(inviter, 'mutation($id: ID!) { revokeVisitorPass(id: $id) { isActive } }', { id });
  const reissue = async (inviter: request.Agent, id: string) => {
    const response = await gql(inviter, 'mutation($id: ID!) { reissueVisitorPass(id: $id) { link token } }', { id });
    return response.body.data.reissueVisitorPass as { link: string; token: string };
  };

  test('maxSessionAge is enforced server-side: VISITOR_PASS_EXPIRED once past it, then VISITOR_REQUIRED', async () => {
    const start = freezeClock();
    const invitation = await invite(app.agent(), {});
    const ginger = app.agent();
    await openLink(ginger, invitation.link).expect(303);

    jest.setSystemTime(start + 59_000);
    expect(await secretRefusal(ginger)).toBeNull();

    jest.setSystemTime(start + 61_000);
    expect(await secretRefusal(ginger)).toBe('VISITOR_PASS_EXPIRED');
    expect(await secretRefusal(ginger)).toBe('VISITOR_REQUIRED');
  });

  test("a pass's sessionExpiry ends the visit after it, even while the host keeps the cookie alive", async () => {
    const start = freezeClock();
    const invitation = await invite(app.agent(), { sessionExpiry: 20 });
    const ginger = app.agent();
    // A logged-in host user keeps the host's browser-session cookie: only the server-side check can end the visit.
    await ginger.post('/login').send({ id: 'ginger-account' }).expect(200);
    await openLink(ginger, invitation.link).expect(303);

    jest.setSystemTime(start + 19_000);
    expect(await secretRefusal(ginger)).toBeNull();

    jest.setSystemTime(start + 21_000);
    expect(await secretRefusal(ginger)).toBe('VISITOR_PASS_EXPIRED');
    expect(await secretRefusal(ginger)).toBe('VISITOR_REQUIRED');
    expect((await gql(ginger, '{ whoami }')).body.data.whoami).toBe('user:ginger-account');
  });

  test("revoking the pass ends every session holding it on that session's very next request", async () => {
    const fred = app.agent();
    const invitation = await invite(fred, {});
    const ginger = app.agent();
    const gingerPhone = app.agent();
    await openLink(ginger, invitation.link).expect(303);
    await openLink(gingerPhone, invitation.link).expect(303);
    expect(await secretRefusal(ginger)).toBeNull();

    expect((await revoke(fred, invitation.visitor.id)).body.data.revokeVisitorPass.isActive).toBe(false);

    expect(await secretRefusal(ginger)).toBe('VISITOR_PASS_REVOKED');
    expect(await secretRefusal(ginger)).toBe('VISITOR_REQUIRED');
    expect((await gingerPhone.get('/reference')).body).toEqual({ visitor: null, error: 'VISITOR_PASS_REVOKED' });
  });

  test('an operation touching no guarded field still tells the client, once, that the visitor session ended', async () => {
    const fred = app.agent();
    const invitation = await invite(fred, {});
    const ginger = app.agent();
    await openLink(ginger, invitation.link).expect(303);
    expect((await gql(ginger, '{ publicInfo }')).body.extensions).toBeUndefined();

    await revoke(fred, invitation.visitor.id);

    const ended = await gql(ginger, '{ publicInfo }');
    expect(ended.body).toEqual({ data: { publicInfo: 'public' }, extensions: { visitorPass: { sessionEnded: 'VISITOR_PASS_REVOKED' } } });
    expect((await gql(ginger, '{ publicInfo }')).body.extensions).toBeUndefined();
  });

  test('reissuing a revoked pass does not revive a session it ended; the new link works, the old one no longer', async () => {
    const start = freezeClock();
    const fred = app.agent();
    const invitation = await invite(fred, {});
    const ginger = app.agent();
    await openLink(ginger, invitation.link).expect(303);

    jest.setSystemTime(start + 1000);
    await revoke(fred, invitation.visitor.id).expect(200);
    const reissued = await reissue(fred, invitation.visitor.id);
    expect(reissued.token).not.toBe(invitation.token);

    expect(await secretRefusal(ginger)).toBe('VISITOR_PASS_REVOKED');
    expect((await openLink(app.agent(), invitation.link)).body).toEqual({ visitor: null, error: 'VISITOR_PASS_NOT_FOUND' });

    jest.setSystemTime(start + 2000);
    await openLink(ginger, reissued.link).expect(303);
    expect(await secretRefusal(ginger)).toBeNull();
  });

  test('after a reissue the old token stops working and the new one works', async () => {
    const fred = app.agent();
    const invitation = await invite(fred, {});
    const reissued = await reissue(fred, invitation.visitor.id);

    const old = await openLink(app.agent(), invitation.link);
    expect(old.status).toBe(200);
    expect(old.body.error).toBe('VISITOR_PASS_NOT_FOUND');

    const ginger = app.agent();
    await openLink(ginger, reissued.link).expect(303);
    expect(await secretRefusal(ginger)).toBeNull();
  });
});
