import type request from 'supertest';
import { gql, invite, openLink, startTestApp, unknownToken, type TestApp } from './support/app';
import { backdatePass } from './support/backdate';
import { createTestDatabase, type TestDatabase } from './support/databases';
import {
  endpointTicket,
  feedCodes,
  graphqlTicket,
  listenRealtime,
  moreValues,
  realtimeResolvers,
  realtimeTypeDefs,
  sleep,
  waitUntil,
  within,
  type Closed,
  type Feed,
  type RealtimeServer,
  type WsClient,
} from './support/realtime';
import {
  basicTicketStoreKinds,
  deleteKeys,
  describeWithRedis,
  noticeWithoutRedis,
  redisClient,
  requireRedisUrl,
  ticketStoreSetup,
  uniquePrefix,
  untilTicketsAnswer,
  type TicketStoreKind,
  type TicketStoreSetup,
} from './support/redis';
import { hostUserAgent } from './support/visitor-agent';

noticeWithoutRedis('realtime-graphql-ws');

const TICKS = 'subscription { ticks }';
const WHOAMI = 'subscription { whoami }';
const REVOKE = 'mutation ($id: ID!) { revokeVisitorPass(id: $id) { id isActive } }';
const FORBIDDEN = 4403;

/** Close delays measured here (from the HTTP request that ended the session to the client seeing the close), printed at the end. */
const delays: string[] = [];
afterAll(() => {
  if (delays.length > 0) console.log(`[realtime-graphql-ws] close delays:\n  ${delays.join('\n  ')}`);
});

/** Expects the socket closed with 4403 and `reason`, within `ms` of `since`; returns the delay. */
async function expectForbiddenClose(client: WsClient, reason: string | null, since: number, label: string, ms = 2000): Promise<number> {
  const closed: Closed = await within(client.closed, `the socket to close (${label})`, 5000);
  expect(closed.code).toBe(FORBIDDEN);
  if (reason !== null) expect(closed.reason).toBe(reason);
  const delay = closed.at - since;
  delays.push(`${label}: ${delay} ms (code ${closed.code}, reason ${closed.reason})`);
  expect(delay).toBeLessThan(ms);
  return delay;
}

/** The socket is open and its subscription still delivers. */
async function expectStillLive(client: WsClient, feed: Feed): Promise<void> {
  await moreValues(feed, 2);
  expect(client.isClosed()).toBe(false);
  expect(feed.error).toBeUndefined();
}

/** Waits until the subscription ended (an error or its completion). */
const settled = (feed: Feed, what: string) => waitUntil(() => feed.completed || feed.error !== undefined, what);

