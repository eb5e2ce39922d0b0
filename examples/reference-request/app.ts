import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import { makeExecutableSchema } from '@graphql-tools/schema';
import express from 'express';
import type { Sequelize } from 'sequelize';
import { connectDatabase, createVisitorPass, type VisitorPass } from '../../src';
import { createSessions, loadUser } from './auth';
import { defineReferenceModels, migrateReferenceTables, seedUsers, type ReferenceModels } from './data';
import { guestHooks, listenForGuests } from './guests';
import { renderReferencePage } from './page';
import { createReferenceResolvers, referenceTypeDefs, type ReferenceContext } from './schema';

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
}

export interface ReferenceApp {
  app: express.Express;
  /** Created up front so Apollo can drain it; listening once `start()` resolves. */
  httpServer: Server;
  pass: VisitorPass<ReferenceContext>;
  sequelize: Sequelize;
  models: ReferenceModels;
  /** Listens; resolves to the base URL, e.g. `http://localhost:4000`. */
  start(): Promise<string>;
  /** Stops accepting, finishes open requests, drains the access log, closes the database. */
  stop(): Promise<void>;
}

export interface InvitationMail {
  to: string;
  subject: string;
  text: string;
}

/** The development mail backend: the mail is shown on the console instead of sent. */
function printMail(mail: InvitationMail): void {
  console.log(`--- mail (development: printed, not sent) ---\nTo: ${mail.to}\nSubject: ${mail.subject}\n\n${mail.text}\n---`);
}

const DEV_SESSION_SECRET = 'reference-request-dev-secret';

/** The Fred & Ginger app: migrated, seeded and ready to `start()`. */
export async function createReferenceApp(options: ReferenceAppOptions): Promise<ReferenceApp> {
  const port = options.port ?? 4000;
  const sendMail = options.sendMail ?? printMail;
  if (!options.sessionSecret) {
    console.warn('reference-request: SESSION_SECRET is not set; using a development secret. Set it anywhere but your own machine.');
  }

  const sequelize = connectDatabase(options.databaseUrl);
  const models = defineReferenceModels(sequelize);
  const pass = createVisitorPass<ReferenceContext>({
    sequelize,
    linkBaseUrl: options.linkBaseUrl ?? `http://localhost:${port}/reference`,
    bypass: { staff: (context) => Boolean(context.user?.isStaff) },
    // Anonymous browsers that sign the guestbook become guests; `convertVisitor` signs them up.
    // No `loginUrl` or `guests.convertUrl`: this example has no login or sign-up page, only GraphQL.
    guests: guestHooks(models),
  });
  await pass.migrate();
  await migrateReferenceTables(sequelize);
  await seedUsers(models);
  const sessions = await createSessions(sequelize, options.sessionSecret ?? DEV_SESSION_SECRET);

  // The host sends the mail: the link (with its token) goes to the visitor, nowhere else.
  pass.events.on('invited', ({ visitor, link }) => {
    sendMail({ to: `${visitor.fullName} <${visitor.email}>`, subject: 'You are asked for a reference', text: `Open this link to answer: ${link}` });
  });
  // Guestbook entries follow a guest into the account they log into, and go with a guest who expires.
  listenForGuests(pass, models);

  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  const schema = pass.transform(
    makeExecutableSchema({
      typeDefs: [pass.typeDefs, referenceTypeDefs],
      resolvers: [pass.resolvers, createReferenceResolvers(models, pass)],
    }),
  );
  const apollo = new ApolloServer<ReferenceContext>({
    schema,
    plugins: [pass.plugin, ApolloServerPluginDrainHttpServer({ httpServer })],
    // main.ts owns the signals: it stops Apollo, then closes the database.
    stopOnTerminationSignals: false,
    // Error codes and messages are the contract; stack traces stay in the server.
    includeStacktraceInErrorResponses: false,
  });
  await apollo.start();

  app.get('/healthz', async (_req, res) => {
    try {
      await sequelize.authenticate();
      res.json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable' });
    }
  });
  app.use(sessions.middleware);
  app.use(loadUser(models));
  app.get('/reference', pass.linkHandler(), async (req, res) => {
    const page = await renderReferencePage(req, models);
    res.status(page.status).set('Cache-Control', 'no-store').type('html').send(page.html);
  });
  app.use(
    '/graphql',
    express.json(),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => ({ user: req.user ?? null, req, ...(await pass.context({ req, res })) }),
    }),
  );

  return {
    app,
    httpServer,
    pass,
    sequelize,
    models,
    start: () =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, () => resolve(`http://localhost:${(httpServer.address() as AddressInfo).port}`));
      }),
    async stop() {
      await apollo.stop();
      sessions.store.stopExpiringSessions();
      await sequelize.close();
    },
  };
}
