import type { VisitorPassEvents } from '../src';
import { gql } from './support/app';
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
  sessionSetCookie,
  type GuestApp,
} from './support/guests';
import { hostUserAgent, visitorAgent } from './support/visitor-agent';

const NUMBERED = /^Guest \d{4}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const CURRENT = '{ currentVisitor { id kind scope firstName lastName fullName email } }';

describe.each(dialects)('@allowGuest with default guest options (%s)', (dialect) => {
  let guests: GuestApp;
  // No rate limit here: every test's browsers come from the same loopback address.
  beforeAll(async () => {
    guests = await openGuestApp(dialect, { guests: { maxPerAddressPerHour: null } });
  });
  afterAll(() => closeGuestApp(guests));
  beforeEach(() => resetGuestApp(guests));
  afterEach(() => {
    guests.app.pass.events.removeAllListeners('guestCreated');
  });

  test('on a field: an anonymous caller becomes a GUEST named "Guest dddd", gets a session cookie, and stays that guest', async () => {
    const { app } = guests;
    const browser = app.agent();
    const first = await gql(browser, '{ guestNote publicInfo }');
    expect(first.status).toBe(200);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data.guestNote).toMatch(/^visitor:GUEST:Guest \d{4}$/);
    expect(sessionSetCookie(first)).toBeDefined();
    expect(await guestCount(app)).toBe(1);

    const second = await gql(browser, `{ guestNote ${CURRENT.slice(1, -1)} }`);
    expect(second.body.errors).toBeUndefined();
    const visitor = second.body.data.currentVisitor;
    expect(visitor).toMatchObject({ kind: 'GUEST', scope: 'GUEST', firstName: 'Guest', email: null });
    expect(visitor.lastName).toMatch(/^\d{4}$/);
    expect(visitor.fullName).toMatch(NUMBERED);
    expect(second.body.data.guestNote).toBe(`visitor:GUEST:${visitor.fullName}`);
    expect(first.body.data.guestNote).toBe(second.body.data.guestNote);
    expect(await guestCount(app)).toBe(1);

    const row = await app.pass.models.Visitor.findByPk(visitor.id);
    expect(row).toMatchObject({ kind: 'GUEST', scope: 'GUEST', tokenHash: null, isActive: true });
  });

  test('on an object type: every field of it lets the anonymous caller in as one guest, a list of them too', async () => {
    const { app } = guests;
    const browser = app.agent();
    const response = await gql(browser, '{ guestPage { title viewer } guestPages { title viewer } }');
    expect(response.body.errors).toBeUndefined();
    const { guestPage, guestPages } = response.body.data;
    expect(guestPage.title).toBe('Welcome');
    expect(guestPage.viewer).toMatch(/^visitor:GUEST:Guest \d{4}$/);
    expect(guestPages).toHaveLength(3);
    for (const page of guestPages) expect(page).toEqual(guestPage);
    expect(await guestCount(app)).toBe(1);
  });

  test('several @allowGuest fields and aliases in one query create a single guest', async () => {
    const { app } = guests;
    const response = await gql(app.agent(), '{ guestNote guestOther again: guestNote guestPage { viewer } }');
    expect(response.body.errors).toBeUndefined();
    const { guestNote, guestOther, again, guestPage } = response.body.data;
    expect(guestNote).toMatch(/^visitor:GUEST:/);
    expect([guestOther, again, guestPage.viewer]).toEqual([guestNote, guestNote, guestNote]);
    expect(await guestCount(app)).toBe(1);
  });

  test('two browsers become two guests with different names', async () => {
    const { app } = guests;
    const one = await guestAgent(app);
    const two = await guestAgent(app);
    expect(one.id).not.toBe(two.id);
    expect(one.fullName).not.toBe(two.fullName);
    expect(await guestCount(app)).toBe(2);
  });

  test('a logged-in host user passes unchanged: no guest, ctx.visitor stays null', async () => {
    const { app } = guests;
    const fred = await hostUserAgent(app, { id: 'fred' });
    const response = await gql(fred, '{ guestNote guestPage { viewer } currentVisitor { id } }');
    expect(response.body).toEqual({ data: { guestNote: 'user:fred', guestPage: { viewer: 'user:fred' }, currentVisitor: null } });
    expect(await guestCount(app)).toBe(0);
  });

  test('an invited visitor passes unchanged: still the invited visitor, no guest row', async () => {
    const { app } = guests;
    const ginger = await visitorAgent(app, 'REFERENCE_REQUEST');
    const response = await gql(ginger, '{ guestNote secret }');
    expect(response.body).toEqual({ data: { guestNote: 'visitor:INVITED:Ginger Rogers', secret: 'secret' } });
    expect(await guestCount(app)).toBe(0);
  });

  test.each([
    ['Slack preview', 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)'],
    ['Googlebot', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'],
  ])('a bot (%s) gets the field with no guest: ctx.visitor null, no row, no session', async (_name, userAgent) => {
    const { app } = guests;
    const response = await gql(app.agent(), '{ guestNote guestPage { viewer } }').set('user-agent', userAgent);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: { guestNote: 'anonymous', guestPage: { viewer: 'anonymous' } } });
    expect(await guestCount(app)).toBe(0);
    expect(sessionSetCookie(response)).toBeUndefined();

    // A person's browser still becomes a guest.
    const person = await gql(app.agent(), '{ guestNote }').set('user-agent', CHROME);
    expect(person.body.data.guestNote).toMatch(/^visitor:GUEST:/);
    expect(await guestCount(app)).toBe(1);
  });

  test('a field without @allowGuest creates no guest: @visitor(scope: "*") still refuses an anonymous caller', async () => {
    const { app } = guests;
    const response = await gql(app.agent(), '{ anyVisitor whoami }');
    expect(response.body.data).toEqual({ anyVisitor: null, whoami: 'anonymous' });
    expect(codes(response.body)).toEqual(['VISITOR_REQUIRED']);
    expect(await guestCount(app)).toBe(0);
  });

  test('@visitor(scope: "*") lets a guest in', async () => {
    const { app } = guests;
    const { agent } = await guestAgent(app);
    const response = await gql(agent, '{ anyVisitor secret }');
    expect(response.body.data).toEqual({ anyVisitor: 'any', secret: null });
    expect(codes(response.body)).toEqual(['VISITOR_SCOPE_DENIED']);
  });

  test('@allowGuest with @visitor(scope: "GUEST") resolves for a new anonymous caller', async () => {
    const { app } = guests;
    const response = await gql(app.agent(), '{ guestOnly }');
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.guestOnly).toMatch(/^visitor:GUEST:Guest \d{4}$/);
    expect(await guestCount(app)).toBe(1);
  });

  test('@allowGuest with @visitor(scope: "GUEST"): an invited visitor of another scope is refused, not turned into a guest', async () => {
    const { app } = guests;
    const ginger = await visitorAgent(app, 'REFERENCE_REQUEST');
    const response = await gql(ginger, '{ guestOnly }');
    expect(response.body.data).toEqual({ guestOnly: null });
    expect(codes(response.body)).toEqual(['VISITOR_SCOPE_DENIED']);

    const fred = await hostUserAgent(app, { id: 'fred' });
    const host = await gql(fred, '{ guestOnly }');
    expect(host.body.data).toEqual({ guestOnly: null });
    expect(codes(host.body)).toEqual(['VISITOR_REQUIRED']);
    expect(await guestCount(app)).toBe(0);
  });

  test('a root mutation field with @allowGuest: the guest exists before the first resolver runs', async () => {
    const { app, state } = guests;
    const browser = app.agent();
    const response = await gql(browser, 'mutation { touch writeNote(text: "hello") }');
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const guest = response.body.data.touch;
    expect(guest).toMatch(/^visitor:GUEST:Guest \d{4}$/);
    expect(state.ran).toEqual([`touch:${guest}`, `writeNote:${guest}`]);
    expect((await gql(browser, '{ myNotes }')).body.data.myNotes).toEqual(['hello']);
    expect(await guestCount(app)).toBe(1);
  });

  test('guestCreated carries the new guest and the request', async () => {
    const { app } = guests;
    const seen: Array<VisitorPassEvents['guestCreated']> = [];
    app.pass.events.on('guestCreated', (payload) => seen.push(payload));
    const browser = app.agent();
    await gql(browser, '{ guestNote guestOther }').set('user-agent', CHROME).expect(200);
    await gql(browser, '{ guestNote }').expect(200);
    expect(seen).toHaveLength(1);
    const [{ visitor, request }] = seen;
    const [row] = await app.pass.models.Visitor.findAll({ where: { kind: 'GUEST' } });
    expect(visitor.id).toBe(row.id);
    expect(visitor.kind).toBe('GUEST');
    expect(visitor.fullName).toBe(row.fullName);
    expect(request).toBeDefined();
    expect((request as any).get?.('user-agent') ?? (request as any).userAgent).toBe(CHROME);
  });

  test('a CREATED log row is written for the guest, once', async () => {
    const { app } = guests;
    const { agent, id } = await guestAgent(app);
    await gql(agent, '{ guestNote }').expect(200);
    await app.pass.flushLogs();
    const created = await app.pass.models.VisitorLog.findAll({ where: { visitorId: id, event: 'CREATED' } });
    expect(created).toHaveLength(1);
  });

  test('creating a guest rotates the session id, destroys the old session and keeps the host data', async () => {
    const { app } = guests;
    const browser = app.agent();
    const before = sessionIdCookie(await browser.post('/session-data').send({ cart: ['tea'], locale: 'fr' }));

    const created = await gql(browser, '{ guestNote }');
    expect(created.body.data.guestNote).toMatch(/^visitor:GUEST:/);
    const after = sessionIdCookie(created);

    expect(after).not.toBe(before);
    const [guest] = await app.pass.models.Visitor.findAll({ where: { kind: 'GUEST' } });
    const kept = (await browser.get('/session-data')).body;
    expect(kept).toMatchObject({ cart: ['tea'], locale: 'fr', 'visitor:session': { visitorId: guest.id } });
    const old = await sessionBehind(app, before);
    expect(old).not.toHaveProperty('cart');
    expect(old).not.toHaveProperty('visitor:session');
  });
});