describe.each(basicTicketStoreKinds)('graphql-ws with realtime tickets, %s store', (kind: TicketStoreKind) => {
  let db: TestDatabase;
  let app: TestApp;
  let realtime: RealtimeServer;
  let shortLived: TestApp;
  let shortRealtime: RealtimeServer;
  let setup: TicketStoreSetup;
  const prefix = uniquePrefix('graphql-ws');

  beforeAll(async () => {
    setup = await ticketStoreSetup(kind);
    db = await createTestDatabase('sqlite');
    const start = (ttlSeconds?: number) =>
      startTestApp({
        database: db,
        typeDefs: realtimeTypeDefs,
        resolvers: realtimeResolvers(),
        pass: { tickets: { redis: setup.redis, keyPrefix: prefix, ...(ttlSeconds ? { ttlSeconds } : {}) } },
      });
    app = await start();
    shortLived = await start(1);
    realtime = await listenRealtime(app);
    shortRealtime = await listenRealtime(shortLived);
    await untilTicketsAnswer(app.pass);
    await untilTicketsAnswer(shortLived.pass);
  });
  afterAll(async () => {
    await realtime?.close();
    await shortRealtime?.close();
    for (const each of [app, shortLived]) {
      await each?.stop();
      await each?.pass.close();
    }
    await setup?.close();
    if (kind !== 'memory') {
      const peek = await redisClient();
      await deleteKeys(peek, prefix);
      await peek.close();
    }
    await db?.drop();
  });

  /** A new browser holding a redeemed pass of `scope`. */
  async function visitor(input: Record<string, unknown> = {}, on: TestApp = app) {
    const inviter = on.agent();
    const invitation = await invite(inviter, input);
    const browser = on.agent();
    await openLink(browser, invitation.link).expect(303);
    return { browser, inviter, id: invitation.visitor.id as string, link: invitation.link };
  }

  /** Connects `browser`'s caller with a fresh ticket and starts `query`; waits until values flow (or it settled). */
  async function live(browser: request.Agent, query = TICKS, server: RealtimeServer = realtime) {
    const client = server.connect(await graphqlTicket(browser));
    expect(await within(client.outcome(), 'the connection to be acknowledged')).toBe('connected');
    const feed = client.subscribe(query);
    return { client, feed };
  }

  describe('what a connection may do', () => {
    test('a REFERENCE_REQUEST visitor subscribes to ticks and gets 1, 2, 3, … with the visitor in the context', async () => {
      const { browser } = await visitor();
      const { client, feed } = await live(browser);
      await moreValues(feed, 3);
      expect(feed.values.slice(0, 3)).toEqual([{ data: { ticks: 1 } }, { data: { ticks: 2 } }, { data: { ticks: 3 } }]);
      expect(feed.error).toBeUndefined();

      const whoami = client.subscribe(WHOAMI);
      await settled(whoami, 'whoami to complete');
      expect(whoami.values).toEqual([{ data: { whoami: 'visitor:Ginger Rogers:REFERENCE_REQUEST' } }]);
      feed.stop();
      await client.dispose();
    });

    test('a ticket from the JSON endpoint opens a connection too', async () => {
      const { browser } = await visitor();
      const client = realtime.connect(await endpointTicket(browser));
      expect(await within(client.outcome(), 'the connection')).toBe('connected');
      const feed = client.subscribe(TICKS);
      await moreValues(feed, 2);
      await client.dispose();
    });

    test('a visitor of another scope gets VISITOR_SCOPE_DENIED and no data; the connection stays usable', async () => {
      const { browser } = await visitor({ scope: 'OTHER' });
      const { client, feed } = await live(browser);
      await settled(feed, 'the refused subscription to end');
      expect(feedCodes(feed)).toEqual(['VISITOR_SCOPE_DENIED']);
      expect(feed.values.every((value) => value.data === undefined || value.data === null)).toBe(true);

      const whoami = client.subscribe(WHOAMI);
      await settled(whoami, 'whoami to complete');
      expect(whoami.values).toEqual([{ data: { whoami: 'visitor:Ginger Rogers:OTHER' } }]);
      expect(client.isClosed()).toBe(false);
      await client.dispose();
    });

    test('a host user without a visitor gets VISITOR_REQUIRED on ticks, but sees themselves in the context', async () => {
      const fred = await hostUserAgent(app, { id: 'fred' });
      const { client, feed } = await live(fred);
      await settled(feed, 'the refused subscription to end');
      expect(feedCodes(feed)).toEqual(['VISITOR_REQUIRED']);

      const whoami = client.subscribe(WHOAMI);
      await settled(whoami, 'whoami to complete');
      expect(whoami.values).toEqual([{ data: { whoami: 'user:fred' } }]);

      const staffOnly = client.subscribe('subscription { staffTicks }');
      await settled(staffOnly, 'staffTicks to be refused');
      expect(feedCodes(staffOnly)).toEqual(['VISITOR_REQUIRED']);
      await client.dispose();
    });

    test('a host user whom a bypass lets in (staff) gets staffTicks', async () => {
      const staff = await hostUserAgent(app, { id: 'staff-sue', isStaff: true });
      const { client, feed } = await live(staff, 'subscription { staffTicks }');
      await moreValues(feed, 2);
      expect(feed.values[0]).toEqual({ data: { staffTicks: 1 } });
      await client.dispose();
    });
  });

  describe('tickets that open no connection: closed with 4403', () => {
    test('no ticket, a malformed ticket, an unknown ticket', async () => {
      for (const ticket of [null, '', 'not-a-ticket', `${unknownToken()}x`, unknownToken()]) {
        const client = realtime.connect(ticket);
        const outcome = await within(client.outcome(), `the outcome for ticket ${JSON.stringify(ticket)}`);
        expect(outcome).toMatchObject({ code: FORBIDDEN });
      }
    });

    test('a ticket already consumed (by another service)', async () => {
      const { browser } = await visitor();
      const ticket = await graphqlTicket(browser);
      expect(await app.pass.tickets.consume(ticket)).not.toBeNull();
      expect(await within(realtime.connect(ticket).outcome(), 'the outcome')).toMatchObject({ code: FORBIDDEN });
    });

    test('an expired ticket (ttlSeconds 1, used after 1.1 s)', async () => {
      const { browser } = await visitor({}, shortLived);
      const fresh = await graphqlTicket(browser);
      const stale = await graphqlTicket(browser);
      expect(await within(shortRealtime.connect(fresh).outcome(), 'a fresh ticket')).toBe('connected');
      await sleep(1100);
      expect(await within(shortRealtime.connect(stale).outcome(), 'an expired ticket')).toMatchObject({ code: FORBIDDEN });
    });

    test('the same ticket cannot open two connections, one after the other or racing', async () => {
      const { browser } = await visitor();
      const ticket = await graphqlTicket(browser);
      const first = realtime.connect(ticket);
      expect(await within(first.outcome(), 'the first connection')).toBe('connected');
      expect(await within(realtime.connect(ticket).outcome(), 'the second connection')).toMatchObject({ code: FORBIDDEN });
      // The first one is unaffected.
      const feed = first.subscribe(TICKS);
      await moreValues(feed, 2);

      const raced = await graphqlTicket(browser);
      const outcomes = await Promise.all(Array.from({ length: 10 }, () => within(realtime.connect(raced).outcome(), 'a racing connection')));
      const connected = outcomes.filter((outcome) => outcome === 'connected').length;
      console.log(`[realtime-graphql-ws ${kind}] 10 connections racing with one ticket: ${connected} connected, ${outcomes.length - connected} closed 4403`);
      expect(connected).toBe(1);
      expect(outcomes.filter((outcome) => outcome !== 'connected')).toEqual(Array(9).fill(expect.objectContaining({ code: FORBIDDEN })));
    });

    test('a ticket issued before the pass was revoked opens nothing', async () => {
      const { browser, inviter, id } = await visitor();
      const ticket = await graphqlTicket(browser);
      expect((await gql(inviter, REVOKE, { id })).body.data.revokeVisitorPass.isActive).toBe(false);
      expect(await within(realtime.connect(ticket).outcome(), 'the outcome')).toMatchObject({ code: FORBIDDEN });
    });
  });

  describe('open sockets close when the visitor session ends', () => {
    test("revokeVisitorPass by the inviter closes every socket of that pass at once (4403 VISITOR_PASS_REVOKED); another visitor's stays open", async () => {
      const ginger = await visitor({ maxUses: 2 });
      const secondBrowser = app.agent();
      await openLink(secondBrowser, ginger.link).expect(303);
      const bob = await visitor({ firstName: 'Bob' });

      const gingerOne = await live(ginger.browser);
      const gingerTwo = await live(secondBrowser);
      const bobLive = await live(bob.browser);
      await Promise.all([moreValues(gingerOne.feed, 1), moreValues(gingerTwo.feed, 1), moreValues(bobLive.feed, 1)]);

      const since = Date.now();
      const revoked = await gql(ginger.inviter, REVOKE, { id: ginger.id });
      expect(revoked.body.data.revokeVisitorPass.isActive).toBe(false);
      await expectForbiddenClose(gingerOne.client, 'VISITOR_PASS_REVOKED', since, `${kind}: revoke → same-instance socket, browser 1`);
      await expectForbiddenClose(gingerTwo.client, 'VISITOR_PASS_REVOKED', since, `${kind}: revoke → same-instance socket, browser 2`);

      // The closed subscription gets nothing more.
      const count = gingerOne.feed.values.length;
      await expectStillLive(bobLive.client, bobLive.feed);
      expect(gingerOne.feed.values.length).toBe(count);
      await bobLive.client.dispose();
    });

    test("endVisitorSession (no deactivate) closes only that browser's socket, not another browser's on the same pass", async () => {
      const pass = await visitor({ maxUses: 3 });
      const other = app.agent();
      const third = app.agent();
      await openLink(other, pass.link).expect(303);
      await openLink(third, pass.link).expect(303);
      const ending = await live(pass.browser);
      const staying = await live(other);
      const deactivating = await live(third);
      await Promise.all([moreValues(ending.feed, 1), moreValues(staying.feed, 1), moreValues(deactivating.feed, 1)]);

      const since = Date.now();
      expect((await gql(pass.browser, 'mutation { endVisitorSession }')).body).toEqual({ data: { endVisitorSession: true } });
      await expectForbiddenClose(ending.client, null, since, `${kind}: endVisitorSession → that browser's socket`);
      await expectStillLive(staying.client, staying.feed);
      await expectStillLive(deactivating.client, deactivating.feed);
      // The pass itself still works for the other browsers.
      expect((await gql(other, '{ secret }')).body).toEqual({ data: { secret: 'secret' } });

      // With deactivate (from the third browser), the pass ends everywhere: the other browser's socket closes too.
      const deactivatedAt = Date.now();
      expect((await gql(third, 'mutation { endVisitorSession(deactivate: true) }')).body).toEqual({ data: { endVisitorSession: true } });
      await expectForbiddenClose(staying.client, 'VISITOR_PASS_REVOKED', deactivatedAt, `${kind}: endVisitorSession(deactivate) → another browser's socket`);
      // The deactivating browser's own socket closes as well, for the same reason.
      await expectForbiddenClose(deactivating.client, 'VISITOR_PASS_REVOKED', deactivatedAt, `${kind}: endVisitorSession(deactivate) → the caller's own socket`);
    });

    test('a subscribe after the pass was deactivated directly in the database is refused with VISITOR_PASS_REVOKED, then the socket closes', async () => {
      const { browser, id } = await visitor();
      const { client, feed } = await live(browser);
      await moreValues(feed, 1);

      await backdatePass(app.pass.models, id, { isActive: false });
      const since = Date.now();
      const again = client.subscribe(WHOAMI);
      await expectForbiddenClose(client, 'VISITOR_PASS_REVOKED', since, `${kind}: subscribe after a direct deactivation`);
      await settled(again, 'the refused subscribe');
      expect(feedCodes(again)).toEqual(['VISITOR_PASS_REVOKED']);
      expect(again.values).toEqual([]);
    });

    test('a socket closes by itself when the visitor session runs out (sessionExpiry 2 s → 4403 VISITOR_PASS_EXPIRED)', async () => {
      const inviter = app.agent();
      const invitation = await invite(inviter, { sessionExpiry: 2 });
      const browser = app.agent();
      const redeemedAt = Date.now();
      await openLink(browser, invitation.link).expect(303);
      const { client, feed } = await live(browser);
      await moreValues(feed, 1);
      const closed = await within(client.closed, 'the socket to close at the end of the session', 5000);
      expect(closed).toMatchObject({ code: FORBIDDEN, reason: 'VISITOR_PASS_EXPIRED' });
      expect(closed.at - redeemedAt).toBeGreaterThanOrEqual(1900);
      expect(closed.at - redeemedAt).toBeLessThan(3500);
    });

    test('a session longer than a timer can wait (30 days, past setTimeout\'s 24.8-day limit) keeps its socket open', async () => {
      const day = 24 * 3600;
      const other = await startTestApp({
        database: db,
        typeDefs: realtimeTypeDefs,
        resolvers: realtimeResolvers(),
        pass: { maxSessionAge: 40 * day, tickets: { redis: setup.redis, keyPrefix: uniquePrefix('graphql-ws-long') } },
      });
      const server = await listenRealtime(other);
      try {
        await untilTicketsAnswer(other.pass);
        const { browser } = await visitor({ sessionExpiry: 30 * day }, other);
        const { client, feed } = await live(browser, TICKS, server);
        await moreValues(feed, 4);
        expect(await client.outcome()).toBe('connected');
        expect(await Promise.race([client.closed.then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('open'), 300))])).toBe('open');
      } finally {
        await server.close();
        await other.stop();
        await other.pass.close();
      }
    });

    test('pass.close() closes the open sockets with 1001 (going away)', async () => {
      const other = await startTestApp({ database: db, typeDefs: realtimeTypeDefs, resolvers: realtimeResolvers(), pass: { tickets: { redis: setup.redis, keyPrefix: uniquePrefix('graphql-ws-close') } } });
      const server = await listenRealtime(other);
      try {
        await untilTicketsAnswer(other.pass);
        const { browser } = await visitor({}, other);
        const { client, feed } = await live(browser, TICKS, server);
        await moreValues(feed, 1);
        await other.pass.close();
        const closed = await within(client.closed, 'the socket to close on pass.close()');
        expect(closed.code).toBe(1001);
      } finally {
        await server.close();
        await other.stop();
        await other.pass.close();
      }
    });
  });
});

