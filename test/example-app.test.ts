import { randomBytes } from 'node:crypto';
import { createClient } from 'graphql-ws';
import request from 'supertest';
import WebSocket from 'ws';
import { createReferenceApp, type InvitationMail, type ReferenceApp } from '../examples/reference-request/app';
import { gql } from './support/app';
import { createTestDatabase, dialects, type TestDatabase } from './support/databases';
import { eventually, GraphqlSocket, wsUrlOf } from './support/example-process';

const LINK_BASE_URL = 'http://localhost:4000/reference';
const MESSAGE = 'Could you vouch for my <b>dancing</b> & "timing"?';
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

const LOGIN = 'mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { id email name isStaff } }';
const INVITE = /* GraphQL */ `
  mutation Invite($firstName: String!, $lastName: String!, $email: String!, $message: String!) {
    inviteVisitor(input: { firstName: $firstName, lastName: $lastName, email: $email, scope: "REFERENCE_REQUEST", context: { message: $message } }) {
      link
      visitor { id fullName }
    }
  }
`;
const REFERENCE_REQUEST = '{ referenceRequest { requestedBy { name email } message visitorName draft { id text status } } }';
const SAVE_DRAFT = 'mutation Save($text: String!) { saveReferenceDraft(text: $text) { id text rating status visitorName } }';
const SUBMIT = 'mutation Submit($text: String!, $rating: Int!) { submitReference(text: $text, rating: $rating) { id text rating status visitorName createdAt } }';
const REFERENCES = '{ references { id text rating status visitorName } }';
const SIGN = 'mutation Sign($message: String!) { signGuestbook(message: $message) { id message authorName createdAt } }';
const GUESTBOOK = '{ guestbook { id message authorName } }';
const MY_ENTRIES = '{ myGuestbookEntries { id message authorName } }';
const CURRENT_VISITOR = '{ currentVisitor { id kind fullName isActive } }';
const CONVERT = 'mutation Convert($input: JSON) { convertVisitor(input: $input) { userId visitor { id kind isActive convertedUserId } } }';
const DAY = 24 * 3600;
const REFERENCE_EVENTS = 'subscription { referenceEvents { event visitorId visitorName at } }';

function codes(response: request.Response): string[] {
  return (response.body.errors ?? []).map((error: { extensions?: { code?: string } }) => error.extensions?.code);
}

function pathOf(link: string): string {
  const url = new URL(link);
  return url.pathname + url.search;
}

