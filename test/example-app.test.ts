import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createReferenceApp, type InvitationMail, type ReferenceApp } from '../examples/reference-request/app';
import { gql } from './support/app';
import { createTestDatabase, dialects, type TestDatabase } from './support/databases';

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

  test('Fred’s references list the submitted one; an anonymous caller gets UNAUTHENTICATED', async () => {
    const mine = await gql(fred, REFERENCES);
    expect(mine.body).toEqual({
      data: { references: [{ id: draftId, text: 'Fred dances divinely.', rating: 5, status: 'SUBMITTED', visitorName: 'Ginger Rogers' }] },
    });
    const theirs = await gql(anonymous, REFERENCES);
    expect(codes(theirs)).toEqual(['UNAUTHENTICATED']);
    expect(theirs.status).toBe(401);
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

  test('logout ends Fred’s login', async () => {
    expect((await gql(fred, 'mutation { logout }')).body.data.logout).toBe(true);
    expect((await gql(fred, '{ me { id } }')).body.data.me).toBeNull();
    expect((await gql(fred, 'mutation { logout }')).body.data.logout).toBe(false);
  });

  test('GET /healthz answers 503 once the database is gone', async () => {
    await reference.sequelize.close();
    databaseClosed = true;
    const response = await anonymous.get('/healthz');
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ status: 'unavailable' });
  });
});
