import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { createTestDatabase, type TestDatabase } from './support/databases';
import { Browser, buildOnce, freePort, GraphqlSocket, startExampleProcess, wsUrlOf, type ExampleProcess } from './support/example-process';

/**
 * Two processes of the example app (`node dist/examples/reference-request/main.js`)
 * behind no balancer, sharing one PostgreSQL database and one Redis: sessions,
 * tickets and "this pass ended" news must cross between them.
 */
const POSTGRES_URL = process.env.VISITOR_PASS_TEST_POSTGRES_URL;
const REDIS_URL = process.env.VISITOR_PASS_TEST_REDIS_URL;
const enabled = Boolean(POSTGRES_URL && REDIS_URL);
if (!enabled) process.stderr.write('two-instances: skipped (needs VISITOR_PASS_TEST_POSTGRES_URL and VISITOR_PASS_TEST_REDIS_URL)\n');

const LOGIN = 'mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { id name } }';
const INVITE = /* GraphQL */ `
  mutation Invite($email: String!) {
    inviteVisitor(input: { firstName: "Ginger", lastName: "Rogers", email: $email, scope: "REFERENCE_REQUEST", context: { message: "Two instances?" } }) {
      link
      visitor { id }
    }
  }
`;
const REFERENCE_REQUEST = '{ referenceRequest { visitorName message } }';
const SAVE_DRAFT = 'mutation Save($text: String!) { saveReferenceDraft(text: $text) { id status } }';
const REVOKE = 'mutation Revoke($id: ID!) { revokeVisitorPass(id: $id) { id isActive } }';
const REFERENCE_EVENTS = 'subscription { referenceEvents { event visitorId visitorName } }';
const PARALLEL = 50;

const codes = (body: { errors?: Array<{ extensions?: { code?: string } }> }) => (body.errors ?? []).map((error) => error.extensions?.code);
const pathOf = (link: string) => {
  const url = new URL(link);
  return url.pathname + url.search;
};

