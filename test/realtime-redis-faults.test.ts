import { VISITOR_PASS_ERRORS, VisitorPassError, type VisitorPassEvents } from '../src';
import { gql, invite, INVITE, openLink, startTestApp, testPass, unknownToken, type TestApp } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/databases';
import {
  endpointTicket,
  graphqlTicket,
  ISSUE_TICKET,
  listenRealtime,
  moreValues,
  realtimeResolvers,
  realtimeTypeDefs,
  sleep,
  waitUntil,
  within,
  type RealtimeServer,
  type WsClient,
  type Feed,
} from './support/realtime';
import { describeWithRedis, redisClient, startRedisServer, uniquePrefix, untilTicketsAnswer, type RedisServer, type TestRedisClient } from './support/redis';
import { hostUserAgent } from './support/visitor-agent';

/**
 * Runs with the other Redis suites (VISITOR_PASS_TEST_REDIS_URL set), on a
 * redis-server of its own that it kills and restarts: without `redis-server`
 * on PATH it fails rather than skips.
 */
const describeFaults = describeWithRedis('realtime-redis-faults');

const REVOKE = 'mutation ($id: ID!) { revokeVisitorPass(id: $id) { id isActive } }';
const UNAVAILABLE = VISITOR_PASS_ERRORS.VISITOR_PASS_UNAVAILABLE.message;

/** Nothing about Redis may reach a client. */
function expectNothingLeaked(body: unknown, redis: RedisServer): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  for (const leak of ['ECONNREFUSED', 'ECONNRESET', 'Redis', 'redis', 'Socket', '127.0.0.1', String(redis.port), '    at ']) {
    expect(text).not.toContain(leak);
  }
}

/** Watches the process for promise rejections nobody handled. */
function watchUnhandledRejections(): { rejections: unknown[]; stop(): void } {
  const rejections: unknown[] = [];
  const listener = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', listener);
  return { rejections, stop: () => process.off('unhandledRejection', listener) };
}

