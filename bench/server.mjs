// One server variant in its own process: Express 5 + express-session (MemoryStore) + Apollo Server 5.
// env: VARIANT (bare | visitor-pass | diy-directive | graphql-shield), DATABASE_URL, VISITOR_ID.
// Talks to the parent over IPC: sends { ready, port }; answers { cmd: 'tokens' | 'count-start' | 'count-stop' }.
import { randomBytes, createHash } from 'node:crypto';
import {
  require,
  loadPackage,
  passTypeDefs,
  hostTypeDefs,
  hostResolvers,
  SCOPE,
  SESSION_SECRET,
  SESSION_ID,
  SESSION_KEY,
  visitorSession,
} from './shared.mjs';

const { ApolloServer } = require('@apollo/server');
const { expressMiddleware } = require('@as-integrations/express5');
const { makeExecutableSchema } = require('@graphql-tools/schema');
const { MapperKind, getDirective, mapSchema } = require('@graphql-tools/utils');
const { defaultFieldResolver, GraphQLError } = require('graphql');
const express = require('express');
const session = require('express-session');
const { Sequelize, DataTypes } = require('sequelize');

const variant = process.env.VARIANT;
const databaseUrl = process.env.DATABASE_URL;
const visitorId = process.env.VISITOR_ID;

/** Session store: express-session's MemoryStore in every variant, seeded with the same visitor session; writes counted. */
const store = new session.MemoryStore();
const storeWrites = { set: 0, touch: 0 };
for (const method of ['set', 'touch']) {
  const original = store[method].bind(store);
  store[method] = (...args) => {
    storeWrites[method] += 1;
    return original(...args);
  };
}
if (visitorId) {
  await new Promise((resolve, reject) => store.set(SESSION_ID, visitorSession(visitorId, Date.now()), (e) => (e ? reject(e) : resolve())));
}
storeWrites.set = 0;

function connect(url) {
  if (url.startsWith('sqlite:')) return new Sequelize({ dialect: 'sqlite', storage: url.slice('sqlite:'.length), logging: false });
  return new Sequelize(url, { logging: false });
}

/**
 * What a user writes without this package: a Visitor model of their own and a context that loads the
 * session's visitor with one query per request (diy-directive and graphql-shield share it).
 */
function userWrittenContext(sequelize) {
  const Visitor = sequelize.define(
    'Visitor',
    {
      id: { type: DataTypes.UUID, primaryKey: true },
      scope: DataTypes.STRING,
      isActive: DataTypes.BOOLEAN,
      expiresAt: DataTypes.DATE,
      revokedAt: DataTypes.DATE,
    },
    { tableName: 'visitor_pass_visitors' },
  );
  return async ({ req }) => {
    const id = req.session?.[SESSION_KEY]?.visitorId;
    const visitor = id ? await Visitor.findByPk(id) : null;
    return { visitor: visitor && visitor.isActive && !visitor.revokedAt ? visitor : null };
  };
}

/**
 * The authorization directive from the GraphQL Tools / Apollo Server docs ("Schema directives",
 * "Enforcing access control"): mapSchema, getDirective on the type and the field, a wrapped resolver.
 */
function diyVisitorDirective(directiveName) {
  const typeDirectiveArgumentMaps = {};
  return (schema) =>
    mapSchema(schema, {
      [MapperKind.TYPE]: (type) => {
        const directive = getDirective(schema, type, directiveName)?.[0];
        if (directive) typeDirectiveArgumentMaps[type.name] = directive;
        return undefined;
      },
      [MapperKind.OBJECT_FIELD]: (fieldConfig, _fieldName, typeName) => {
        const directive = getDirective(schema, fieldConfig, directiveName)?.[0] ?? typeDirectiveArgumentMaps[typeName];
        if (directive) {
          const { scope } = directive;
          const { resolve = defaultFieldResolver } = fieldConfig;
          fieldConfig.resolve = function (source, args, context, info) {
            const visitor = context.visitor;
            if (!visitor || (scope !== '*' && visitor.scope !== scope)) {
              throw new GraphQLError('Not authorized', { extensions: { code: 'FORBIDDEN' } });
            }
            return resolve(source, args, context, info);
          };
          return fieldConfig;
        }
      },
    });
}

