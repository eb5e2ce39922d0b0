import connectSessionSequelize from 'connect-session-sequelize';
import type { RequestHandler } from 'express';
import session from 'express-session';
import type { Sequelize } from 'sequelize';
import type { ReferenceModels, User } from './data';

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

/**
 * express-session with its rows in the app's own database, so a restart logs
 * nobody out and ends no visit. The store creates its table with `sync()`:
 * that is connect-session-sequelize's way.
 */
export async function createSessions(sequelize: Sequelize, secret: string) {
  const SequelizeStore = connectSessionSequelize(session.Store);
  const store = new SequelizeStore({ db: sequelize, tableName: 'sessions' });
  await store.sync();
  const middleware = session({
    name: 'reference.sid',
    store,
    secret,
    resave: false,
    saveUninitialized: false,
    // A visitor's redemption shortens this to the pass's own sessionExpiry.
    cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: TWO_WEEKS },
  });
  return { store, middleware };
}

/** The host's auth: `req.user` from the session, before the visitor pass looks at the request. */
export function loadUser(models: ReferenceModels): RequestHandler {
  return async function loadUserFromSession(req, _res, next) {
    const id = req.session.userId;
    req.user = id === undefined ? null : await models.User.findByPk(id);
    next();
  };
}
