import { makeExecutableSchema } from '@graphql-tools/schema';
import { gql, invite, openLink, testPass } from './support/app';
import { createTestDatabase, dialects, type TestDatabase } from './support/databases';
import { closeGuestApp, codes, guestAgent, guestCount, openGuestApp, type GuestApp } from './support/guests';
import { hostUserAgent, visitorAgent } from './support/visitor-agent';

describe.each(dialects)('@registeredUser with loginUrl and guests.convertUrl (%s)', (dialect) => {
  let guests: GuestApp;
  beforeAll(async () => {
    guests = await openGuestApp(dialect, { loginUrl: '/login?next=%2Faccount', guests: { convertUrl: '/signup', maxPerAddressPerHour: null } });
  });
  afterAll(() => closeGuestApp(guests));

  test('a host user gets the field and the type', async () => {
    const fred = await hostUserAgent(guests.app, { id: 'fred' });
    const response = await gql(fred, '{ account accountRequired profile { name owner } }');
    expect(response.body).toEqual({
      data: { account: 'user:fred', accountRequired: 'user:fred', profile: { name: 'Profile', owner: 'user:fred' } },
    });
  });

  test('a host user who also holds a visitor session passes', async () => {
    const { link } = await invite(guests.app.agent(), {});
    const both = await hostUserAgent(guests.app, { id: 'astaire' });
    await openLink(both, link).expect(303);
    const response = await gql(both, '{ account secret }');
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.secret).toBe('secret');
    expect(response.body.data.account).toBe('visitor:INVITED:Ginger Rogers');
  });

  test('a guest gets REGISTRATION_REQUIRED with convertUrl, on the field and on the type, in a 200 partial result', async () => {
    const { agent } = await guestAgent(guests.app);
    const response = await gql(agent, '{ account profile { name } publicInfo }');
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ account: null, profile: { name: null }, publicInfo: 'public' });
    expect(codes(response.body)).toEqual(['REGISTRATION_REQUIRED', 'REGISTRATION_REQUIRED']);
    expect(response.body.errors.map((error: any) => error.path)).toEqual([['account'], ['profile', 'name']]);
    for (const error of response.body.errors) {
      expect(error.extensions.convertUrl).toBe('/signup');
      expect(error.extensions).not.toHaveProperty('loginUrl');
    }
  });

  test('a guest refused with no data left: HTTP 403', async () => {
    const { agent } = await guestAgent(guests.app);
    const response = await gql(agent, '{ accountRequired }');
    expect(response.status).toBe(403);
    expect(codes(response.body)).toEqual(['REGISTRATION_REQUIRED']);
  });

  test('an invited visitor gets REGISTRATION_REQUIRED with convertUrl', async () => {
    const ginger = await visitorAgent(guests.app, 'REFERENCE_REQUEST');
    const response = await gql(ginger, '{ account secret }');
    expect(response.body.data).toEqual({ account: null, secret: 'secret' });
    expect(codes(response.body)).toEqual(['REGISTRATION_REQUIRED']);
    expect(response.body.errors[0].extensions.convertUrl).toBe('/signup');
  });

  test('an anonymous caller gets LOGIN_REQUIRED with loginUrl, and does not become a guest', async () => {
    const guestsBefore = await guestCount(guests.app);
    const response = await gql(guests.app.agent(), '{ account profile { name } publicInfo }');
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ account: null, profile: { name: null }, publicInfo: 'public' });
    expect(codes(response.body)).toEqual(['LOGIN_REQUIRED', 'LOGIN_REQUIRED']);
    for (const error of response.body.errors) {
      expect(error.extensions.loginUrl).toBe('/login?next=%2Faccount');
      expect(error.extensions).not.toHaveProperty('convertUrl');
    }
    const whole = await gql(guests.app.agent(), '{ accountRequired }');
    expect(whole.status).toBe(401);
    expect(codes(whole.body)).toEqual(['LOGIN_REQUIRED']);
    expect(await guestCount(guests.app)).toBe(guestsBefore);
  });

  test('a root mutation with @registeredUser: a guest is refused as a whole (403) before any resolver runs', async () => {
    const { agent } = await guestAgent(guests.app);
    guests.state.ran.length = 0;
    const response = await gql(agent, 'mutation { touch saveAccount(text: "x") }');
    expect(response.status).toBe(403);
    expect(response.body.data ?? null).toBeNull();
    expect(codes(response.body)).toEqual(['REGISTRATION_REQUIRED']);
    expect(guests.state.ran).toEqual([]);
  });

  test('a root mutation with @registeredUser: anonymous is refused with 401 LOGIN_REQUIRED; a host user runs it', async () => {
    guests.state.ran.length = 0;
    const anonymous = await gql(guests.app.agent(), 'mutation { touch saveAccount(text: "x") }');
    expect(anonymous.status).toBe(401);
    expect(codes(anonymous.body)).toEqual(['LOGIN_REQUIRED']);
    expect(guests.state.ran).toEqual([]);

    const fred = await hostUserAgent(guests.app, { id: 'fred' });
    const response = await gql(fred, 'mutation { touch saveAccount(text: "x") }');
    expect(response.body).toEqual({ data: { touch: 'user:fred', saveAccount: 'x' } });
    expect(guests.state.ran).toEqual(['touch:user:fred', 'saveAccount:user:fred']);
  });
});

describe.each(dialects)('@registeredUser without loginUrl or convertUrl (%s)', (dialect) => {
  let guests: GuestApp;
  beforeAll(async () => {
    guests = await openGuestApp(dialect, { guests: { maxPerAddressPerHour: null } });
  });
  afterAll(() => closeGuestApp(guests));

  test('the errors carry no loginUrl or convertUrl key', async () => {
    const anonymous = await gql(guests.app.agent(), '{ account }');
    expect(codes(anonymous.body)).toEqual(['LOGIN_REQUIRED']);
    expect(anonymous.body.errors[0].extensions).not.toHaveProperty('loginUrl');
    expect(anonymous.body.errors[0].extensions).not.toHaveProperty('convertUrl');

    const { agent } = await guestAgent(guests.app);
    const guest = await gql(agent, '{ account }');
    expect(codes(guest.body)).toEqual(['REGISTRATION_REQUIRED']);
    expect(guest.body.errors[0].extensions).not.toHaveProperty('convertUrl');
    expect(guest.body.errors[0].extensions).not.toHaveProperty('loginUrl');
  });
});

describe('pass.transform refuses @allowGuest with @registeredUser', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
  });
  afterAll(() => db.drop());

  const transformHost = (sdl: string) => () => {
    const pass = testPass(db);
    return pass.transform(makeExecutableSchema({ typeDefs: [pass.typeDefs, sdl] }));
  };

  test('on the same field: a start-up error', () => {
    expect(transformHost('type Query { ok: String  both: String @allowGuest @registeredUser }')).toThrow();
  });

  test('on different fields: fine', () => {
    expect(transformHost('type Query { open: String @allowGuest  closed: String @registeredUser }')).not.toThrow();
  });
});