(enabled ? describe : describe.skip)('two example-app processes sharing PostgreSQL and Redis', () => {
  let db: TestDatabase;
  let a: ExampleProcess;
  let b: ExampleProcess;
  const prefix = `reference-two-${randomBytes(4).toString('hex')}:`;
  const fred = new Browser();
  const ginger = new Browser();
  let invitation: { link: string; visitor: { id: string } };

  beforeAll(async () => {
    buildOnce();
    db = await createTestDatabase('postgres');
    const portA = await freePort();
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: REDIS_URL!,
      REDIS_KEY_PREFIX: prefix,
      SESSION_SECRET: 'two-instances-secret',
      LINK_BASE_URL: `http://localhost:${portA}/reference`,
    };
    // One after the other: the first migrates and seeds the fresh database, the second finds it done.
    a = await startExampleProcess('A', env, portA);
    b = await startExampleProcess('B', env);
  }, 120_000);

  afterAll(async () => {
    const exits = await Promise.all([a, b].map((instance) => instance?.stop()));
    for (const [i, code] of exits.entries()) {
      if (code !== 0 && code !== undefined) console.log(`instance ${'AB'[i]} exited with ${code}:\n${[a, b][i]?.output()}`);
    }
    if (process.env.SHOW_INSTANCE_OUTPUT) console.log(`A:\n${a?.output()}\nB:\n${b?.output()}`);
    await db?.drop();
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length > 0) await redis.del(keys);
    await redis.close();
    expect(exits).toEqual([0, 0]);
  }, 30_000);

  test('Fred logs in on A and invites Ginger; his session works on B too', async () => {
    const login = await fred.gql(a.base, LOGIN, { email: 'fred@example.com', password: 'fred' });
    expect(login.body).toEqual({ data: { login: { id: expect.any(String), name: 'Fred Astaire' } } });
    const invited = await fred.gql(a.base, INVITE, { email: 'ginger@example.com' });
    expect(invited.body.errors).toBeUndefined();
    invitation = invited.body.data.inviteVisitor;
    expect(invitation.link.startsWith(`${a.base}/reference?vuid=`)).toBe(true);
    expect((await fred.gql(b.base, '{ me { name } }')).body.data.me).toEqual({ name: 'Fred Astaire' });
  });

  test('Ginger opens the link on B; her session works on A', async () => {
    const opened = await ginger.fetch(`${b.base}${pathOf(invitation.link)}`);
    expect(opened.status).toBe(303);
    expect(opened.headers.get('location')).toBe('/reference');
    expect(await (await ginger.fetch(`${b.base}/reference`)).text()).toContain('<h1>Hello Ginger Rogers</h1>');

    const onA = await ginger.gql(a.base, REFERENCE_REQUEST);
    expect(onA.body).toEqual({ data: { referenceRequest: { visitorName: 'Ginger Rogers', message: 'Two instances?' } } });
  });

  test('a ticket issued on A is consumed on B, once', async () => {
    const ticket = await fred.ticket(a.base);
    const onB = new GraphqlSocket(wsUrlOf(b.base), { ticket });
    expect(await onB.admitted).toBe('ack');
    const againOnA = new GraphqlSocket(wsUrlOf(a.base), { ticket });
    expect(await againOnA.admitted).toMatchObject({ code: 4403 });
    onB.close();
    await onB.closed;
  });

  test(`${PARALLEL} connections racing for one ticket over A and B: exactly one is admitted, the rest closed 4403`, async () => {
    const ticket = await fred.ticket(b.base);
    const sockets = Array.from({ length: PARALLEL }, (_, i) => new GraphqlSocket(wsUrlOf((i % 2 === 0 ? a : b).base), { ticket }));
    const outcomes = await Promise.all(sockets.map((socket) => socket.admitted));
    const admitted = outcomes.filter((outcome) => outcome === 'ack');
    const refused = outcomes.filter((outcome) => outcome !== 'ack' && outcome.code === 4403);
    const winner = outcomes.findIndex((outcome) => outcome === 'ack');
    console.log(`two-instances: ${PARALLEL} racing consumes of one ticket: ${admitted.length} admitted (on ${'AB'[winner % 2]}), ${refused.length} closed 4403`);
    expect(admitted).toHaveLength(1);
    expect(refused).toHaveLength(PARALLEL - 1);
    sockets[winner].close();
    await sockets[winner].closed;
  });

  test('live events cross instances: Ginger saves a draft on B, Fred’s subscription on A hears it', async () => {
    const socket = new GraphqlSocket(wsUrlOf(a.base), { ticket: await fred.ticket(a.base) });
    expect(await socket.admitted).toBe('ack');
    socket.subscribe('events', REFERENCE_EVENTS);
    // No message says a subscription is listening yet: save until the first event arrives.
    let event: Awaited<ReturnType<GraphqlSocket['next']>> | undefined;
    for (let attempt = 0; attempt < 20 && !event; attempt++) {
      expect((await ginger.gql(b.base, SAVE_DRAFT, { text: `Draft ${attempt}` })).body.errors).toBeUndefined();
      event = await socket.next('events', 250).catch(() => undefined);
    }
    expect(event).toEqual({
      id: 'events',
      type: 'next',
      payload: { data: { referenceEvents: { event: 'DRAFT_SAVED', visitorId: invitation.visitor.id, visitorName: 'Ginger Rogers' } } },
    });
    socket.close();
    await socket.closed;
  });

  test('Fred revokes on B: Ginger’s socket on A closes within 2 s, and her next request on A is denied', async () => {
    const socket = new GraphqlSocket(wsUrlOf(a.base), { ticket: await ginger.ticket(a.base) });
    expect(await socket.admitted).toBe('ack');

    const sent = Date.now();
    const revoked = await fred.gql(b.base, REVOKE, { id: invitation.visitor.id });
    const answered = Date.now();
    expect(revoked.body).toEqual({ data: { revokeVisitorPass: { id: invitation.visitor.id, isActive: false } } });
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([socket.closed, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 5000)))]);
    clearTimeout(timer);
    expect(closed).not.toBeNull();
    // B publishes before it answers, so the close may even arrive before the revoke's response.
    console.log(
      `two-instances: revoke on B closed Ginger's socket on A ${closed!.at - sent} ms after the revoke was sent ` +
        `(${closed!.at - answered} ms relative to B's response, which took ${answered - sent} ms)`,
    );
    expect(closed).toMatchObject({ code: 4403, reason: 'VISITOR_PASS_REVOKED' });
    expect(closed!.at - sent).toBeLessThan(2000);

    const denied = await ginger.gql(a.base, REFERENCE_REQUEST);
    expect(denied.body.data).toEqual({ referenceRequest: null });
    expect(codes(denied.body)).toEqual(['VISITOR_PASS_REVOKED']);
    expect(denied.body.extensions).toEqual({ visitorPass: { sessionEnded: 'VISITOR_PASS_REVOKED' } });
    // Nor does she get a ticket, on either instance.
    for (const instance of [a, b]) {
      const response = await ginger.fetch(`${instance.base}/visitor-pass/ticket`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(response.status).toBe(401);
    }
  });

  test('SIGTERM stops each instance cleanly (exit code 0), with an open socket too', async () => {
    const socket = new GraphqlSocket(wsUrlOf(b.base), { ticket: await fred.ticket(b.base) });
    expect(await socket.admitted).toBe('ack');
    expect(await b.stop()).toBe(0);
    expect(await socket.closed).toMatchObject({ code: 1001 });
    expect(b.output()).toContain('Stopped.');
  });
});