describeWithRedis('realtime-graphql-ws (two instances)')('two instances sharing Redis: sockets close across instances', () => {
  let db: TestDatabase;
  let one: TestApp;
  let two: TestApp;
  let realtimeOne: RealtimeServer;
  let realtimeTwo: RealtimeServer;
  const prefix = uniquePrefix('graphql-ws-two');

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    const start = () =>
      startTestApp({ database: db, typeDefs: realtimeTypeDefs, resolvers: realtimeResolvers(), pass: { tickets: { redis: requireRedisUrl(), keyPrefix: prefix } } });
    one = await start();
    two = await start();
    realtimeOne = await listenRealtime(one);
    realtimeTwo = await listenRealtime(two);
    await untilTicketsAnswer(one.pass);
    await untilTicketsAnswer(two.pass);
  });
  afterAll(async () => {
    await realtimeOne?.close();
    await realtimeTwo?.close();
    for (const each of [one, two]) {
      await each?.stop();
      await each?.pass.close();
    }
    const peek = await redisClient();
    await deleteKeys(peek, prefix);
    await peek.close();
    await db?.drop();
  });

  async function visitorOn(app: TestApp, input: Record<string, unknown> = {}) {
    const inviter = app.agent();
    const invitation = await invite(inviter, input);
    const browser = app.agent();
    await openLink(browser, invitation.link).expect(303);
    return { browser, inviter, id: invitation.visitor.id as string, link: invitation.link };
  }

  async function liveOn(server: RealtimeServer, ticket: string) {
    const client = server.connect(ticket);
    expect(await within(client.outcome(), 'the connection')).toBe('connected');
    const feed = client.subscribe(TICKS);
    await moreValues(feed, 1);
    return { client, feed };
  }

  test('a ticket issued on one instance opens a socket on the other; a revoke on the first closes it (pub/sub)', async () => {
    const ginger = await visitorOn(one);
    const bob = await visitorOn(one, { firstName: 'Bob' });
    const gingerLive = await liveOn(realtimeTwo, await graphqlTicket(ginger.browser));
    const bobLive = await liveOn(realtimeTwo, await graphqlTicket(bob.browser));

    const since = Date.now();
    expect((await gql(ginger.inviter, REVOKE, { id: ginger.id })).body.data.revokeVisitorPass.isActive).toBe(false);
    await expectForbiddenClose(gingerLive.client, 'VISITOR_PASS_REVOKED', since, 'redis: revoke on instance 1 → socket on instance 2');
    await expectStillLive(bobLive.client, bobLive.feed);
    await bobLive.client.dispose();
  });

  test('and the other way round: a revoke on instance 2 closes a socket on instance 1', async () => {
    const ginger = await visitorOn(two);
    const gingerLive = await liveOn(realtimeOne, await graphqlTicket(ginger.browser));
    const since = Date.now();
    expect((await gql(ginger.inviter, REVOKE, { id: ginger.id })).body.data.revokeVisitorPass.isActive).toBe(false);
    await expectForbiddenClose(gingerLive.client, 'VISITOR_PASS_REVOKED', since, 'redis: revoke on instance 2 → socket on instance 1');
  });

  test("endVisitorSession on one instance closes that session's socket on the other, not another browser's", async () => {
    const pass = await visitorOn(one, { maxUses: 2 });
    const other = one.agent();
    await openLink(other, pass.link).expect(303);
    const ending = await liveOn(realtimeTwo, await graphqlTicket(pass.browser));
    const staying = await liveOn(realtimeTwo, await graphqlTicket(other));

    const since = Date.now();
    expect((await gql(pass.browser, 'mutation { endVisitorSession }')).body).toEqual({ data: { endVisitorSession: true } });
    await expectForbiddenClose(ending.client, null, since, 'redis: endVisitorSession on instance 1 → socket on instance 2');
    await expectStillLive(staying.client, staying.feed);
    await staying.client.dispose();
  });

  test('a pass with another key prefix on the same Redis hears nothing', async () => {
    const isolated = await startTestApp({
      database: db,
      typeDefs: realtimeTypeDefs,
      resolvers: realtimeResolvers(),
      pass: { tickets: { redis: requireRedisUrl(), keyPrefix: uniquePrefix('graphql-ws-isolated') } },
    });
    const server = await listenRealtime(isolated);
    try {
      await untilTicketsAnswer(isolated.pass);
      const ginger = await visitorOn(one);
      // A two-use pass: one browser on instance 1's side, one redeemed on the isolated instance.
      const pass = await visitorOn(one, { maxUses: 2 });
      const elsewhere = isolated.agent();
      await openLink(elsewhere, pass.link).expect(303);
      const isolatedLive = await liveOn(server, await graphqlTicket(elsewhere));
      // A ticket from instance 1 means nothing to a pass with another prefix.
      expect(await within(server.connect(await graphqlTicket(ginger.browser)).outcome(), 'a foreign ticket')).toMatchObject({ code: FORBIDDEN });

      expect((await gql(pass.inviter, REVOKE, { id: pass.id })).body.data.revokeVisitorPass.isActive).toBe(false);
      // Instance 1 publishes on its own channel: the isolated socket is not told (it closes on its next subscribe).
      await expectStillLive(isolatedLive.client, isolatedLive.feed);
      const again = isolatedLive.client.subscribe(WHOAMI);
      await settled(again, 'the refused subscribe');
      expect(feedCodes(again)).toEqual(['VISITOR_PASS_REVOKED']);
      const closed = await within(isolatedLive.client.closed, 'the isolated socket to close');
      expect(closed).toMatchObject({ code: FORBIDDEN, reason: 'VISITOR_PASS_REVOKED' });
    } finally {
      await server.close();
      await isolated.stop();
      await isolated.pass.close();
    }
  });
});