describeFaults('Redis killed mid-run, then restarted', () => {
  let redis: RedisServer;
  let peek: TestRedisClient | undefined;
  let db: TestDatabase;
  let one: TestApp;
  let two: TestApp;
  let realtimeOne: RealtimeServer;
  let realtimeTwo: RealtimeServer;
  let unavailable: Array<VisitorPassEvents['unavailable']>;
  let watch: ReturnType<typeof watchUnhandledRejections>;
  const prefix = uniquePrefix('faults');
  const channel = `${prefix}sessions-ended`;

  /** Visitors with a socket open on instance one before Redis went away. */
  let ginger: { browser: ReturnType<TestApp['agent']>; inviter: ReturnType<TestApp['agent']>; id: string; client: WsClient; feed: Feed };
  let bob: typeof ginger;

  const subscribers = async () => Number(((await peek!.sendCommand(['PUBSUB', 'NUMSUB', channel])) as unknown[])[1]);

  async function visitorOn(app: TestApp, input: Record<string, unknown> = {}) {
    const inviter = app.agent();
    const invitation = await invite(inviter, input);
    const browser = app.agent();
    await openLink(browser, invitation.link).expect(303);
    return { browser, inviter, id: invitation.visitor.id as string };
  }

  async function liveOn(server: RealtimeServer, ticket: string) {
    const client = server.connect(ticket);
    expect(await within(client.outcome(), 'the connection')).toBe('connected');
    const feed = client.subscribe('subscription { ticks }');
    await moreValues(feed, 1);
    return { client, feed };
  }

  beforeAll(async () => {
    redis = await startRedisServer();
    peek = await redisClient(redis.url);
    db = await createTestDatabase('sqlite');
    const start = () =>
      startTestApp({ database: db, typeDefs: realtimeTypeDefs, resolvers: realtimeResolvers(), pass: { tickets: { redis: redis.url, keyPrefix: prefix } } });
    one = await start();
    two = await start();
    unavailable = [];
    one.pass.events.on('unavailable', (payload) => unavailable.push(payload));
    two.pass.events.on('unavailable', (payload) => unavailable.push(payload));
    realtimeOne = await listenRealtime(one);
    realtimeTwo = await listenRealtime(two);
    await untilTicketsAnswer(one.pass);
    await untilTicketsAnswer(two.pass);
    watch = watchUnhandledRejections();
  });
  afterAll(async () => {
    await realtimeOne?.close();
    await realtimeTwo?.close();
    for (const each of [one, two]) {
      await each?.stop();
      await each?.pass.close();
    }
    await peek?.close().catch(() => undefined);
    await redis?.stop();
    watch?.stop();
    await db?.drop();
  });

  describe('Redis up', () => {
    test('tickets are issued and open sockets; both instances listen on the channel', async () => {
      const gingerPass = await visitorOn(one);
      ginger = { ...gingerPass, ...(await liveOn(realtimeOne, await graphqlTicket(gingerPass.browser))) };
      const bobPass = await visitorOn(one, { firstName: 'Bob' });
      bob = { ...bobPass, ...(await liveOn(realtimeOne, await endpointTicket(bobPass.browser))) };
      await waitUntil(async () => (await subscribers()) === 2, 'both instances to subscribe to the channel');
      expect(unavailable).toEqual([]);
    });
  });

  describe('Redis killed (SIGKILL)', () => {
    beforeAll(async () => {
      // The test's own client goes first, so it does not reconnect in the background.
      peek?.destroy();
      peek = undefined;
      await redis.stop('SIGKILL');
      unavailable.length = 0;
    });

    test('issueRealtimeTicket answers VISITOR_PASS_UNAVAILABLE with HTTP 503 at once, leaking nothing', async () => {
      const started = Date.now();
      const response = await gql(ginger.browser, ISSUE_TICKET);
      const took = Date.now() - started;
      console.log(`[realtime-redis-faults] issueRealtimeTicket with Redis down answered ${response.status} in ${took} ms`);
      expect(response.status).toBe(503);
      expect(response.body.data).toBeNull();
      expect(response.body.errors).toHaveLength(1);
      expect(response.body.errors[0].extensions.code).toBe('VISITOR_PASS_UNAVAILABLE');
      expect(response.body.errors[0].message).toBe(UNAVAILABLE);
      expectNothingLeaked(response.body, redis);
      // No offline queue: no waiting for the 2 s command timeout.
      expect(took).toBeLessThan(1500);
      expect(unavailable.length).toBeGreaterThan(0);
      expect(unavailable[0].error).toBeInstanceOf(Error);
    });

    test('the JSON endpoint answers 503 { status: "error", code: "VISITOR_PASS_UNAVAILABLE" }', async () => {
      const response = await ginger.browser.post('/visitor-pass/ticket').set('content-type', 'application/json').send({});
      expect(response.status).toBe(503);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toEqual({ status: 'error', code: 'VISITOR_PASS_UNAVAILABLE' });
      expectNothingLeaked(response.text, redis);
    });

    test('pass.tickets.consume throws VISITOR_PASS_UNAVAILABLE for a well-formed ticket, and still says null to a malformed one', async () => {
      const error = await one.pass.tickets.consume(unknownToken()).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(VisitorPassError);
      expect((error as VisitorPassError).code).toBe('VISITOR_PASS_UNAVAILABLE');
      await expect(one.pass.tickets.consume('not a ticket')).resolves.toBeNull();
    });

    test('what needs no Redis keeps working: visitor queries, invitations, link redemption, host users', async () => {
      expect((await gql(ginger.browser, '{ secret whoami }')).body).toEqual({ data: { secret: 'secret', whoami: 'visitor:Ginger Rogers:REFERENCE_REQUEST' } });
      const fred = await hostUserAgent(one, { id: 'fred' });
      const invited = await gql(fred, INVITE, { input: { firstName: 'Carol', email: 'carol@example.com', scope: 'REFERENCE_REQUEST' } });
      expect(invited.status).toBe(200);
      const { link } = invited.body.data.inviteVisitor;
      const carol = one.agent();
      await openLink(carol, link).expect(303);
      expect((await gql(carol, '{ secret whoami }')).body).toEqual({ data: { secret: 'secret', whoami: 'visitor:Carol:REFERENCE_REQUEST' } });
      // On the other instance as well.
      expect((await gql(two.agent(), '{ publicInfo }')).body).toEqual({ data: { publicInfo: 'public' } });
    });

    test('a WebSocket connecting now is refused (not admitted), and leaks nothing', async () => {
      const client = realtimeOne.connect(unknownToken());
      const outcome = await within(client.outcome(), 'the outcome of a connection with Redis down');
      expect(outcome).not.toBe('connected');
      const closed = outcome as { code: number; reason: string };
      console.log(`[realtime-redis-faults] WebSocket connect with Redis down: closed ${closed.code} ${closed.reason}`);
      expectNothingLeaked(closed.reason, redis);
    });

    test("a revoke still closes the visitor's socket on this instance at once (4403); another visitor's socket stays open; nothing crashes", async () => {
      const since = Date.now();
      const revoked = await gql(ginger.inviter, REVOKE, { id: ginger.id });
      expect(revoked.body.data.revokeVisitorPass.isActive).toBe(false);
      const closed = await within(ginger.client.closed, "ginger's socket to close");
      const delay = closed.at - since;
      console.log(`[realtime-redis-faults] revoke with Redis down → same-instance socket closed after ${delay} ms (${closed.code} ${closed.reason})`);
      expect(closed).toMatchObject({ code: 4403, reason: 'VISITOR_PASS_REVOKED' });
      expect(delay).toBeLessThan(2000);

      await moreValues(bob.feed, 2);
      expect(bob.client.isClosed()).toBe(false);
      // The failed publish was reported, not thrown.
      await waitUntil(() => unavailable.length > 0, 'the failed publish to be reported');
      await sleep(50);
      expect(watch.rejections).toEqual([]);
    });
  });

  describe('Redis restarted on the same port', () => {
    let recoveredAfter: number;
    beforeAll(async () => {
      const restarting = Date.now();
      redis = await startRedisServer(redis.port);
      peek = await redisClient(redis.url);
      const restarted = Date.now();
      console.log(`[realtime-redis-faults] redis-server restarted on port ${redis.port}, answering PING after ${restarted - restarting} ms`);
      // Poll: the pass reconnects by itself.
      const fred = await hostUserAgent(one, { id: 'fred' });
      await waitUntil(async () => (await gql(fred, ISSUE_TICKET)).status === 200, 'issueRealtimeTicket to work again', 10_000);
      recoveredAfter = Date.now() - restarted;
      console.log(`[realtime-redis-faults] issueRealtimeTicket worked again ${recoveredAfter} ms after redis-server answered PING`);
    });

    test('within a few seconds tickets are issued again, and open sockets', async () => {
      expect(recoveredAfter).toBeLessThan(5000);
      const dora = await visitorOn(one, { firstName: 'Dora' });
      const live = await liveOn(realtimeOne, await endpointTicket(dora.browser));
      await live.client.dispose();
      expect(watch.rejections).toEqual([]);
    });

    test('both instances subscribe to the channel again, and a revoke on one closes a socket on the other', async () => {
      const started = Date.now();
      await waitUntil(async () => (await subscribers()) === 2, 'both instances to subscribe to the channel again', 10_000);
      console.log(`[realtime-redis-faults] channel subscribers back to 2 after ${Date.now() - started} ms more`);
      await untilTicketsAnswer(two.pass);

      const erin = await visitorOn(one, { firstName: 'Erin' });
      // A ticket from instance one, a socket on instance two.
      const live = await liveOn(realtimeTwo, await graphqlTicket(erin.browser));
      const since = Date.now();
      expect((await gql(erin.inviter, REVOKE, { id: erin.id })).body.data.revokeVisitorPass.isActive).toBe(false);
      const closed = await within(live.client.closed, "erin's socket on instance two to close");
      const delay = closed.at - since;
      console.log(`[realtime-redis-faults] after the restart: revoke on instance 1 → socket on instance 2 closed after ${delay} ms`);
      expect(closed).toMatchObject({ code: 4403, reason: 'VISITOR_PASS_REVOKED' });
      expect(delay).toBeLessThan(2000);
      expect(bob.client.isClosed()).toBe(false);
      expect(watch.rejections).toEqual([]);
    });
  });
});

