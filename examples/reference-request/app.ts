import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import { makeExecutableSchema } from '@graphql-tools/schema';
import express, { type ErrorRequestHandler } from 'express';
import { getOperationAST, GraphQLError, parse, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  createClient,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
} from 'redis';
import type { Sequelize } from 'sequelize';
import { WebSocketServer } from 'ws';
import { connectDatabase, createVisitorPass, isDatabaseFailure, VISITOR_PASS_ERRORS, VisitorPassError, type VisitorPass } from '../../src';
import { createSessions, loadUser } from './auth';
import { defineReferenceModels, migrateReferenceTables, seedUsers, type ReferenceModels } from './data';
import { guestHooks, listenForGuests } from './guests';
import { memoryFeed, redisFeed, type RedisClient, type ReferenceFeed } from './live';
import { Outbox, type InvitationMail } from './outbox';
import { createReferenceResolvers, REFERENCE_SCOPE, referenceEvent, referenceTypeDefs, type ReferenceContext } from './schema';
import { webRoutes } from './web';

export interface ReferenceAppOptions {
  /** `sqlite:<path>`, `postgres://…`, `mysql://…` or `mariadb://…`. */
  databaseUrl: string;
  /** Port `start()` listens on; 0 picks a free one. Default 4000. */
  port?: number;
  /** Page the invitation links open. Default `http://localhost:<port>/reference`. */
  linkBaseUrl?: string;
  /** Signs the session cookie. Default: a development secret, with a warning. */
  sessionSecret?: string;
  /** Delivers the invitation mail. Default: printed to the console (a development mail backend; there is no SMTP here). */
  sendMail?: (mail: InvitationMail) => void;
  /**
   * `redis://…`: sessions (connect-redis), realtime tickets and live events go
   * through this Redis, so several instances can serve the same people.
   * Default: none; sessions in the database, tickets and events in this process.
   */
  redisUrl?: string;
  /** Prefix of every Redis key and channel of the app. Default `reference-request:`. */
  redisKeyPrefix?: string;
  /**
   * Keep the invitation mails in an in-memory outbox shown at `/dev/outbox` (links and tokens included).
   * Default: on unless NODE_ENV is `production`.
   */
  devOutbox?: boolean;
}

export interface ReferenceApp {
  app: express.Express;
  /** Created up front so Apollo can drain it; listening once `start()` resolves. */
  httpServer: Server;
  pass: VisitorPass<ReferenceContext>;
  sequelize: Sequelize;
  models: ReferenceModels;
  /** Live events behind `Subscription.referenceEvents`. */
  feed: ReferenceFeed;
  /** The app's Redis client when `redisUrl` is set. */
  redis: RedisClient | null;
  /** The mails the app produced (`/dev/outbox`), or null when `devOutbox` is off. */
  outbox: Outbox | null;
  /** Listens; resolves to the base URL, e.g. `http://localhost:4000`. */
  start(): Promise<string>;
  /** Stops accepting, closes the WebSockets, finishes open requests, drains the access log, closes Redis and the database. */
  stop(): Promise<void>;
}

export type { InvitationMail } from './outbox';

/** The development mail backend: the mail is shown on the console instead of sent. */
function printMail(mail: InvitationMail): void {
  console.log(`--- mail (development: printed, not sent) ---\nTo: ${mail.to}\nSubject: ${mail.subject}\n\n${mail.text}\n---`);
}

const DEV_SESSION_SECRET = 'reference-request-dev-secret';

/** Logs Redis trouble once per distinct message (node-redis repeats it on every reconnection attempt), and the recovery. */
function redisLogger() {
  let last = '';
  return {
    error(error: Error) {
      if (error.message === last) return;
      last = error.message;
      console.error(`reference-request: Redis: ${error.message}`);
    },
    ready() {
      if (last) console.log('reference-request: Redis: connected again');
      last = '';
    },
  };
}

async function connectRedis(url: string, log: ReturnType<typeof redisLogger>): Promise<RedisClient> {
  // No offline queue: while Redis is down a session read fails at once (503) instead of hanging.
  const client: RedisClient = createClient({ url, disableOfflineQueue: true });
  client.on('error', log.error);
  client.on('ready', log.ready);
  await client.connect();
  return client;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Redis is down or unreachable (the session store reads it before anything else). */
function isRedisFailure(error: unknown): boolean {
  return [ClientClosedError, ClientOfflineError, ConnectionTimeoutError, SocketClosedUnexpectedlyError, SocketTimeoutError].some(
    (type) => error instanceof type,
  );
}

/** A client's mistake already marked by Express's body parser (malformed JSON, too large): its 4xx status. */
function clientErrorStatus(error: unknown): number | null {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}

/** What a client sees when the database is down: the pass's own code, so one retry rule covers both. */
const UNAVAILABLE = { code: 'VISITOR_PASS_UNAVAILABLE', message: VISITOR_PASS_ERRORS.VISITOR_PASS_UNAVAILABLE.message } as const;

/**
 * The example's own resolvers hit the database too (`references`, `guestbook`,
 * saving a draft): their database errors become VISITOR_PASS_UNAVAILABLE,
 * never the driver's message, and a response with no data answers 503.
 */
function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  if (!isDatabaseFailure(unwrapResolverError(error))) return formatted;
  console.error('reference-request: database failure in an operation:', (unwrapResolverError(error) as Error).message);
  return { message: UNAVAILABLE.message, locations: formatted.locations, path: formatted.path, extensions: { code: UNAVAILABLE.code } };
}