describe.each(dialects)('the reference-request example app on %s', (dialect) => {
  let db: TestDatabase;
  let reference: ReferenceApp;
  let base: string;
  let port: number;
  const mailed: InvitationMail[] = [];
  const start = async (listenOn: number) => {
    reference = await createReferenceApp({
      databaseUrl: db.url,
      port: listenOn,
      linkBaseUrl: LINK_BASE_URL,
      sessionSecret: 'test-secret',
      sendMail: (mail) => mailed.push(mail),
    });
    base = await reference.start();
    port = Number(new URL(base).port);
  };

  // One browser each: the agents keep their cookies across the whole story, restart included.
  let fred: request.Agent;
  let ginger: request.Agent;
  let staff: request.Agent;
  let anonymous: request.Agent;
  let invitation: { link: string; visitor: { id: string; fullName: string } };
  let draftId: string;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    await start(0);
    const agent = () => request.agent(base).set('User-Agent', BROWSER);
    [fred, ginger, staff, anonymous] = [agent(), agent(), agent(), agent()];
  });
  // The last test closes the database itself; stop() closing it again is expected to complain then.
  let databaseClosed = false;
  afterAll(async () => {
    await reference?.stop().catch((error) => {
      if (!databaseClosed) throw error;
    });
    await db.drop();
  });

  test('GET /healthz answers 200 while the database does', async () => {
    const response = await anonymous.get('/healthz');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  test('a malformed JSON body is a 400 in GraphQL’s shape, with no stack trace', async () => {
    const response = await anonymous.post('/graphql').set('content-type', 'application/json').send('{"query": ');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ errors: [{ message: 'The request could not be read.', extensions: { code: 'BAD_REQUEST' } }] });
    expect(response.text).not.toContain('    at ');
  });

  test('a wrong password or an unknown email logs nobody in', async () => {
    const wrong = await gql(fred, LOGIN, { email: 'fred@example.com', password: 'ginger' });
    expect(wrong.body).toEqual({ data: { login: null } });
    const unknown = await gql(fred, LOGIN, { email: 'nobody@example.com', password: 'fred' });
    expect(unknown.body).toEqual({ data: { login: null } });
    expect((await gql(fred, '{ me { id } }')).body.data.me).toBeNull();
  });

  test('Fred logs in with an httpOnly, SameSite=Lax cookie, and a new session id each time', async () => {
    const first = await gql(fred, LOGIN, { email: 'fred@example.com', password: 'fred' });
    expect(first.body.data.login).toMatchObject({ email: 'fred@example.com', name: 'Fred Astaire', isStaff: false });
    const cookie = first.headers['set-cookie'][0] as string;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);

    const second = await gql(fred, LOGIN, { email: 'fred@example.com', password: 'fred' });
    const rotated = second.headers['set-cookie'][0] as string;
    expect(rotated.split(';')[0]).not.toBe(cookie.split(';')[0]);
    const oldSession = await request(base).post('/graphql').set('Cookie', cookie.split(';')[0]).send({ query: '{ me { id } }' });
    expect(oldSession.body.data.me).toBeNull();
    expect((await gql(fred, '{ me { name } }')).body.data.me).toEqual({ name: 'Fred Astaire' });
  });

  test('an anonymous caller cannot invite', async () => {
    const response = await gql(anonymous, INVITE, { firstName: 'Ginger', lastName: 'Rogers', email: 'ginger@example.com', message: 'hi' });
    expect(codes(response)).toEqual(['INVITE_FORBIDDEN']);
    expect(response.status).toBe(403);
  });

  test('Fred invites Ginger with the plugin’s inviteVisitor, and the mail carries the link to her', async () => {
    const response = await gql(fred, INVITE, { firstName: 'Ginger', lastName: 'Rogers', email: 'ginger@example.com', message: MESSAGE });
    expect(response.body.errors).toBeUndefined();
    invitation = response.body.data.inviteVisitor;
    expect(invitation.link).toMatch(/^http:\/\/localhost:4000\/reference\?vuid=[\w-]{43}$/);
    expect(mailed).toEqual([expect.objectContaining({ to: 'Ginger Rogers <ginger@example.com>', text: expect.stringContaining(invitation.link) })]);
  });

  test('Ginger opens the link: 303 to /reference without the token, and the page greets her with Fred’s request, escaped', async () => {
    const opened = await ginger.get(pathOf(invitation.link));
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe('/reference');
    expect(opened.headers['referrer-policy']).toBe('no-referrer');

    const page = await ginger.get('/reference');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<h1>Hello Ginger Rogers</h1>');
    expect(page.text).toContain('Fred Astaire asked you for a reference.');
    expect(page.text).toContain('Could you vouch for my &lt;b&gt;dancing&lt;/b&gt; &amp; &quot;timing&quot;?');
    expect(page.text).not.toContain('<b>dancing</b>');
  });

  test('referenceRequest shows Ginger who asked, his message and her name', async () => {
    const response = await gql(ginger, REFERENCE_REQUEST);
    expect(response.body).toEqual({
      data: {
        referenceRequest: {
          requestedBy: { name: 'Fred Astaire', email: 'fred@example.com' },
          message: MESSAGE,
          visitorName: 'Ginger Rogers',
          draft: null,
        },
      },
    });
  });

  test('Ginger saves a draft, then saves over it; Fred does not see drafts', async () => {
    const first = await gql(ginger, SAVE_DRAFT, { text: 'Fred is' });
    expect(first.body.data.saveReferenceDraft).toMatchObject({ text: 'Fred is', rating: null, status: 'DRAFT', visitorName: 'Ginger Rogers' });
    draftId = first.body.data.saveReferenceDraft.id;
    const second = await gql(ginger, SAVE_DRAFT, { text: 'Fred is light on his feet' });
    expect(second.body.data.saveReferenceDraft).toMatchObject({ id: draftId, text: 'Fred is light on his feet' });

    const resumed = await gql(ginger, REFERENCE_REQUEST);
    expect(resumed.body.data.referenceRequest.draft).toEqual({ id: draftId, text: 'Fred is light on his feet', status: 'DRAFT' });
    expect((await gql(fred, REFERENCES)).body).toEqual({ data: { references: [] } });
  });

  test('a rating outside 1–5 or an empty text is BAD_USER_INPUT and leaves her access alone', async () => {
    for (const variables of [{ text: 'Fine', rating: 6 }, { text: 'Fine', rating: 0 }, { text: '   ', rating: 4 }]) {
      const response = await gql(ginger, SUBMIT, variables);
      expect(codes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.status).toBe(400);
    }
    const tooLong = await gql(ginger, SAVE_DRAFT, { text: 'x'.repeat(5001) });
    expect(codes(tooLong)).toEqual(['BAD_USER_INPUT']);
    expect((await gql(ginger, REFERENCE_REQUEST)).body.data.referenceRequest.visitorName).toBe('Ginger Rogers');
  });

  test('submitting stores the reference and ends her access', async () => {
    const submitted = await gql(ginger, SUBMIT, { text: 'Fred dances divinely.', rating: 5 });
    expect(submitted.body.errors).toBeUndefined();
    expect(submitted.body.data.submitReference).toMatchObject({
      id: draftId,
      text: 'Fred dances divinely.',
      rating: 5,
      status: 'SUBMITTED',
      visitorName: 'Ginger Rogers',
    });

    const after = await gql(ginger, REFERENCE_REQUEST);
    expect(after.body.data.referenceRequest).toBeNull();
    expect(codes(after)).toEqual(['VISITOR_REQUIRED']);
    expect(codes(await gql(ginger, SAVE_DRAFT, { text: 'one more thing' }))).toEqual(['VISITOR_REQUIRED']);
    expect((await ginger.get('/reference')).text).toContain('This page is for invited visitors');
  });

  test('the link cannot be reused: the pass was deactivated', async () => {
    const reopened = await ginger.get(pathOf(invitation.link));
    expect(reopened.status).toBe(401);
    expect(reopened.text).toContain('data-code="VISITOR_PASS_REVOKED"');
    expect(reopened.text).toContain('This link is no longer active');
    expect(codes(await gql(ginger, REFERENCE_REQUEST))).toEqual(['VISITOR_REQUIRED']);
  });

  test('a token that matches no pass gets a friendly page, not an error', async () => {
    const page = await anonymous.get(`/reference?vuid=${randomBytes(32).toString('base64url')}`);
    expect(page.status).toBe(401);
    expect(page.text).toContain('data-code="VISITOR_PASS_NOT_FOUND"');
  });

  test('Fred’s references list the submitted one; an anonymous caller gets LOGIN_REQUIRED', async () => {
    const mine = await gql(fred, REFERENCES);
    expect(mine.body).toEqual({
      data: { references: [{ id: draftId, text: 'Fred dances divinely.', rating: 5, status: 'SUBMITTED', visitorName: 'Ginger Rogers' }] },
    });
    const theirs = await gql(anonymous, REFERENCES);
    expect(codes(theirs)).toEqual(['LOGIN_REQUIRED']);
    expect(theirs.status).toBe(401);
    // No loginUrl: the example has no login page.
    expect(theirs.body.errors[0].extensions).not.toHaveProperty('loginUrl');
  });

  test('staff pass the bypass: referenceRequest is null without an error', async () => {
    const login = await gql(staff, LOGIN, { email: 'staff@example.com', password: 'staff' });
    expect(login.body.data.login).toMatchObject({ name: 'Site Staff', isStaff: true });
    const response = await gql(staff, REFERENCE_REQUEST);
    expect(response.body).toEqual({ data: { referenceRequest: null } });
    expect(codes(await gql(fred, REFERENCE_REQUEST))).toEqual(['VISITOR_REQUIRED']);
  });

  test('a restart logs nobody out and ends no visit: sessions live in the database', async () => {
    const cyd = request.agent(base).set('User-Agent', BROWSER);
    const invited = await gql(fred, INVITE, { firstName: 'Cyd', lastName: 'Charisse', email: 'cyd@example.com', message: 'You too?' });
    expect((await cyd.get(pathOf(invited.body.data.inviteVisitor.link))).status).toBe(303);

    await reference.stop();
    await expect(request(base).get('/healthz')).rejects.toThrow();
    await start(port);

    expect((await gql(fred, '{ me { name } }')).body.data.me).toEqual({ name: 'Fred Astaire' });
    expect((await gql(cyd, REFERENCE_REQUEST)).body.data.referenceRequest).toMatchObject({ visitorName: 'Cyd Charisse', message: 'You too?' });
    expect(await reference.models.User.count()).toBe(2);
  });

  describe('realtime: Fred follows his requests live over graphql-ws', () => {
    const browser = () => request.agent(base).set('User-Agent', BROWSER);
    const postTicket = (agent: request.Agent) => agent.post('/visitor-pass/ticket').set('content-type', 'application/json').send({});
    /** What the README's fetchTicket does: POST /visitor-pass/ticket with a JSON content type and the session cookie. */
    async function fetchTicket(agent: request.Agent): Promise<string> {
      const response = await postTicket(agent);
      expect(response.status).toBe(200);
      return response.body.ticket;
    }
    /** Fred invites someone new; they open the link in a browser of their own. */
    async function openedInvitation(firstName: string, lastName: string) {
      const invited = await gql(fred, INVITE, { firstName, lastName, email: `${firstName.toLowerCase()}@example.com`, message: 'Live?' });
      expect(invited.body.errors).toBeUndefined();
      const agent = browser();
      return { agent, invitation: invited.body.data.inviteVisitor as typeof invitation };
    }
    /** The errors an operation got over the socket, whether as an `error` message or a `next` with errors. */
    const socketErrorCodes = (message: { type: string; payload?: any }) =>
      (message.type === 'error' ? message.payload : message.payload.errors).map((error: { extensions?: { code?: string } }) => error.extensions?.code);
    let fredId: number;

    beforeAll(async () => {
      fredId = Number((await gql(fred, '{ me { id } }')).body.data.me.id);
    });

    test('POST /visitor-pass/ticket: a JSON POST of a logged-in user gets a ticket; anyone else, a form or a GET does not', async () => {
      const ok = await postTicket(fred);
      expect(ok.status).toBe(200);
      expect(ok.headers['cache-control']).toBe('no-store');
      expect(ok.body).toEqual({ status: 'ok', ticket: expect.stringMatching(/^[\w-]{43}$/), expiresAt: expect.any(String) });
      expect(Date.parse(ok.body.expiresAt) - Date.now()).toBeLessThanOrEqual(10_000);

      const nobody = await postTicket(anonymous);
      expect([nobody.status, nobody.body]).toEqual([401, { status: 'error', code: 'REALTIME_TICKET_FORBIDDEN' }]);
      const form = await fred.post('/visitor-pass/ticket').type('form').send('a=b');
      expect([form.status, form.body]).toEqual([415, { status: 'error', code: 'UNSUPPORTED_MEDIA_TYPE' }]);
      const get = await fred.get('/visitor-pass/ticket');
      expect([get.status, get.headers.allow]).toEqual([405, 'POST']);
    });

    test('Fred subscribes with a ticket; Ginger opens the link, saves a draft and submits; Fred hears each step', async () => {
      // The README's client code.
      const client = createClient({
        url: wsUrlOf(base),
        webSocketImpl: WebSocket,
        connectionParams: async () => ({ ticket: await fetchTicket(fred) }),
        retryAttempts: 0,
      });
      const events = client.iterate({ query: REFERENCE_EVENTS });
      try {
        const first = events.next();
        await eventually(() => reference.feed.listening(fredId) === 1, 5000, 'Fred’s subscription');

        const { agent: gingerLive, invitation: live } = await openedInvitation('Ginger', 'Rogers');
        expect((await gingerLive.get(pathOf(live.link))).status).toBe(303);
        expect((await gql(gingerLive, SAVE_DRAFT, { text: 'Fred is' })).body.errors).toBeUndefined();
        expect((await gql(gingerLive, SUBMIT, { text: 'Fred is a joy to dance with.', rating: 5 })).body.errors).toBeUndefined();

        const received = [(await first).value];
        for (let i = 0; i < 2; i++) received.push((await events.next()).value);
        const step = (event: string) => ({ data: { referenceEvents: { event, visitorId: live.visitor.id, visitorName: 'Ginger Rogers', at: expect.any(String) } } });
        expect(received).toEqual([step('OPENED'), step('DRAFT_SAVED'), step('SUBMITTED')]);
        for (const { data } of received) expect(Math.abs(Date.parse(data.referenceEvents.at) - Date.now())).toBeLessThan(60_000);
      } finally {
        await events.return?.();
        await client.dispose();
      }
      // Completing the subscription removed its listener.
      await eventually(() => reference.feed.listening(fredId) === 0, 5000, 'the subscription gone');
    });

    test('a ticket works once: used again, made up or missing, the connection is closed with 4403 Forbidden', async () => {
      const ticket = await fetchTicket(fred);
      const first = new GraphqlSocket(wsUrlOf(base), { ticket });
      expect(await first.admitted).toBe('ack');
      const again = new GraphqlSocket(wsUrlOf(base), { ticket });
      expect(await again.admitted).toMatchObject({ code: 4403, reason: 'Forbidden' });
      const madeUp = new GraphqlSocket(wsUrlOf(base), { ticket: randomBytes(32).toString('base64url') });
      expect(await madeUp.admitted).toMatchObject({ code: 4403 });
      const none = new GraphqlSocket(wsUrlOf(base), {});
      expect(await none.admitted).toMatchObject({ code: 4403 });
      first.close();
      await first.closed;
    });

    test('issueRealtimeTicket gives a ticket too; over the socket only subscriptions run', async () => {
      const issued = await gql(fred, 'mutation { issueRealtimeTicket { ticket expiresAt } }');
      expect(issued.body.errors).toBeUndefined();
      const socket = new GraphqlSocket(wsUrlOf(base), { ticket: issued.body.data.issueRealtimeTicket.ticket });
      expect(await socket.admitted).toBe('ack');
      socket.subscribe('q', '{ me { id } }');
      const refused = await socket.next('q');
      expect(refused.type).toBe('error');
      expect(socketErrorCodes(refused)).toEqual(['BAD_REQUEST']);
      socket.subscribe('m', 'mutation { logout }');
      expect(socketErrorCodes(await socket.next('m'))).toEqual(['BAD_REQUEST']);
      expect((await gql(fred, '{ me { name } }')).body.data.me).toEqual({ name: 'Fred Astaire' });
      socket.close();
      await socket.closed;
    });

    test('a visitor’s ticket: referenceEvents is REGISTRATION_REQUIRED, and submitting closes her socket with 4403', async () => {
      const { agent: eleanor, invitation: hers } = await openedInvitation('Eleanor', 'Powell');
      expect((await eleanor.get(pathOf(hers.link))).status).toBe(303);
      const socket = new GraphqlSocket(wsUrlOf(base), { ticket: await fetchTicket(eleanor) });
      expect(await socket.admitted).toBe('ack');
      socket.subscribe('1', REFERENCE_EVENTS);
      expect(socketErrorCodes(await socket.next('1'))).toEqual(['REGISTRATION_REQUIRED']);

      expect((await gql(eleanor, SUBMIT, { text: 'Splendid.', rating: 4 })).body.errors).toBeUndefined();
      // Submitting deactivates the pass: every socket of hers closes with the revocation's code.
      expect(await socket.closed).toMatchObject({ code: 4403, reason: 'VISITOR_PASS_REVOKED' });
      // Her session is no visitor's any more: no ticket.
      expect((await postTicket(eleanor)).status).toBe(401);
    });
  });

  test('logout ends Fred’s login', async () => {
    expect((await gql(fred, 'mutation { logout }')).body.data.logout).toBe(true);
    expect((await gql(fred, '{ me { id } }')).body.data.me).toBeNull();
    expect((await gql(fred, 'mutation { logout }')).body.data.logout).toBe(false);
  });

  describe('guests: the guestbook', () => {
    const browser = () => request.agent(base).set('User-Agent', BROWSER);
    const guestCount = () => reference.pass.models.Visitor.count({ where: { kind: 'GUEST' } });
    const entryCount = () => reference.models.GuestbookEntry.count();
    const sessionCookie = (response: request.Response) =>
      ((response.headers['set-cookie'] as unknown as string[] | undefined) ?? []).find((cookie) => cookie.startsWith('reference.sid='));

    /** A browser that signed the guestbook: now a guest, with its entry. */
    async function signedGuest(message: string) {
      const agent = browser();
      const signed = await gql(agent, SIGN, { message });
      expect(signed.body.errors).toBeUndefined();
      const guest = (await gql(agent, CURRENT_VISITOR)).body.data.currentVisitor;
      return { agent, entry: signed.body.data.signGuestbook, guest };
    }

    // The guest who signs up below, and what they signed.
    let lily: Awaited<ReturnType<typeof signedGuest>>;
    let lilyUserId: string;

    test('reading the guestbook makes nobody a guest: no row, no cookie, no entries of one’s own', async () => {
      const before = await guestCount();
      const reader = browser();
      const book = await gql(reader, GUESTBOOK);
      expect(book.body).toEqual({ data: { guestbook: [] } });
      const mine = await gql(reader, MY_ENTRIES);
      expect(mine.body).toEqual({ data: { myGuestbookEntries: [] } });
      expect(sessionCookie(book)).toBeUndefined();
      expect(sessionCookie(mine)).toBeUndefined();
      expect((await gql(reader, CURRENT_VISITOR)).body.data.currentVisitor).toBeNull();
      expect(await guestCount()).toBe(before);
    });

    test('an anonymous browser signing the guestbook becomes a guest, “Guest 1234”, and the entry is theirs', async () => {
      const before = await guestCount();
      const agent = browser();
      const signed = await gql(agent, SIGN, { message: '  Lovely site!  ' });
      expect(signed.status).toBe(200);
      expect(signed.body.errors).toBeUndefined();
      expect(sessionCookie(signed)).toMatch(/HttpOnly/);

      const guest = (await gql(agent, CURRENT_VISITOR)).body.data.currentVisitor;
      expect(guest).toMatchObject({ kind: 'GUEST', isActive: true, fullName: expect.stringMatching(/^Guest \d{4}$/) });
      expect(signed.body.data.signGuestbook).toMatchObject({ message: 'Lovely site!', authorName: guest.fullName });
      expect(await guestCount()).toBe(before + 1);

      const entry = signed.body.data.signGuestbook;
      expect((await gql(anonymous, GUESTBOOK)).body.data.guestbook).toEqual([{ id: entry.id, message: 'Lovely site!', authorName: guest.fullName }]);
      expect((await gql(agent, MY_ENTRIES)).body.data.myGuestbookEntries).toEqual([{ id: entry.id, message: 'Lovely site!', authorName: guest.fullName }]);
      expect((await gql(anonymous, MY_ENTRIES)).body.data.myGuestbookEntries).toEqual([]);
      const row = await reference.models.GuestbookEntry.findByPk(entry.id);
      expect(row).toMatchObject({ visitorId: guest.id, userId: null });

      // Signing again is the same guest.
      const again = await gql(agent, SIGN, { message: 'Back again' });
      expect(again.body.data.signGuestbook.authorName).toBe(guest.fullName);
      expect(await guestCount()).toBe(before + 1);
      expect((await gql(agent, MY_ENTRIES)).body.data.myGuestbookEntries.map((e: { message: string }) => e.message)).toEqual([
        'Back again',
        'Lovely site!',
      ]);
      lily = { agent, entry, guest };
    });

    test('a bot or link preview gets no guest: signGuestbook is UNAUTHENTICATED (401) and writes nothing', async () => {
      const [guests, entries] = [await guestCount(), await entryCount()];
      for (const userAgent of ['curl/8.5.0', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'Slackbot-LinkExpanding 1.0']) {
        const bot = request.agent(base).set('User-Agent', userAgent);
        const response = await gql(bot, SIGN, { message: 'Buy cheap watches' });
        expect(codes(response)).toEqual(['UNAUTHENTICATED']);
        expect(response.status).toBe(401);
        expect(response.body.data).toBeNull();
        expect(sessionCookie(response)).toBeUndefined();
        expect((await gql(bot, CURRENT_VISITOR)).body.data.currentVisitor).toBeNull();
      }
      expect(await guestCount()).toBe(guests);
      expect(await entryCount()).toBe(entries);
    });

    test('an empty or over-long message is BAD_USER_INPUT; 500 characters is fine', async () => {
      const entries = await entryCount();
      for (const message of ['', '   ', 'x'.repeat(501)]) {
        const response = await gql(lily.agent, SIGN, { message });
        expect(codes(response)).toEqual(['BAD_USER_INPUT']);
        expect(response.status).toBe(400);
      }
      expect(await entryCount()).toBe(entries);
      const longest = await gql(lily.agent, SIGN, { message: 'é'.repeat(500) });
      expect(longest.body.data.signGuestbook.message).toHaveLength(500);
      await reference.models.GuestbookEntry.destroy({ where: { id: longest.body.data.signGuestbook.id } });
    });

    test('references: a guest is told to register (REGISTRATION_REQUIRED, 403), an anonymous caller to log in', async () => {
      const guest = await gql(lily.agent, REFERENCES);
      expect(codes(guest)).toEqual(['REGISTRATION_REQUIRED']);
      expect(guest.status).toBe(403);
      expect(guest.body.errors[0].extensions).not.toHaveProperty('convertUrl');
      const nobody = await gql(browser(), REFERENCES);
      expect(codes(nobody)).toEqual(['LOGIN_REQUIRED']);
      expect(nobody.status).toBe(401);
    });

    test('convertVisitor with bad input is BAD_USER_INPUT naming the field, and the caller stays the same guest', async () => {
      const users = await reference.models.User.count();
      const good = { email: 'lily@example.com', name: 'Lily Pons', password: 'correct horse' };
      const cases: Array<[unknown, string]> = [
        [null, 'input'],
        ['lily@example.com', 'input'],
        [{ ...good, email: 'not an email' }, 'email'],
        [{ ...good, email: 'lily@localhost' }, 'email'],
        [{ ...good, email: undefined }, 'email'],
        [{ ...good, name: '   ' }, 'name'],
        [{ ...good, name: 'L'.repeat(151) }, 'name'],
        [{ ...good, password: 'short' }, 'password'],
        [{ ...good, password: 12345678 }, 'password'],
        // Already registered, whatever the case.
        [{ ...good, email: ' FRED@example.com ' }, 'email'],
      ];
      for (const [input, field] of cases) {
        const response = await gql(lily.agent, CONVERT, { input });
        expect(codes(response)).toEqual(['BAD_USER_INPUT']);
        expect(response.body.errors[0].extensions.field).toBe(field);
        expect(response.status).toBe(400);
      }
      expect(await reference.models.User.count()).toBe(users);
      expect((await gql(lily.agent, CURRENT_VISITOR)).body.data.currentVisitor).toEqual(lily.guest);
      expect((await gql(lily.agent, '{ me { id } }')).body.data.me).toBeNull();
      expect(await reference.models.GuestbookEntry.count({ where: { visitorId: lily.guest.id } })).toBe(2);
    });

    test('convertVisitor with good input creates the user, signs them in and moves the guest’s entries to them', async () => {
      const response = await gql(lily.agent, CONVERT, { input: { email: ' Lily@Example.com', name: ' Lily Pons ', password: 'correct horse' } });
      expect(response.body.errors).toBeUndefined();
      const { userId, visitor } = response.body.data.convertVisitor;
      expect(visitor).toEqual({ id: lily.guest.id, kind: 'GUEST', isActive: false, convertedUserId: userId });
      lilyUserId = userId;

      const user = await reference.models.User.findByPk(Number(userId));
      expect(user).toMatchObject({ email: 'lily@example.com', name: 'Lily Pons', isStaff: false });
      expect(user!.passwordHash).toMatch(/^scrypt\$/);

      // The same browser is now Lily, no longer a guest, with her entries under her name.
      const now = await gql(lily.agent, `{ me { id email name } currentVisitor { id } ${MY_ENTRIES.slice(1, -1)} }`);
      expect(now.body.data.me).toEqual({ id: userId, email: 'lily@example.com', name: 'Lily Pons' });
      expect(now.body.data.currentVisitor).toBeNull();
      expect(now.body.data.myGuestbookEntries.map((e: { authorName: string; message: string }) => [e.authorName, e.message])).toEqual([
        ['Lily Pons', 'Back again'],
        ['Lily Pons', 'Lovely site!'],
      ]);
      expect(await reference.models.GuestbookEntry.count({ where: { userId: Number(userId), visitorId: null } })).toBe(2);
      expect((await gql(anonymous, GUESTBOOK)).body.data.guestbook.every((e: { authorName: string }) => e.authorName === 'Lily Pons')).toBe(true);
      expect((await gql(lily.agent, REFERENCES)).body).toEqual({ data: { references: [] } });

      // Signing now is as Lily; converting again is refused; her password logs her in elsewhere.
      expect((await gql(lily.agent, SIGN, { message: 'Signed up!' })).body.data.signGuestbook.authorName).toBe('Lily Pons');
      expect(codes(await gql(lily.agent, CONVERT, { input: { email: 'other@example.com', name: 'Other', password: 'correct horse' } }))).toEqual([
        'NOT_A_VISITOR',
      ]);
      const elsewhere = browser();
      expect((await gql(elsewhere, LOGIN, { email: 'lily@example.com', password: 'correct horse' })).body.data.login).toMatchObject({ id: userId });
      expect((await gql(elsewhere, MY_ENTRIES)).body.data.myGuestbookEntries).toHaveLength(3);
    });

    test('a guest who logs in as Fred keeps their entries: the pass is merged into Fred’s account', async () => {
      const { agent, entry, guest } = await signedGuest('Fred taught me the foxtrot');
      const login = await gql(agent, LOGIN, { email: 'fred@example.com', password: 'fred' });
      expect(login.body.data.login).toMatchObject({ name: 'Fred Astaire' });
      const fredId = login.body.data.login.id;

      const now = await gql(agent, `{ me { name } currentVisitor { id } ${MY_ENTRIES.slice(1, -1)} }`);
      expect(now.body.data.me).toEqual({ name: 'Fred Astaire' });
      expect(now.body.data.currentVisitor).toBeNull();
      expect(now.body.data.myGuestbookEntries).toEqual([{ id: entry.id, message: 'Fred taught me the foxtrot', authorName: 'Fred Astaire' }]);
      expect(await reference.models.GuestbookEntry.findByPk(entry.id)).toMatchObject({ userId: Number(fredId), visitorId: null });

      const row = await reference.pass.models.Visitor.findByPk(guest.id);
      expect(row).toMatchObject({ isActive: false, convertedUserId: fredId });
      const logs = await reference.pass.models.VisitorLog.findAll({ where: { visitorId: guest.id, event: 'MERGED' } });
      expect(logs.map((log) => log.reason)).toEqual([fredId]);
      // Fred, logging in as himself with no visitor, merges nothing.
      expect((await gql(agent, LOGIN, { email: 'fred@example.com', password: 'fred' })).body.data.login.id).toBe(fredId);
      // A wrong password merges nothing either: the guest stays a guest.
      const other = await signedGuest('Still a guest');
      expect((await gql(other.agent, LOGIN, { email: 'fred@example.com', password: 'wrong' })).body.data.login).toBeNull();
      expect((await gql(other.agent, CURRENT_VISITOR)).body.data.currentVisitor).toEqual(other.guest);
      expect(await reference.models.GuestbookEntry.findByPk(other.entry.id)).toMatchObject({ visitorId: other.guest.id, userId: null });
    });

    test('cleanup deletes an expired guest’s entries with the guest, and leaves converted guests’ entries alone', async () => {
      const { agent, entry, guest } = await signedGuest('Here today, gone in 30 days');
      await reference.pass.flushLogs();
      const longAgo = new Date(Date.now() - 31 * DAY * 1000);
      await reference.pass.models.Visitor.update({ lastSeenAt: longAgo, createdAt: longAgo }, { where: { id: guest.id }, silent: true });
      const kept = await entryCount();

      const result = await reference.pass.cleanup({ olderThanSeconds: 365 * DAY });
      expect(result).toMatchObject({ passes: 0, guests: 1 });
      expect(await reference.models.GuestbookEntry.findByPk(entry.id)).toBeNull();
      expect(await entryCount()).toBe(kept - 1);
      expect(await reference.models.GuestbookEntry.count({ where: { userId: Number(lilyUserId) } })).toBe(3);
      expect((await gql(agent, CURRENT_VISITOR)).body.data.currentVisitor).toBeNull();
    });

    test('guestbook lists the newest 50 entries, newest first', async () => {
      const start = Date.now() + 1000;
      await reference.models.GuestbookEntry.bulkCreate(
        Array.from({ length: 55 }, (_, i) => ({ message: `Entry ${i}`, authorName: 'Lily Pons', userId: Number(lilyUserId), visitorId: null, createdAt: new Date(start + i * 1000) })),
      );
      const book = (await gql(anonymous, GUESTBOOK)).body.data.guestbook as Array<{ message: string }>;
      expect(book).toHaveLength(50);
      expect(book.map((e) => e.message)).toEqual(Array.from({ length: 50 }, (_, i) => `Entry ${54 - i}`));
    });
  });

  test('GET /healthz answers 503 once the database is gone', async () => {
    await reference.sequelize.close();
    databaseClosed = true;
    const response = await anonymous.get('/healthz');
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ status: 'unavailable' });
  });
});

