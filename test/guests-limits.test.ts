import { GraphQLError } from 'graphql';
import request from 'supertest';
import { gql, startTestApp } from './support/app';
import { backdatePass } from './support/backdate';
import { dialects } from './support/databases';
import { closeGuestApp, codes, guestCount, guestResolvers, guestTypeDefs, openGuestApp, resetGuestApp, secondsAgo, type GuestApp } from './support/guests';
import { hostUserAgent } from './support/visitor-agent';

/** A distinct client address per call, so tests never share a rate-limit window. */
let network = 0;
const nextAddress = () => `10.${Math.floor(network / 250)}.${(network++ % 250) + 1}.7`;

describe.each(dialects)('guest rate limit per client address (%s)', (dialect) => {
  let guests: GuestApp;
  beforeAll(async () => {
    guests = await openGuestApp(dialect, { guests: { maxPerAddressPerHour: 3 } });
    guests.app.app.set('trust proxy', true);
  });
  afterAll(() => closeGuestApp(guests));
  beforeEach(() => resetGuestApp(guests));

  /** A cookie-less request (a new browser) from `address`. */
  const fromAddress = (address: string, query = '{ guestNote publicInfo }') =>
    gql(guests.app.agent(), query).set('x-forwarded-for', address);

  async function createGuests(address: string, count: number) {
    for (let i = 0; i < count; i += 1) {
      const response = await fromAddress(address);
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data.guestNote).toMatch(/^visitor:GUEST:/);
    }
  }

  test('three guests from one address, then GUEST_RATE_LIMITED in a 200 partial result, and no row', async () => {
    const address = nextAddress();
    await createGuests(address, 3);
    expect(await guestCount(guests.app)).toBe(3);

    const limited = await fromAddress(address);
    expect(limited.status).toBe(200);
    expect(limited.body.data).toEqual({ guestNote: null, publicInfo: 'public' });
    expect(codes(limited.body)).toEqual(['GUEST_RATE_LIMITED']);
    expect(limited.body.errors[0].path).toEqual(['guestNote']);
    expect(await guestCount(guests.app)).toBe(3);
  });

  test('over the limit with no data left (a non-null field): HTTP 429', async () => {
    const address = nextAddress();
    await createGuests(address, 3);
    const limited = await fromAddress(address, '{ guestRequired }');
    expect(limited.status).toBe(429);
    expect(limited.body.data ?? null).toBeNull();
    expect(codes(limited.body)).toEqual(['GUEST_RATE_LIMITED']);
    expect(await guestCount(guests.app)).toBe(3);
  });

  test('another address still gets guests', async () => {
    const busy = nextAddress();
    await createGuests(busy, 3);
    expect(codes((await fromAddress(busy)).body)).toEqual(['GUEST_RATE_LIMITED']);
    await createGuests(nextAddress(), 1);
    expect(await guestCount(guests.app)).toBe(4);
  });

  test('without trust proxy, X-Forwarded-For is ignored: made-up addresses do not escape the limit', async () => {
    guests.app.app.set('trust proxy', false);
    try {
      for (let i = 0; i < 3; i += 1) expect((await fromAddress(nextAddress())).body.data.guestNote).toMatch(/^visitor:GUEST:/);
      expect(codes((await fromAddress(nextAddress())).body)).toEqual(['GUEST_RATE_LIMITED']);
      expect(await guestCount(guests.app)).toBe(3);
    } finally {
      guests.app.app.set('trust proxy', true);
    }
  });

  test('a guest who already has a session keeps working when its address is over the limit', async () => {
    const address = nextAddress();
    const first = guests.app.agent();
    const created = await gql(first, '{ guestNote }').set('x-forwarded-for', address);
    await createGuests(address, 2);
    expect(codes((await fromAddress(address)).body)).toEqual(['GUEST_RATE_LIMITED']);

    const again = await gql(first, '{ guestNote }').set('x-forwarded-for', address);
    expect(again.body).toEqual({ data: { guestNote: created.body.data.guestNote } });
    expect(await guestCount(guests.app)).toBe(3);
  });

  test('a logged-in host user is never limited', async () => {
    const address = nextAddress();
    await createGuests(address, 3);
    const fred = await hostUserAgent(guests.app, { id: 'fred' });
    const response = await gql(fred, '{ guestNote }').set('x-forwarded-for', address);
    expect(response.body).toEqual({ data: { guestNote: 'user:fred' } });
  });

  test('IPv6 addresses are counted per /56', async () => {
    for (const address of ['2001:db8:0:100::1', '2001:db8:0:1ff::2', '2001:db8:0:1aa:1:2:3:4']) {
      expect((await fromAddress(address)).body.data.guestNote).toMatch(/^visitor:GUEST:/);
    }
    expect(codes((await fromAddress('2001:db8:0:1bb::9')).body)).toEqual(['GUEST_RATE_LIMITED']);
    // The next /56 is another network.
    expect((await fromAddress('2001:db8:0:200::1')).body.data.guestNote).toMatch(/^visitor:GUEST:/);
    expect(await guestCount(guests.app)).toBe(4);
  });

  test('IPv4-mapped IPv6 addresses count as their IPv4 address, not as one shared /56', async () => {
    const [a, b] = [nextAddress(), nextAddress()];
    await createGuests(a, 2);
    expect((await fromAddress(`::ffff:${a}`)).body.data.guestNote).toMatch(/^visitor:GUEST:/);
    expect(codes((await fromAddress(a)).body)).toEqual(['GUEST_RATE_LIMITED']);
    expect((await fromAddress(`::ffff:${b}`)).body.data.guestNote).toMatch(/^visitor:GUEST:/);
    expect(await guestCount(guests.app)).toBe(4);
  });

  test('the count is kept in the database: another app instance on the same database sees it', async () => {
    const address = nextAddress();
    await createGuests(address, 3);
    const other = await startTestApp({ database: guests.db, typeDefs: guestTypeDefs, resolvers: guestResolvers({ notes: new Map(), ran: [] }), pass: { guests: { maxPerAddressPerHour: 3 } } });
    try {
      other.app.set('trust proxy', true);
      const limited = await gql(other.agent(), '{ guestNote }').set('x-forwarded-for', address);
      expect(codes(limited.body)).toEqual(['GUEST_RATE_LIMITED']);
      expect(await guestCount(guests.app)).toBe(3);
    } finally {
      await other.stop();
    }
  });

  test('a burst of 10 parallel cookie-less requests creates exactly 3 guests', async () => {
    const address = nextAddress();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        request(guests.app.app).post('/graphql').set('content-type', 'application/json').set('x-forwarded-for', address).send({ query: '{ guestNote publicInfo }' }),
      ),
    );
    const admitted = responses.map((response) => response.body.data?.guestNote).filter((name) => typeof name === 'string');
    const limited = responses.filter((response) => codes(response.body).includes('GUEST_RATE_LIMITED'));
    expect(admitted).toHaveLength(3);
    expect(limited).toHaveLength(7);
    expect(new Set(admitted).size).toBe(3);
    expect(await guestCount(guests.app)).toBe(3);
  });

  test('a parallel burst spread over two app instances on one database still creates exactly 3 guests', async () => {
    const address = nextAddress();
    const other = await startTestApp({ database: guests.db, typeDefs: guestTypeDefs, resolvers: guestResolvers({ notes: new Map(), ran: [] }), pass: { guests: { maxPerAddressPerHour: 3 } } });
    try {
      other.app.set('trust proxy', true);
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          request((i % 2 ? other : guests.app).app).post('/graphql').set('content-type', 'application/json').set('x-forwarded-for', address).send({ query: '{ guestNote }' }),
        ),
      );
      const admitted = responses.map((response) => response.body.data?.guestNote).filter((name) => typeof name === 'string');
      expect(admitted).toHaveLength(3);
      expect(await guestCount(guests.app)).toBe(3);
    } finally {
      await other.stop();
    }
  });

  test('guests created more than an hour ago no longer count; those within the hour do', async () => {
    const address = nextAddress();
    await createGuests(address, 3);
    const rows = await guests.app.pass.models.Visitor.findAll({ where: { kind: 'GUEST' }, order: [['createdAt', 'ASC']] });
    await guests.app.pass.flushLogs();

    // All three 59 minutes old: still inside the hour.
    for (const row of rows) await backdatePass(guests.app.pass.models, row.id, { createdAt: secondsAgo(59 * 60), updatedAt: secondsAgo(59 * 60) });
    expect(codes((await fromAddress(address)).body)).toEqual(['GUEST_RATE_LIMITED']);

    // One of them past the hour: one guest may be created again, then the limit holds.
    await backdatePass(guests.app.pass.models, rows[0].id, { createdAt: secondsAgo(61 * 60), updatedAt: secondsAgo(61 * 60) });
    await createGuests(address, 1);
    expect(codes((await fromAddress(address)).body)).toEqual(['GUEST_RATE_LIMITED']);
    expect(await guestCount(guests.app)).toBe(4);
  });

  test('@allowGuest on a root mutation over the limit refuses the whole operation: 429, no data, no resolver ran', async () => {
    const address = nextAddress();
    await createGuests(address, 3);
    const response = await fromAddress(address, 'mutation { touch writeNote(text: "hello") }');
    expect(response.status).toBe(429);
    expect(response.body.data ?? null).toBeNull();
    expect(codes(response.body)).toEqual(['GUEST_RATE_LIMITED']);
    expect(guests.state.ran).toEqual([]);
    expect(guests.state.notes.size).toBe(0);
    expect(await guestCount(guests.app)).toBe(3);
  });
});