describeFaults("a pass's own Redis connection, right after createVisitorPass", () => {
  let redis: RedisServer;
  let peek: TestRedisClient;
  let db: TestDatabase;

  beforeAll(async () => {
    redis = await startRedisServer();
    peek = await redisClient(redis.url);
    db = await createTestDatabase('sqlite');
  });
  afterAll(async () => {
    await peek?.close().catch(() => undefined);
    // Also ends any connection a test below left behind.
    await redis?.stop();
    await db?.drop();
  });

  /** Connections the server has, other than the test's own. */
  const otherClients = async () => (await peek.sendCommand(['CLIENT', 'LIST'])).toString().trim().split('\n').length - 1;

  test('with Redis up, the first ticket look-up of a new pass is answered (not VISITOR_PASS_UNAVAILABLE)', async () => {
    const pass = testPass(db, { tickets: { redis: redis.url, keyPrefix: uniquePrefix('fresh') } });
    try {
      await expect(pass.tickets.consume(unknownToken())).resolves.toBeNull();
    } finally {
      console.log(`[realtime-redis-faults] a new pass answered ticket look-ups only ${await untilTicketsAnswer(pass)} ms later`);
      await pass.close();
    }
  });

  test('pass.close() right after creating a pass leaves no connection to Redis open', async () => {
    expect(await otherClients()).toBe(0);
    const pass = testPass(db, { tickets: { redis: redis.url, keyPrefix: uniquePrefix('closed-at-once') } });
    await pass.close();
    await sleep(300);
    const left = await otherClients();
    if (left > 0) console.log(`[realtime-redis-faults] pass.close() right after creation left ${left} Redis connection(s) open`);
    expect(left).toBe(0);
  });

  test('pass.close() once connected closes its connections', async () => {
    const before = await otherClients();
    const pass = testPass(db, { tickets: { redis: redis.url, keyPrefix: uniquePrefix('closed-later') } });
    await untilTicketsAnswer(pass);
    await waitUntil(async () => (await otherClients()) === before + 2, 'the client and its subscriber to connect');
    await pass.close();
    await waitUntil(async () => (await otherClients()) === before, 'both connections to close');
  });
});
