import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import request from 'supertest';
import { createReferenceApp, type InvitationMail, type ReferenceApp } from '../examples/reference-request/app';
import { gql } from './support/app';
import { createTestDatabase, type TestDatabase } from './support/databases';
import { BROWSER, eventually, GraphqlSocket, wsUrlOf } from './support/example-process';

/**
 * The example app with PostgreSQL behind a TCP proxy the test can cut: what
 * a client sees while the database is unreachable, and that the app comes
 * back by itself once it is reachable again.
 */
const POSTGRES_URL = process.env.VISITOR_PASS_TEST_POSTGRES_URL;
const REDIS_URL = process.env.VISITOR_PASS_TEST_REDIS_URL;
if (!POSTGRES_URL) process.stderr.write('database-faults: skipped (needs VISITOR_PASS_TEST_POSTGRES_URL)\n');
if (POSTGRES_URL && !REDIS_URL) console.log('database-faults: Redis-session cases skipped (VISITOR_PASS_TEST_REDIS_URL is not set)');

/** A TCP proxy to `host:port`; `cut()` drops every piped connection and resets new ones until `restore()`. */
class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private isCut = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static start(host: string, port: number): Promise<TcpProxy> {
    return new Promise((resolve, reject) => {
      let proxy: TcpProxy;
      const server = createServer((client) => proxy.accept(client, host, port));
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        proxy = new TcpProxy(server, (server.address() as AddressInfo).port);
        resolve(proxy);
      });
    });
  }

  private accept(client: Socket, host: string, port: number): void {
    if (this.isCut) {
      client.destroy();
      return;
    }
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** The database is gone: open connections drop, new ones are reset at once. */
  cut(): void {
    this.isCut = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.isCut = false;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const LOGIN = 'mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { id name } }';
const INVITE = /* GraphQL */ `
  mutation Invite($email: String!) {
    inviteVisitor(input: { firstName: "Ginger", lastName: "Rogers", email: $email, scope: "REFERENCE_REQUEST", context: { message: "Still there?" } }) {
      link
    }
  }
`;
const REFERENCE_REQUEST = '{ referenceRequest { visitorName message } }';
const UNAVAILABLE_MESSAGE = 'Visitor passes are unavailable right now; try again later.';

const codes = (response: request.Response): string[] =>
  (response.body.errors ?? []).map((error: { extensions?: { code?: string } }) => error.extensions?.code);
const pathOf = (link: string) => {
  const url = new URL(link);
  return url.pathname + url.search;
};

/** Nothing about the database may reach a client: no SQL, no driver, no address, no stack. */
function expectNothingLeaked(response: request.Response): void {
  const text = response.text;
  for (const leak of ['SELECT', 'INSERT', 'UPDATE', 'Sequelize', 'ECONNREFUSED', 'ECONNRESET', 'terminated', '127.0.0.1', 'postgres', '    at ']) {
    expect(text).not.toContain(leak);
  }
}

type SessionKind = 'database sessions' | 'Redis sessions';
const sessionKinds: SessionKind[] = ['database sessions', ...(REDIS_URL ? (['Redis sessions'] as const) : [])];

(POSTGRES_URL ? describe.each(sessionKinds) : describe.skip.each(sessionKinds))('the example app on PostgreSQL behind a proxy that is cut (%s)', (kind) => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let reference: ReferenceApp;
  let base: string;
  const mailed: InvitationMail[] = [];
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  let quiet: jest.SpyInstance;
  let fred: request.Agent;
  let ginger: request.Agent;
  /** Fred's realtime ticket, fetched while the database answered (his login is read from it). */
  let fredTicket: string;
  const browser = () => request.agent(base).set('User-Agent', BROWSER);
  const redisKeyPrefix = `reference-faults-${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    const url = new URL(db.url);
    proxy = await TcpProxy.start(url.hostname, Number(url.port || 5432));
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    reference = await createReferenceApp({
      databaseUrl: url.toString(),
      port: 0,
      sessionSecret: 'faults-secret',
      sendMail: (mail) => mailed.push(mail),
      ...(kind === 'Redis sessions' ? { redisUrl: REDIS_URL, redisKeyPrefix } : {}),
    });
    base = await reference.start();
    process.on('unhandledRejection', onRejection);

    fred = browser();
    ginger = browser();
    expect((await gql(fred, LOGIN, { email: 'fred@example.com', password: 'fred' })).body.data.login.name).toBe('Fred Astaire');
    const invited = await gql(fred, INVITE, { email: 'ginger@example.com' });
    expect((await ginger.get(pathOf(invited.body.data.inviteVisitor.link))).status).toBe(303);
    expect((await gql(ginger, REFERENCE_REQUEST)).body.data.referenceRequest).toEqual({ visitorName: 'Ginger Rogers', message: 'Still there?' });
    fredTicket = (await fred.post('/visitor-pass/ticket').set('content-type', 'application/json').send({}).expect(200)).body.ticket;
  }, 60_000);

  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    quiet?.mockRestore();
    proxy?.restore();
    if (reference?.redis) {
      for await (const keys of reference.redis.scanIterator({ MATCH: `${redisKeyPrefix}*`, COUNT: 500 })) if (keys.length > 0) await reference.redis.del(keys);
    }
    await reference?.stop();
    await proxy?.close();
    await db?.drop();
  });

  describe('with the connection cut', () => {
    beforeAll(() => {
      // The app reports each failure on the console; the tests look at what clients get.
      quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      proxy.cut();
    });

    test('/healthz answers 503, promptly', async () => {
      const started = Date.now();
      const response = await request(base).get('/healthz');
      expect([response.status, response.body]).toEqual([503, { status: 'unavailable' }]);
      expect(Date.now() - started).toBeLessThan(5000);
    });

    test('Fred’s inviteVisitor answers VISITOR_PASS_UNAVAILABLE (503), with no SQL or driver text', async () => {
      const before = mailed.length;
      const response = await gql(fred, INVITE, { email: 'cyd@example.com' });
      expect(response.status).toBe(503);
      expect(codes(response)).toEqual(['VISITOR_PASS_UNAVAILABLE']);
      expect(response.body.errors[0].message).toBe(UNAVAILABLE_MESSAGE);
      expectNothingLeaked(response);
      expect(mailed).toHaveLength(before);
    });

    test('Ginger’s visitor query answers VISITOR_PASS_UNAVAILABLE', async () => {
      const response = await gql(ginger, REFERENCE_REQUEST);
      expect(codes(response)).toEqual(['VISITOR_PASS_UNAVAILABLE']);
      expectNothingLeaked(response);
      if (kind === 'database sessions') {
        // Her session cannot even be read: refused as a whole.
        expect(response.status).toBe(503);
      } else {
        // Her session (in Redis) is read, the pass behind it is not: the pass denies the field, and a
        // result with data answers 200 (GraphQL over HTTP), the field null with the error.
        expect(response.status).toBe(200);
        expect(response.body.data).toEqual({ referenceRequest: null });
        expect(response.body.errors[0].path).toEqual(['referenceRequest']);
      }
    });

    test('an anonymous read of the guestbook (the example’s own resolver) is VISITOR_PASS_UNAVAILABLE (503) too', async () => {
      const response = await gql(browser(), '{ guestbook { id } }');
      expect(response.status).toBe(503);
      expect(codes(response)).toEqual(['VISITOR_PASS_UNAVAILABLE']);
      expect(response.body.errors[0].path).toEqual(['guestbook']);
      expectNothingLeaked(response);
    });

    test('an invitation link opened now gets the friendly “try again” page (503), not an error', async () => {
      const page = await browser().get(`/reference?vuid=${randomBytes(32).toString('base64url')}`);
      expect(page.status).toBe(503);
      expect(page.text).toContain('data-code="VISITOR_PASS_UNAVAILABLE"');
      expectNothingLeaked(page);
    });

    test('what needs no database still answers: an anonymous me, the bare /reference page, the ticket endpoint', async () => {
      const anonymous = browser();
      const me = await gql(anonymous, '{ me { id } }');
      expect([me.status, me.body]).toEqual([200, { data: { me: null } }]);
      const page = await anonymous.get('/reference');
      expect(page.status).toBe(401);
      expect(page.text).toContain('This page is for invited visitors');
      const ticket = await anonymous.post('/visitor-pass/ticket').set('content-type', 'application/json').send({});
      expect([ticket.status, ticket.body]).toEqual([401, { status: 'error', code: 'REALTIME_TICKET_FORBIDDEN' }]);
    });

    // With Redis sessions her session can be read while her pass cannot: she is told the store is down, not that she is nobody.
    test('a visitor asking for a ticket gets VISITOR_PASS_UNAVAILABLE (503), not “forbidden”', async () => {
      const refused = await ginger.post('/visitor-pass/ticket').set('content-type', 'application/json').send({});
      expect([refused.status, refused.body]).toEqual([503, { status: 'error', code: 'VISITOR_PASS_UNAVAILABLE' }]);
      const mutation = await gql(ginger, 'mutation { issueRealtimeTicket { ticket } }');
      expect([mutation.status, codes(mutation)]).toEqual([503, ['VISITOR_PASS_UNAVAILABLE']]);
    });

    test('Fred’s socket (ticket fetched before the cut) is admitted; his subscribe closes it 4500 with the pass’s words, no driver text', async () => {
      // A host user's ticket needs no database to be consumed; loading him for the operation does.
      const socket = new GraphqlSocket(wsUrlOf(base), { ticket: fredTicket });
      expect(await socket.admitted).toBe('ack');
      socket.subscribe('1', 'subscription { referenceEvents { event } }');
      expect(await socket.closed).toMatchObject({ code: 4500, reason: UNAVAILABLE_MESSAGE });
    });

    test('nothing went unhandled: no unhandled rejection, the server still listens', async () => {
      // Whatever was still in flight (access logs, session saves) has settled by now.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(rejections).toEqual([]);
      expect(reference.httpServer.listening).toBe(true);
      expect(quiet).toHaveBeenCalled();
    });
  });

  describe('after the connection is restored', () => {
    beforeAll(() => {
      proxy.restore();
      quiet.mockRestore();
    });

    test('the app recovers by itself: /healthz, Fred, Ginger', async () => {
      const started = Date.now();
      await eventually(async () => (await request(base).get('/healthz')).status === 200, 15_000, 'healthz 200 again');
      console.log(`database-faults (${kind}): healthy again ${Date.now() - started} ms after the restore`);

      expect((await gql(ginger, REFERENCE_REQUEST)).body).toEqual({ data: { referenceRequest: { visitorName: 'Ginger Rogers', message: 'Still there?' } } });
      const invited = await gql(fred, INVITE, { email: 'cyd@example.com' });
      expect(invited.body.errors).toBeUndefined();
      expect(invited.body.data.inviteVisitor.link).toMatch(/\?vuid=[\w-]{43}$/);
      expect(rejections).toEqual([]);
    });
  });
});
