import { GraphQLError } from 'graphql';
import type { Visitor, VisitorPassEvents } from '../src';
import { gql, invite, openLink, passRow } from './support/app';
import { dialects } from './support/databases';
import {
  closeGuestApp,
  codes,
  guestAgent,
  guestCount,
  openGuestApp,
  resetGuestApp,
  sessionBehind,
  sessionIdCookie,
  type GuestApp,
} from './support/guests';
import { hostUserAgent } from './support/visitor-agent';

const CONVERT = /* GraphQL */ `
  mutation Convert($input: JSON) {
    convertVisitor(input: $input) {
      userId
      visitor { id kind isActive convertedUserId convertedAt }
    }
  }
`;

interface ConvertCall {
  visitorId: string;
  kind: string;
  input: unknown;
  hasRequest: boolean;
}

describe.each(dialects)('convertVisitor (%s)', (dialect) => {
  let guests: GuestApp;
  let converts: ConvertCall[];
  let logins: Array<{ userId: unknown }>;
  let nextUserId: () => string | number;
  /** Milliseconds the convert hook takes, to hold two conversions in flight at once. */
  let convertDelay: number;
  let converted: Array<VisitorPassEvents['converted']>;

  beforeAll(async () => {
    guests = await openGuestApp(dialect, {
      guests: {
        maxPerAddressPerHour: null,
        async convert(visitor: Visitor, input: any, context: any) {
          converts.push({ visitorId: visitor.id, kind: visitor.kind, input, hasRequest: typeof context?.req?.get === 'function' });
          if (!input?.email) throw new GraphQLError('An email address is needed.', { extensions: { code: 'BAD_USER_INPUT', field: 'email' } });
          if (convertDelay) await new Promise((resolve) => setTimeout(resolve, convertDelay));
          const userId = nextUserId();
          // The host moves what the visitor wrote over to the new account.
          const notes = guests.state.notes.get(`visitor:${visitor.id}`) ?? [];
          guests.state.notes.set(`user:${userId}`, [...(guests.state.notes.get(`user:${userId}`) ?? []), ...notes]);
          return userId;
        },
        login(context: any, userId: string) {
          logins.push({ userId });
          context.req.session.user = { id: userId, isStaff: false };
        },
      },
    });
    guests.app.pass.events.on('converted', (payload) => converted.push(payload));
  });
  afterAll(() => closeGuestApp(guests));
  beforeEach(async () => {
    await resetGuestApp(guests);
    converts = [];
    logins = [];
    converted = [];
    convertDelay = 0;
    let n = 0;
    nextUserId = () => `u${++n}`;
  });

  test('a guest converts: the hook makes the account, the pass records it, the browser is now that user with its data', async () => {
    const { app } = guests;
    const browser = app.agent();
    const wrote = await gql(browser, 'mutation { writeNote(text: "hello") }');
    expect(wrote.body).toEqual({ data: { writeNote: 'hello' } });
    const guest = (await gql(browser, '{ currentVisitor { id } }')).body.data.currentVisitor;
    const before = sessionIdCookie(await browser.post('/session-data').send({ cart: ['tea'] }));

    const response = await gql(browser, CONVERT, { input: { email: 'new@example.com' } });

    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const result = response.body.data.convertVisitor;
    expect(result).toMatchObject({ userId: 'u1', visitor: { id: guest.id, kind: 'GUEST', isActive: false, convertedUserId: 'u1' } });
    expect(Math.abs(new Date(result.visitor.convertedAt).getTime() - Date.now())).toBeLessThan(60_000);
    expect(converts).toEqual([{ visitorId: guest.id, kind: 'GUEST', input: { email: 'new@example.com' }, hasRequest: true }]);
    expect(logins).toEqual([{ userId: 'u1' }]);

    // The session id changed; the old one no longer carries anything.
    const after = sessionIdCookie(response);
    expect(after).not.toBe(before);
    const old = await sessionBehind(app, before);
    expect(old).not.toHaveProperty('visitor:session');
    expect(old).not.toHaveProperty('cart');

    // The same browser is now the host user, no longer a visitor, and keeps what the guest wrote.
    const now = await gql(browser, '{ whoami currentVisitor { id } myNotes }');
    expect(now.body).toEqual({ data: { whoami: 'user:u1', currentVisitor: null, myNotes: ['hello'] } });
    const session = (await browser.get('/session-data')).body;
    expect(session).not.toHaveProperty('visitor:session');
    expect(session).toMatchObject({ cart: ['tea'], user: { id: 'u1' } });

    // …and an @allowGuest field no longer makes a guest of it.
    expect((await gql(browser, '{ guestNote }')).body.data.guestNote).toBe('user:u1');
    expect(await guestCount(app)).toBe(1);

    const row = await passRow(app, guest.id);
    expect(row.isActive).toBe(false);
    expect((row as any).convertedUserId).toBe('u1');
    expect((row as any).convertedAt).toBeInstanceOf(Date);
    expect(row.revokedAt).toBeInstanceOf(Date);
    const logs = await app.pass.models.VisitorLog.findAll({ where: { visitorId: guest.id, event: 'CONVERTED' } });
    expect(logs.map((log) => log.reason)).toEqual(['u1']);
    expect(converted.map(({ visitor, userId }) => [visitor.id, userId])).toEqual([[guest.id, 'u1']]);
  });

  test('a numeric id from the hook becomes a string everywhere', async () => {
    nextUserId = () => 42;
    const { agent, id } = await guestAgent(guests.app);
    const response = await gql(agent, CONVERT, { input: { email: 'n@example.com' } });
    expect(response.body.data.convertVisitor).toMatchObject({ userId: '42', visitor: { convertedUserId: '42' } });
    expect(logins).toEqual([{ userId: '42' }]);
    expect((await passRow(guests.app, id) as any).convertedUserId).toBe('42');
    expect(converted.map(({ userId }) => userId)).toEqual(['42']);
  });

  test('BAD_USER_INPUT thrown by the hook passes through untouched, and the guest stays a guest', async () => {
    const { app } = guests;
    const { agent, id, fullName } = await guestAgent(app);

    const response = await gql(agent, CONVERT, { input: { name: 'no email' } });

    expect(response.body.data ?? null).toBeNull();
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors[0].message).toBe('An email address is needed.');
    expect(response.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
    expect(converts).toHaveLength(1);
    expect(logins).toEqual([]);
    expect(converted).toEqual([]);

    expect((await gql(agent, '{ whoami currentVisitor { id } }')).body.data).toEqual({ whoami: `visitor:GUEST:${fullName}`, currentVisitor: { id } });
    const row = await passRow(app, id);
    expect(row.isActive).toBe(true);
    expect((row as any).convertedUserId ?? null).toBeNull();
    expect(await app.pass.models.VisitorLog.count({ where: { visitorId: id, event: 'CONVERTED' } })).toBe(0);
  });

  test('NOT_A_VISITOR (400) for an anonymous caller and for a host user; the hook is not called', async () => {
    const anonymous = await gql(guests.app.agent(), CONVERT, { input: { email: 'a@example.com' } });
    expect(anonymous.status).toBe(400);
    expect(codes(anonymous.body)).toEqual(['NOT_A_VISITOR']);

    const fred = await hostUserAgent(guests.app, { id: 'fred' });
    const host = await gql(fred, CONVERT, { input: { email: 'fred@example.com' } });
    expect(host.status).toBe(400);
    expect(codes(host.body)).toEqual(['NOT_A_VISITOR']);
    expect(converts).toEqual([]);
    expect(await guestCount(guests.app)).toBe(0);
  });

  test('an invited visitor converts too; another browser holding the same pass then gets VISITOR_PASS_REVOKED', async () => {
    const { app } = guests;
    const invitation = await invite(app.agent(), { maxUses: null });
    const [ginger, otherTab, third] = [app.agent(), app.agent(), app.agent()];
    for (const browser of [ginger, otherTab, third]) await openLink(browser, invitation.link).expect(303);

    const response = await gql(ginger, CONVERT, { input: { email: 'ginger@example.com' } });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.convertVisitor).toMatchObject({ userId: 'u1', visitor: { id: invitation.visitor.id, kind: 'INVITED', isActive: false, convertedUserId: 'u1' } });
    expect(converts).toEqual([{ visitorId: invitation.visitor.id, kind: 'INVITED', input: { email: 'ginger@example.com' }, hasRequest: true }]);
    expect((await gql(ginger, '{ whoami currentVisitor { id } }')).body.data).toEqual({ whoami: 'user:u1', currentVisitor: null });

    const other = await gql(otherTab, '{ anyVisitor }');
    expect(other.body.data).toEqual({ anyVisitor: null });
    expect(codes(other.body)).toEqual(['VISITOR_PASS_REVOKED']);

    const again = await gql(third, CONVERT, { input: { email: 'ginger@example.com' } });
    expect(codes(again.body)).toEqual(['VISITOR_PASS_REVOKED']);
    expect(converts).toHaveLength(1);
    expect(converted).toHaveLength(1);
  });

  test('two concurrent conversions of one session: exactly one succeeds, the other gets VISITOR_PASS_REVOKED', async () => {
    const { app } = guests;
    const { agent, id } = await guestAgent(app);
    convertDelay = 100;

    const responses = await Promise.all([
      gql(agent, CONVERT, { input: { email: 'one@example.com' } }),
      gql(agent, CONVERT, { input: { email: 'two@example.com' } }),
    ]);

    const succeeded = responses.filter((response) => response.body.data?.convertVisitor);
    const refused = responses.filter((response) => codes(response.body).includes('VISITOR_PASS_REVOKED'));
    expect(succeeded).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const { userId } = succeeded[0].body.data.convertVisitor;
    expect((await passRow(app, id) as any).convertedUserId).toBe(userId);
    expect(await app.pass.models.VisitorLog.count({ where: { visitorId: id, event: 'CONVERTED' } })).toBe(1);
    expect(converted.map((payload) => payload.userId)).toEqual([userId]);
    expect(logins).toEqual([{ userId }]);
  });
});