describe.each(dialects)('guests.maxPerAddressPerHour null (%s)', (dialect) => {
  let guests: GuestApp;
  beforeAll(async () => {
    guests = await openGuestApp(dialect, { guests: { maxPerAddressPerHour: null } });
  });
  afterAll(() => closeGuestApp(guests));

  test('no limit: 35 guests from one address (more than the default 30)', async () => {
    for (let i = 0; i < 35; i += 1) {
      const response = await gql(guests.app.agent(), '{ guestNote }');
      expect(response.body.errors).toBeUndefined();
    }
    expect(await guestCount(guests.app)).toBe(35);
  });
});

describe.each(dialects)('guests.verify (%s)', (dialect) => {
  let guests: GuestApp;
  let verify: (context: any) => unknown;
  let calls: number;
  beforeAll(async () => {
    guests = await openGuestApp(dialect, {
      guests: {
        maxPerAddressPerHour: null,
        verify: (context: any) => {
          calls += 1;
          return verify(context) as any;
        },
      },
    });
  });
  afterAll(() => closeGuestApp(guests));
  beforeEach(async () => {
    await resetGuestApp(guests);
    calls = 0;
  });

  test('true (from the context it is given) creates the guest; verify is not asked again for that guest', async () => {
    verify = async (context) => context.req.get('x-captcha') === 'solved';
    const browser = guests.app.agent();
    const response = await gql(browser, '{ guestNote }').set('x-captcha', 'solved');
    expect(response.body.data.guestNote).toMatch(/^visitor:GUEST:/);
    expect(calls).toBe(1);
    expect((await gql(browser, '{ guestNote }')).body.data.guestNote).toBe(response.body.data.guestNote);
    expect(calls).toBe(1);
    expect(await guestCount(guests.app)).toBe(1);
  });

  test.each([
    ['false', () => false],
    ['a truthy value that is not true', () => 'yes'],
    ['a promise of false', async () => false],
  ])('%s: GUEST_VERIFICATION_FAILED, no row', async (_what, answer) => {
    verify = answer;
    const partial = await gql(guests.app.agent(), '{ guestNote publicInfo }');
    expect(partial.status).toBe(200);
    expect(partial.body.data).toEqual({ guestNote: null, publicInfo: 'public' });
    expect(codes(partial.body)).toEqual(['GUEST_VERIFICATION_FAILED']);

    const whole = await gql(guests.app.agent(), '{ guestRequired }');
    expect(whole.status).toBe(403);
    expect(codes(whole.body)).toEqual(['GUEST_VERIFICATION_FAILED']);
    expect(await guestCount(guests.app)).toBe(0);
  });

  test('throwing or rejecting: GUEST_VERIFICATION_FAILED, without the hook’s message, and no row', async () => {
    for (const failing of [
      () => {
        throw new Error('captcha service down');
      },
      async () => {
        throw new Error('captcha service down');
      },
    ]) {
      verify = failing;
      const response = await gql(guests.app.agent(), '{ guestNote publicInfo }');
      expect(response.status).toBe(200);
      expect(response.body.data).toEqual({ guestNote: null, publicInfo: 'public' });
      expect(codes(response.body)).toEqual(['GUEST_VERIFICATION_FAILED']);
      expect(JSON.stringify(response.body)).not.toContain('captcha service down');
    }
    expect(await guestCount(guests.app)).toBe(0);
  });

  test('a GraphQLError thrown by verify passes through unchanged', async () => {
    verify = async () => {
      throw new GraphQLError('Solve the puzzle first.', { extensions: { code: 'CAPTCHA_REQUIRED', siteKey: 'abc' } });
    };
    const response = await gql(guests.app.agent(), '{ guestNote publicInfo }');
    expect(response.body.data).toEqual({ guestNote: null, publicInfo: 'public' });
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors[0].message).toBe('Solve the puzzle first.');
    expect(response.body.errors[0].extensions).toMatchObject({ code: 'CAPTCHA_REQUIRED', siteKey: 'abc' });
    expect(await guestCount(guests.app)).toBe(0);
  });

  test('a host user is let through without asking verify', async () => {
    verify = () => false;
    const fred = await hostUserAgent(guests.app, { id: 'fred' });
    expect((await gql(fred, '{ guestNote }')).body).toEqual({ data: { guestNote: 'user:fred' } });
    expect(calls).toBe(0);
  });

  test('on a root mutation, a failed verify refuses the whole operation: 403, nothing ran', async () => {
    verify = () => false;
    const response = await gql(guests.app.agent(), 'mutation { touch writeNote(text: "hello") }');
    expect(response.status).toBe(403);
    expect(response.body.data ?? null).toBeNull();
    expect(codes(response.body)).toEqual(['GUEST_VERIFICATION_FAILED']);
    expect(guests.state.ran).toEqual([]);
    expect(await guestCount(guests.app)).toBe(0);
  });
});
