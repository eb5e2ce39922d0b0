import { RedisStore } from 'connect-redis';
import connectSessionSequelize from 'connect-session-sequelize';
import type { RequestHandler } from 'express';
import session from 'express-session';
import type { Sequelize } from 'sequelize';
import type { ReferenceModels, User } from './data';
import type { RedisClient } from './live';

declare module 'express-session' {
  interface SessionData {
    userId?: number;
  }
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The logged-in user, set by `loadUser` before the visitor pass runs. */
    user?: User | null;
  }
}

const TWO_WEEKS = 14 * 24 * 3600 * 1000;

export interface Sessions {
  middleware: RequestHandler;
  store: session.Store;
  /** Stops the store's background work (the SQL store's expiry sweep); a Redis client is closed by its owner. */
  stop(): void;
}

const sessionOptions = (store: session.Store, secret: string): session.SessionOptions => ({
  name: 'reference.sid',
  store,
  secret,
  resave: false,
  saveUninitialized: false,
  // A visitor's redemption shortens this to the pass's own sessionExpiry.
  cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: TWO_WEEKS },
});

/**
 * express-session with its rows in the app's own database, so a restart logs
 * nobody out and ends no visit; or, given a Redis client, in Redis
 * (connect-redis), so that several instances share every session. The SQL
 * store creates its table with `sync()`: that is connect-session-sequelize's way.
 */
export async function createSessions(
  sequelize: Sequelize,
  secret: string,
  redis?: { client: RedisClient; prefix: string },
): Promise<Sessions> {
  if (redis) {
    // Keys `${prefix}<session id>`, expiring with the cookie (a visitor's shorter one included).
    const store = new RedisStore({ client: redis.client, prefix: redis.prefix });
    return { store, middleware: session(sessionOptions(store, secret)), stop: () => undefined };
  }
  const SequelizeStore = connectSessionSequelize(session.Store);
  const store = new SequelizeStore({ db: sequelize, tableName: 'sessions' });
  await store.sync();
  return { store, middleware: session(sessionOptions(store, secret)), stop: () => store.stopExpiringSessions() };
}

/** The host's auth: `req.user` from the session, before the visitor pass looks at the request. */
export function loadUser(models: ReferenceModels): RequestHandler {
  return async function loadUserFromSession(req, _res, next) {
    const id = req.session.userId;
    req.user = id === undefined ? null : await models.User.findByPk(id);
    next();
  };
}