let schema;
let context;
let plugins = [];
let pass = null;
let sequelize = null;

const baseSchema = (resolvers) => makeExecutableSchema({ typeDefs: [passTypeDefs, hostTypeDefs], resolvers });

if (variant === 'bare') {
  schema = baseSchema([hostResolvers()]);
  context = async () => ({});
} else if (variant === 'visitor-pass') {
  const { createVisitorPass } = loadPackage();
  pass = createVisitorPass({ databaseUrl, linkBaseUrl: 'http://127.0.0.1/reference' });
  sequelize = pass.sequelize;
  await pass.migrate();
  schema = pass.transform(baseSchema([pass.resolvers, hostResolvers()]));
  context = ({ req, res }) => pass.context({ req, res });
  plugins = [pass.plugin];
} else if (variant === 'diy-directive') {
  sequelize = connect(databaseUrl);
  schema = diyVisitorDirective('visitor')(baseSchema([hostResolvers()]));
  context = userWrittenContext(sequelize);
} else if (variant === 'graphql-shield') {
  const { shield, rule } = require('graphql-shield');
  const { applyMiddleware } = require('graphql-middleware');
  sequelize = connect(databaseUrl);
  const isVisitorWithScope = rule({ cache: 'contextual' })((_parent, _args, ctx) => ctx.visitor?.scope === SCOPE);
  const permissions = shield({ Query: { secret: isVisitorWithScope, items: isVisitorWithScope }, Item: isVisitorWithScope });
  schema = applyMiddleware(baseSchema([hostResolvers()]), permissions);
  context = userWrittenContext(sequelize);
} else {
  throw new Error(`unknown VARIANT ${variant}`);
}

const server = new ApolloServer({ schema, plugins });
await server.start();

const app = express();
app.use(express.json({ limit: '1mb' }));
app.use(session({ store, secret: SESSION_SECRET, resave: false, saveUninitialized: false }));
app.use('/graphql', expressMiddleware(server, { context }));

const listener = app.listen(0, '127.0.0.1', () => process.send({ ready: true, port: listener.address().port }));

// Counting SQL statements through Sequelize's logging hook (read on every query).
let statements = null;
if (sequelize) {
  sequelize.options.logging = (sql) => statements?.push(sql);
}

process.on('message', async (message) => {
  try {
    if (message.cmd === 'tokens') {
      // Fresh passes, one use each, created before the timed run; only their hashes are stored.
      const tokens = Array.from({ length: message.n }, () => randomBytes(32).toString('base64url'));
      const expiresAt = new Date(Date.now() + 7 * 24 * 3600 * 1000);
      const rows = tokens.map((token, i) => ({
        firstName: 'Bench',
        lastName: `Visitor ${i}`,
        email: `bench${i}@example.com`,
        scope: SCOPE,
        tokenHash: createHash('sha256').update(token).digest('hex'),
        expiresAt,
        maxUses: 1,
      }));
      for (let i = 0; i < rows.length; i += 1000) await pass.models.Visitor.bulkCreate(rows.slice(i, i + 1000));
      process.send({ id: message.id, tokens });
    } else if (message.cmd === 'count-start') {
      if (pass) await pass.flushLogs();
      statements = [];
      storeWrites.set = 0;
      storeWrites.touch = 0;
      process.send({ id: message.id });
    } else if (message.cmd === 'count-stop') {
      const seen = statements ?? [];
      statements = null;
      const flushed = [];
      if (pass) {
        statements = flushed;
        await pass.flushLogs();
        statements = null;
      }
      process.send({ id: message.id, statements: seen, flushed, storeWrites: { ...storeWrites } });
    } else if (message.cmd === 'stop') {
      listener.close();
      await server.stop();
      if (pass) await pass.close();
      else if (sequelize) await sequelize.close();
      process.send({ id: message.id });
      process.exit(0);
    }
  } catch (error) {
    process.send({ id: message.id, error: String(error?.stack ?? error) });
  }
});
