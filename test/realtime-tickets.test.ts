import { createHash } from 'node:crypto';
import type request from 'supertest';
import type { RealtimeCaller, VisitorPass } from '../src';
import { gql, invite, openLink, startTestApp, testPass, unknownToken, type TestApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/databases';
import { closeGuestApp, guestAgent, openGuestApp, type GuestApp } from './support/guests';
import { ISSUE_TICKET, sleep } from './support/realtime';
import {
  basicTicketStoreKinds,
  deleteKeys,
  noticeWithoutRedis,
  redisClient,
  ticketStoreKinds,
  ticketStoreSetup,
  uniquePrefix,
  untilTicketsAnswer,
  type TestRedisClient,
  type TicketStoreSetup,
} from './support/redis';
import { hostUserAgent } from './support/visitor-agent';

noticeWithoutRedis('realtime-tickets');

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const TICKET_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const HEX64 = /^[0-9a-f]{64}$/;

const REVOKE = /* GraphQL */ `
  mutation Revoke($id: ID!) {
    revokeVisitorPass(id: $id) { id isActive }
  }
`;

/** The session id express-session holds for this browser (the cookie's value, unsigned). */
async function sessionIdOf(agent: request.Agent): Promise<string> {
  const { id } = (await agent.get('/session-id').expect(200)).body;
  expect(typeof id).toBe('string');
  return id;
}

async function issue(agent: request.Agent): Promise<{ ticket: string; expiresAt: string }> {
  const response = await gql(agent, ISSUE_TICKET);
  expect(response.body.errors).toBeUndefined();
  expect(response.status).toBe(200);
  return response.body.data.issueRealtimeTicket;
}

describe.each(ticketStoreKinds)('realtime tickets, %s store', (kind) => {
  let db: TestDatabase;
  let app: TestApp;
  let shortLived: TestApp;
  let setup: TicketStoreSetup;
  let peek: TestRedisClient | undefined;
  const prefix = uniquePrefix('tickets');
  const usesRedis = kind !== 'memory';

  beforeAll(async () => {
    setup = await ticketStoreSetup(kind);
    db = await createTestDatabase('sqlite');
    app = await startTestApp({ database: db, pass: { tickets: { redis: setup.redis, keyPrefix: prefix } } });
    app.app.get('/session-id', (req, res) => res.json({ id: req.sessionID }));
    // Another instance on the same database and store, whose tickets last 1 second.
    shortLived = await startTestApp({ database: db, pass: { tickets: { redis: setup.redis, keyPrefix: prefix, ttlSeconds: 1 } } });
    // Its own Redis client connects in the background: start once it answers.
    await untilTicketsAnswer(app.pass);
    await untilTicketsAnswer(shortLived.pass);
    if (usesRedis) peek = await redisClient();
  });
  afterAll(async () => {
    for (const each of [app, shortLived]) {
      await each?.stop();
      await each?.pass.close();
    }
    await setup?.close();
    if (peek) {
      await deleteKeys(peek, prefix);
      await peek.close();
    }
    await db?.drop();
  });

  /** A new browser that redeemed a fresh REFERENCE_REQUEST pass on `on`; the pass row and when it was redeemed. */
  async function visitor(on: TestApp = app, input: Record<string, unknown> = {}) {
    const inviter = on.agent();
    const invitation = await invite(inviter, input);
    const browser = on.agent();
    const before = Date.now();
    await openLink(browser, invitation.link).expect(303);
    return { browser, inviter, row: invitation.visitor, redeemedBetween: [before, Date.now()] as const };
  }

  test('a visitor gets a 43-character ticket; consume gives the visitor once, then null', async () => {
    const { browser, row, redeemedBetween } = await visitor();
    const before = Date.now();
    const { ticket, expiresAt } = await issue(browser);
    const after = Date.now();
    expect(ticket).toMatch(TICKET_SHAPE);

    const caller = await app.pass.tickets.consume(ticket);
    expect(caller).toEqual<RealtimeCaller>({
      visitorId: row.id,
      scope: 'REFERENCE_REQUEST',
      userId: null,
      sessionHash: expect.stringMatching(HEX64),
      redeemedAt: expect.any(Number),
      issuedAt: expect.any(Number),
    });
    expect(caller!.issuedAt).toBeGreaterThanOrEqual(before);
    expect(caller!.issuedAt).toBeLessThanOrEqual(after);
    expect(caller!.redeemedAt).toBeGreaterThanOrEqual(redeemedBetween[0]);
    expect(caller!.redeemedAt).toBeLessThanOrEqual(redeemedBetween[1]);
    // Default ttlSeconds 10.
    expect(Date.parse(expiresAt)).toBe(caller!.issuedAt + 10_000);

    // The hash of this browser's session id, never the id itself.
    const sessionId = await sessionIdOf(browser);
    expect(caller!.sessionHash).toBe(sha256(sessionId));
    expect(JSON.stringify(caller)).not.toContain(sessionId);

    expect(await app.pass.tickets.consume(ticket)).toBeNull();
    expect(await app.pass.tickets.consume(ticket)).toBeNull();
  });

  test('each issue gives a new ticket; two tickets of one browser are consumed independently', async () => {
    const { browser, row } = await visitor();
    const first = (await issue(browser)).ticket;
    const second = (await issue(browser)).ticket;
    expect(second).not.toBe(first);
    expect((await app.pass.tickets.consume(second))?.visitorId).toBe(row.id);
    expect((await app.pass.tickets.consume(first))?.visitorId).toBe(row.id);
  });

  test('a logged-in host user gets a ticket for the user, with no visitor', async () => {
    const fred = await hostUserAgent(app, { id: 'fred' });
    const { ticket } = await issue(fred);
    const caller = await app.pass.tickets.consume(ticket);
    expect(caller).toEqual({
      visitorId: null,
      scope: null,
      userId: 'fred',
      sessionHash: sha256(await sessionIdOf(fred)),
      redeemedAt: null,
      issuedAt: expect.any(Number),
    });
    expect(await app.pass.tickets.consume(ticket)).toBeNull();
  });

  test('a logged-in user who also redeemed a pass gets a ticket carrying both', async () => {
    const invitation = await invite(app.agent(), {});
    const sue = await hostUserAgent(app, { id: 'sue' });
    await openLink(sue, invitation.link).expect(303);
    const caller = await app.pass.tickets.consume((await issue(sue)).ticket);
    expect(caller).toMatchObject({ visitorId: invitation.visitor.id, scope: 'REFERENCE_REQUEST', userId: 'sue' });
    expect(caller!.sessionHash).toBe(sha256(await sessionIdOf(sue)));
  });

  test('an anonymous caller is refused with REALTIME_TICKET_FORBIDDEN and HTTP 401', async () => {
    const response = await gql(app.agent(), ISSUE_TICKET);
    expect(response.status).toBe(401);
    expect(response.body.data).toBeNull();
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors[0].extensions.code).toBe('REALTIME_TICKET_FORBIDDEN');
    expect(JSON.stringify(response.body)).not.toMatch(/"ticket"\s*:\s*"/);
  });

  test('a visitor whose pass was revoked gets no more tickets (REALTIME_TICKET_FORBIDDEN)', async () => {
    const { browser, inviter, row } = await visitor();
    await issue(browser);
    const revoked = await gql(inviter, REVOKE, { id: row.id });
    expect(revoked.body.data.revokeVisitorPass.isActive).toBe(false);
    const response = await gql(browser, ISSUE_TICKET);
    expect(response.status).toBe(401);
    expect(response.body.errors.map((error: { extensions: { code: string } }) => error.extensions.code)).toEqual(['REALTIME_TICKET_FORBIDDEN']);
  });

  test('malformed, unknown and non-string tickets give null', async () => {
    const { browser } = await visitor();
    const { ticket } = await issue(browser);
    for (const bad of [undefined, null, 42, {}, [ticket], '', 'short', `${ticket}A`, ticket.slice(1), `${ticket.slice(0, 42)}!`, ` ${ticket.slice(1)}`, unknownToken()]) {
      expect(await app.pass.tickets.consume(bad)).toBeNull();
    }
    // None of those spent the real ticket.
    expect(await app.pass.tickets.consume(ticket)).not.toBeNull();
  });

  test('a pass with another key prefix on the same store cannot consume the ticket', async () => {
    const { browser } = await visitor();
    const { ticket } = await issue(browser);
    const other = testPass(db, { tickets: { redis: setup.redis, keyPrefix: uniquePrefix('tickets-other') } });
    try {
      await untilTicketsAnswer(other);
      expect(await other.tickets.consume(ticket)).toBeNull();
    } finally {
      await other.close();
    }
    expect(await app.pass.tickets.consume(ticket)).not.toBeNull();
  });

  test('expiry: with ttlSeconds 1 a ticket is null once 1 second has passed (in Redis: TTL ≤ 1, then the key is gone)', async () => {
    const { browser } = await visitor(shortLived);
    const fresh = await issue(browser);
    const stale = await issue(browser);
    const issuedAt = Date.now();
    expect(Date.parse(stale.expiresAt) - issuedAt).toBeLessThanOrEqual(1000);
    expect(Date.parse(stale.expiresAt) - issuedAt).toBeGreaterThan(500);
    expect(await shortLived.pass.tickets.consume(fresh.ticket)).not.toBeNull();
    const key = `${prefix}ticket:${sha256(stale.ticket)}`;
    if (peek) {
      // Redis expires it by itself: a TTL of at most 1 second.
      const ttl = await peek.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(1);
    }
    await sleep(Math.max(0, Date.parse(stale.expiresAt) - Date.now()) + 100);
    if (peek) expect(await peek.exists(key)).toBe(0);
    expect(await shortLived.pass.tickets.consume(stale.ticket)).toBeNull();
  });

  test('50 parallel consumes of one ticket: exactly one gets the caller', async () => {
    const { browser, row } = await visitor();
    const { ticket } = await issue(browser);
    const results = await Promise.all(Array.from({ length: 50 }, () => app.pass.tickets.consume(ticket)));
    const winners = results.filter((caller) => caller !== null);
    console.log(`[realtime-tickets ${kind}] 50 parallel consumes of one ticket: ${winners.length} non-null, ${results.length - winners.length} null`);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.visitorId).toBe(row.id);
  });

  if (usesRedis) {
    test('in Redis the ticket is a key holding only its SHA-256, with a TTL of at most ttlSeconds; consuming deletes it', async () => {
      const { browser, row } = await visitor();
      const { ticket } = await issue(browser);
      const key = `${prefix}ticket:${sha256(ticket)}`;
      expect(await peek!.exists(key)).toBe(1);
      const ttl = await peek!.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(10);

      // The raw ticket is in no key name anywhere in Redis, and in no value under the prefix.
      const everyKey = await peek!.keys('*');
      expect(everyKey.filter((name) => name.includes(ticket))).toEqual([]);
      const ours = await peek!.keys(`${prefix}*`);
      expect(ours).toContain(key);
      for (const name of ours) {
        expect(name).toMatch(new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}ticket:[0-9a-f]{64}$`));
        expect(await peek!.get(name)).not.toContain(ticket);
      }
      const value = JSON.parse((await peek!.get(key))!);
      expect(value).toEqual({
        visitorId: row.id,
        scope: 'REFERENCE_REQUEST',
        userId: null,
        sessionHash: expect.stringMatching(HEX64),
        redeemedAt: expect.any(Number),
        issuedAt: expect.any(Number),
      });

      expect(await app.pass.tickets.consume(ticket)).not.toBeNull();
      expect(await peek!.exists(key)).toBe(0);
    });

    test('two instances on one Redis: a ticket issued on one is consumed on the other, exactly once across 2 × 25 parallel consumes', async () => {
      const other: VisitorPass = testPass(db, { tickets: { redis: setup.redis, keyPrefix: prefix } });
      try {
        await untilTicketsAnswer(other);
        const { browser, row } = await visitor();
        const { ticket } = await issue(browser);
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? app.pass : other).tickets.consume(ticket)),
        );
        const winners = results.filter((caller) => caller !== null);
        console.log(`[realtime-tickets ${kind}] 2 instances × 25 parallel consumes of one ticket: ${winners.length} non-null`);
        expect(winners).toHaveLength(1);
        expect(winners[0]!.visitorId).toBe(row.id);

        // And simply: issued here, consumed there.
        const next = await issue(browser);
        expect((await other.tickets.consume(next.ticket))?.visitorId).toBe(row.id);
        expect(await app.pass.tickets.consume(next.ticket)).toBeNull();
      } finally {
        await other.close();
      }
    });
  }
});

describe.each(basicTicketStoreKinds)('realtime tickets for a guest, %s store', (kind) => {
  let guests: GuestApp;
  let setup: TicketStoreSetup;
  const prefix = uniquePrefix('tickets-guest');

  beforeAll(async () => {
    setup = await ticketStoreSetup(kind);
    guests = await openGuestApp('sqlite', { tickets: { redis: setup.redis, keyPrefix: prefix } });
    await untilTicketsAnswer(guests.app.pass);
  });
  afterAll(async () => {
    await guests?.app.stop();
    await guests?.app.pass.close();
    await setup?.close();
    if (kind !== 'memory') {
      const peek = await redisClient();
      await deleteKeys(peek, prefix);
      await peek.close();
    }
    await closeGuestApp(guests);
  });

  test('a guest gets a ticket standing for the guest (scope GUEST), consumable once', async () => {
    const guest = await guestAgent(guests.app);
    const { ticket } = await issue(guest.agent);
    expect(ticket).toMatch(TICKET_SHAPE);
    const caller = await guests.app.pass.tickets.consume(ticket);
    expect(caller).toMatchObject({ visitorId: guest.id, scope: 'GUEST', userId: null, sessionHash: expect.stringMatching(HEX64) });
    expect(await guests.app.pass.tickets.consume(ticket)).toBeNull();
  });

  test('a new browser is not made a guest by asking for a ticket: REALTIME_TICKET_FORBIDDEN', async () => {
    const before = await guests.app.pass.models.Visitor.count();
    const response = await gql(guests.app.agent(), ISSUE_TICKET);
    expect(response.status).toBe(401);
    expect(response.body.errors[0].extensions.code).toBe('REALTIME_TICKET_FORBIDDEN');
    expect(await guests.app.pass.models.Visitor.count()).toBe(before);
  });
});