const REDIS_URL = process.env.VISITOR_PASS_TEST_REDIS_URL;
if (!REDIS_URL) console.log('example-app: the REDIS_URL cases are skipped (VISITOR_PASS_TEST_REDIS_URL is not set)');

(REDIS_URL ? describe : describe.skip)('the reference-request example app with REDIS_URL (SQLite + Redis)', () => {
  const prefix = `reference-example-${randomBytes(4).toString('hex')}:`;
  let db: TestDatabase;
  let reference: ReferenceApp;
  let base: string;
  let fred: request.Agent;
  const start = async (port: number) => {
    reference = await createReferenceApp({
      databaseUrl: db.url,
      port,
      linkBaseUrl: LINK_BASE_URL,
      sessionSecret: 'test-secret',
      sendMail: () => undefined,
      redisUrl: REDIS_URL,
      redisKeyPrefix: prefix,
    });
    base = await reference.start();
  };
  const keys = (pattern: string) => reference.redis!.keys(`${prefix}${pattern}`);

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    await start(0);
    fred = request.agent(base).set('User-Agent', BROWSER);
  });
  afterAll(async () => {
    if (reference?.redis?.isOpen) {
      const left = await keys('*');
      if (left.length > 0) await reference.redis.del(left);
    }
    await reference?.stop();
    await db.drop();
  });

  test('sessions live in Redis (connect-redis), not in the database', async () => {
    const login = await gql(fred, LOGIN, { email: 'fred@example.com', password: 'fred' });
    expect(login.body.data.login.name).toBe('Fred Astaire');
    const sid = /^reference\.sid=s:([^.;]+)/.exec(decodeURIComponent(login.headers['set-cookie'][0]))![1];
    expect(await keys('sess:*')).toEqual([`${prefix}sess:${sid}`]);
    expect(await reference.sequelize.getQueryInterface().showAllTables()).not.toContain('sessions');
  });

  test('tickets are kept in Redis under their hash, and taken when used', async () => {
    const ticket = (await fred.post('/visitor-pass/ticket').set('content-type', 'application/json').send({}).expect(200)).body.ticket as string;
    const stored = await keys('visitor-pass:ticket:*');
    expect(stored).toHaveLength(1);
    expect(stored[0]).not.toContain(ticket);
    const socket = new GraphqlSocket(wsUrlOf(base), { ticket });
    expect(await socket.admitted).toBe('ack');
    expect(await keys('visitor-pass:ticket:*')).toEqual([]);
    socket.close();
    await socket.closed;
  });

  test('live events go through Redis pub/sub: Fred hears Ginger open the link', async () => {
    const socket = new GraphqlSocket(wsUrlOf(base), { ticket: (await fred.post('/visitor-pass/ticket').set('content-type', 'application/json').send({})).body.ticket });
    expect(await socket.admitted).toBe('ack');
    socket.subscribe('events', REFERENCE_EVENTS);
    await eventually(() => reference.feed.listening(1) === 1, 5000, 'Fred’s subscription');
    const invited = await gql(fred, INVITE, { firstName: 'Ginger', lastName: 'Rogers', email: 'ginger@example.com', message: 'Over Redis?' });
    const ginger = request.agent(base).set('User-Agent', BROWSER);
    expect((await ginger.get(pathOf(invited.body.data.inviteVisitor.link))).status).toBe(303);
    expect(await socket.next('events')).toMatchObject({
      type: 'next',
      payload: { data: { referenceEvents: { event: 'OPENED', visitorId: invited.body.data.inviteVisitor.visitor.id, visitorName: 'Ginger Rogers' } } },
    });
    socket.close();
    await socket.closed;
  });

  test('a restart keeps Fred logged in; stop() closes the Redis client', async () => {
    const port = Number(new URL(base).port);
    const client = reference.redis!;
    await reference.stop();
    expect(client.isOpen).toBe(false);
    await start(port);
    expect((await gql(fred, '{ me { name } }')).body.data.me).toEqual({ name: 'Fred Astaire' });
  });
});