const unavailableStatus: ApolloServerPlugin<ReferenceContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== 'single') return;
        const { data, errors } = response.body.singleResult;
        if (data == null && errors?.some((error) => error.extensions?.code === UNAVAILABLE.code)) response.http.status = 503;
      },
    };
  },
};

/**
 * Errors that left a middleware (the session store or `loadUser` reading the
 * database, before GraphQL runs): 503 while the database is down, 500
 * otherwise; details go to the console, never to the client (Express's own
 * handler would show a stack trace outside production).
 */
const answerErrors: ErrorRequestHandler = (error, req, res, next) => {
  if (res.headersSent) return next(error);
  const clientStatus = clientErrorStatus(error);
  const down = isDatabaseFailure(error) || isRedisFailure(error);
  const [status, code, message] = clientStatus
    ? [clientStatus, 'BAD_REQUEST', 'The request could not be read.']
    : down
      ? [503, UNAVAILABLE.code, UNAVAILABLE.message]
      : [500, 'INTERNAL_SERVER_ERROR', 'Something went wrong.'];
  if (!clientStatus) console.error(`reference-request: ${req.method} ${req.path} failed:`, down ? (error as Error).message : error);
  res.status(status).set('Cache-Control', 'no-store');
  if (req.path === '/graphql') res.json({ errors: [{ message, extensions: { code } }] });
  else res.json({ status: 'error', code });
};

/** The operation a graphql-ws message asks for, or null when its query does not even parse (graphql-ws reports that). */
function operationOf(query: string, operationName: string | null | undefined): ReturnType<typeof getOperationAST> | null {
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch {
    return null;
  }
  return getOperationAST(document, operationName);
}