describe.each(dialects)('@allowGuest with guest options (%s)', (dialect) => {
  describe('guests.enabled false', () => {
    let guests: GuestApp;
    beforeAll(async () => {
      guests = await openGuestApp(dialect, { guests: { enabled: false } });
    });
    afterAll(() => closeGuestApp(guests));

    test('an anonymous caller gets the field with ctx.visitor null, and no guest row', async () => {
      const { app } = guests;
      const browser = app.agent();
      const response = await gql(browser, '{ guestNote guestPage { viewer } }');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ data: { guestNote: 'anonymous', guestPage: { viewer: 'anonymous' } } });
      expect((await gql(browser, '{ currentVisitor { id } }')).body.data.currentVisitor).toBeNull();
      expect(await guestCount(app)).toBe(0);
    });
  });

  describe('nameGenerator "uuid"', () => {
    let guests: GuestApp;
    beforeAll(async () => {
      guests = await openGuestApp(dialect, { guests: { nameGenerator: 'uuid', maxPerAddressPerHour: null } });
    });
    afterAll(() => closeGuestApp(guests));

    test('first name "Guest", last name a UUID', async () => {
      const { agent } = await guestAgent(guests.app);
      const visitor = (await gql(agent, CURRENT)).body.data.currentVisitor;
      expect(visitor.firstName).toBe('Guest');
      expect(visitor.lastName).toMatch(UUID);
      expect(visitor.fullName).toBe(`Guest ${visitor.lastName}`);
    });
  });

  describe('guests.scope, a custom nameGenerator and a custom isBot', () => {
    let guests: GuestApp;
    let generate: (context: any) => unknown;
    let calls: number;
    beforeAll(async () => {
      guests = await openGuestApp(dialect, {
        guests: {
          scope: 'TRIAL',
          maxPerAddressPerHour: null,
          nameGenerator: (context: any) => {
            calls += 1;
            return generate(context) as any;
          },
          isBot: (req) => req.get('x-bot') === '1',
        },
      });
    });
    afterAll(() => closeGuestApp(guests));
    beforeEach(async () => {
      await resetGuestApp(guests);
      calls = 0;
    });

    const current = async (agent: ReturnType<GuestApp['app']['agent']>) => (await gql(agent, CURRENT)).body.data.currentVisitor;

    test('guests get guests.scope', async () => {
      generate = () => 'Scoped';
      const { agent } = await guestAgent(guests.app);
      expect(await current(agent)).toMatchObject({ kind: 'GUEST', scope: 'TRIAL' });
    });

    test('a string becomes the first name, the last name stays empty; the generator sees the context', async () => {
      generate = (context) => `Visitor from ${context.req.get('x-city')}`;
      const browser = guests.app.agent();
      const response = await gql(browser, '{ guestNote }').set('x-city', 'Paris');
      expect(response.body.data.guestNote).toBe('visitor:GUEST:Visitor from Paris');
      expect(await current(browser)).toMatchObject({ firstName: 'Visitor from Paris', lastName: '', fullName: 'Visitor from Paris' });
    });

    test('an object, also from a promise, gives both names', async () => {
      generate = async () => ({ firstName: 'Ada', lastName: 'Lovelace' });
      const { agent } = await guestAgent(guests.app);
      expect(await current(agent)).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace', fullName: 'Ada Lovelace' });
    });

    test('a name another guest has is retried: two guests, two different names', async () => {
      const names = ['Same Name', 'Same Name', 'Other Name'];
      generate = () => names.shift() ?? 'Spare Name';
      const one = await guestAgent(guests.app);
      const two = await guestAgent(guests.app);
      expect(one.fullName).toBe('Same Name');
      expect(two.fullName).toBe('Other Name');
      expect(calls).toBe(3);
      expect(await guestCount(guests.app)).toBe(2);
    });

    test('isBot replaces the default check: what it calls a bot gets no guest, a Slack agent now does', async () => {
      generate = () => `Guest ${calls}`;
      const { app } = guests;
      const bot = await gql(app.agent(), '{ guestNote }').set('x-bot', '1').set('user-agent', CHROME);
      expect(bot.body).toEqual({ data: { guestNote: 'anonymous' } });
      expect(await guestCount(app)).toBe(0);

      const slack = await gql(app.agent(), '{ guestNote }').set('user-agent', 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)');
      expect(slack.body.data.guestNote).toMatch(/^visitor:GUEST:/);
      expect(await guestCount(app)).toBe(1);
    });
  });
});