/** The Fred & Ginger app: migrated, seeded and ready to `start()`. */
export async function createReferenceApp(options: ReferenceAppOptions): Promise<ReferenceApp> {
  const port = options.port ?? 4000;
  const sendMail = options.sendMail ?? printMail;
  if (!options.sessionSecret) {
    console.warn('reference-request: SESSION_SECRET is not set; using a development secret. Set it anywhere but your own machine.');
  }

  const sequelize = connectDatabase(options.databaseUrl);
  const models = defineReferenceModels(sequelize);
  const redisPrefix = options.redisKeyPrefix ?? 'reference-request:';
  const redisLog = redisLogger();
  const redis = options.redisUrl ? await connectRedis(options.redisUrl, redisLog) : null;
  const pass = createVisitorPass<ReferenceContext>({
    sequelize,
    linkBaseUrl: options.linkBaseUrl ?? `http://localhost:${port}/reference`,
    bypass: { staff: (context) => Boolean(context.user?.isStaff) },
    // Anonymous browsers that sign the guestbook become guests; `convertVisitor` signs them up.
    // No `loginUrl` or `guests.convertUrl`: this example has no login or sign-up page, only GraphQL.
    guests: guestHooks(models),
    // Tickets are consumed on whichever instance the WebSocket reaches; revocations close sockets on every instance.
    ...(redis ? { tickets: { redis, keyPrefix: `${redisPrefix}visitor-pass:` } } : {}),
  });
  await pass.migrate();
  await migrateReferenceTables(sequelize);
  await seedUsers(models);
  const sessions = await createSessions(sequelize, options.sessionSecret ?? DEV_SESSION_SECRET, redis ? { client: redis, prefix: `${redisPrefix}sess:` } : undefined);
  const feed = redis ? await redisFeed(redis, `${redisPrefix}reference-events`, redisLog.error) : memoryFeed();

  // The host sends the mail: the link (with its token) goes to the visitor, nowhere else
  // (in development, also to the outbox page, since no mail really leaves).
  const outbox = (options.devOutbox ?? process.env.NODE_ENV !== 'production') ? new Outbox() : null;
  const deliver = (visitorId: string, link: string, mail: InvitationMail) => {
    outbox?.add({ ...mail, link, visitorId });
    sendMail(mail);
  };
  pass.events.on('invited', ({ visitor, link }) => {
    deliver(visitor.id, link, { to: `${visitor.fullName} <${visitor.email}>`, subject: 'You are asked for a reference', text: `Open this link to answer: ${link}` });
  });
  pass.events.on('reissued', ({ visitor, link }) => {
    if (visitor.kind !== 'INVITED' || !visitor.email) return;
    deliver(visitor.id, link, {
      to: `${visitor.fullName} <${visitor.email}>`,
      subject: 'Your new link for the reference request',
      text: `Your earlier link no longer works. Open this one to answer: ${link}`,
    });
  });
  // Guestbook entries follow a guest into the account they log into, and go with a guest who expires.
  listenForGuests(pass, models);
  // Fred hears it live when Ginger opens his link (saving and submitting are announced by their resolvers).
  pass.events.on('redeemed', ({ visitor }) => {
    const event = visitor.scope === REFERENCE_SCOPE ? referenceEvent(visitor, 'OPENED') : null;
    if (event) feed.publish(event);
  });

  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  const schema = pass.transform(
    makeExecutableSchema({
      typeDefs: [pass.typeDefs, referenceTypeDefs],
      resolvers: [pass.resolvers, createReferenceResolvers(models, pass, feed)],
    }),
  );

  // Subscriptions over graphql-ws on the same port and path. A connection is admitted with a
  // single-use realtime ticket (connectionParams.ticket), fetched over HTTP with the session cookie.
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const realtime = pass.graphqlWs({
    async context(caller) {
      if (caller.userId === null) return { user: null };
      try {
        return { user: await models.User.findByPk(Number(caller.userId)) };
      } catch (error) {
        if (!isDatabaseFailure(error)) throw error;
        // graphql-ws closes the socket (4500) with this reason: the pass's words, not the driver's.
        console.error('reference-request: database failure loading a WebSocket user:', (error as Error).message);
        throw new VisitorPassError('VISITOR_PASS_UNAVAILABLE');
      }
    },
  });
  const wsCleanup = useServer(
    {
      schema,
      ...realtime,
      async onSubscribe(ctx, id, payload) {
        // Queries and mutations need the HTTP request (the session, cookies): POST /graphql.
        const operation = operationOf(payload.query, payload.operationName);
        if (operation && operation.operation !== 'subscription') {
          return [
            new GraphQLError('Only subscriptions run over the WebSocket; send queries and mutations to POST /graphql.', {
              extensions: { code: 'BAD_REQUEST' },
            }),
          ];
        }
        return realtime.onSubscribe(ctx, id, payload);
      },
    },
    wsServer,
  );

  const apollo = new ApolloServer<ReferenceContext>({
    schema,
    plugins: [
      pass.plugin,
      unavailableStatus,
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Closes the WebSockets (1001) when Apollo stops, so the HTTP server can drain.
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
              await new Promise<void>((resolve) => wsServer.close(() => resolve()));
            },
          };
        },
      },
    ],
    // main.ts owns the signals: it stops Apollo, then closes the database.
    stopOnTerminationSignals: false,
    // Error codes and messages are the contract; stack traces and SQL stay in the server.
    includeStacktraceInErrorResponses: false,
    formatError,
  });
  await apollo.start();

  app.get('/healthz', async (_req, res) => {
    try {
      await sequelize.authenticate();
      if (redis && (await withTimeout(redis.ping(), 1000)) !== 'PONG') throw new Error('Redis did not answer PONG');
      res.json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable' });
    }
  });
  app.use(sessions.middleware);
  app.use(loadUser(models));
  // POST /visitor-pass/ticket: a realtime ticket for the session's visitor or logged-in user.
  app.use(pass.ticketHandler());
  // The pages: log in, invite, the outbox, Ginger's form (GET /reference opens the link), staff.
  app.use(webRoutes({ pass, apollo, outbox, isUnavailable: (error) => isDatabaseFailure(error) || isRedisFailure(error) }));
  app.use(
    '/graphql',
    express.json(),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => ({ user: req.user ?? null, req, ...(await pass.context({ req, res })) }),
    }),
  );
  app.use(answerErrors);

  return {
    app,
    httpServer,
    pass,
    sequelize,
    models,
    feed,
    redis,
    outbox,
    start: () =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, () => resolve(`http://localhost:${(httpServer.address() as AddressInfo).port}`));
      }),
    async stop() {
      try {
        await apollo.stop();
        // Closes what is left of the visitors' sockets, writes the access logs, ends the pass's Redis subscription.
        await pass.close();
      } finally {
        await feed.close();
        sessions.stop();
        if (redis?.isOpen) await redis.close();
        await sequelize.close();
      }
    },
  };
}
