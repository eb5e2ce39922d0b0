import type { Request } from 'express';
import type { Visitor } from '../data/models';
import { VisitorPassError } from '../errors';
import type { Runtime } from '../runtime';
import { sessionHashOf } from '../realtime/tickets';
import { readTokenParams } from '../tokenise';
import { isLinkPreview } from './link-preview';
import { sessionEnding } from './pass-checks';
import { redeemToken } from './redeem';
import { assertSession, clearStash, readStash, rotateSession, setSessionLifetime, writeStash, type VisitorStash } from './session-stash';

const DAY = 24 * 3600 * 1000;

/** Who the caller is as far as visitor passes go, worked out once per request. */
export interface VisitorRequestState {
  visitor: Visitor | null;
  /** Why the token in this request's query string was refused. */
  tokenError: VisitorPassError | null;
  /** Why a visitor stashed in the session is no longer one (ended, revoked) or could not be checked (store down). */
  sessionError: VisitorPassError | null;
  /** The token on this request was redeemed. */
  redeemed: boolean;
  /** The host's logged-in user (`getUser(req)`, read once per request), or null. */
  hostUser: unknown;
}

type FoundVisitor = Omit<VisitorRequestState, 'hostUser'>;

/**
 * The request pass (a token in the query string) and the session pass (a
 * visitor stashed in the session), in one place for the Apollo context and
 * the link handler. The result is kept per request so both can ask.
 */
export class VisitorPasses {
  private readonly states = new WeakMap<Request, Promise<VisitorRequestState>>();

  constructor(private readonly runtime: Runtime) {}

  resolve(req: Request): Promise<VisitorRequestState> {
    assertSession(req);
    let state = this.states.get(req);
    if (!state) {
      state = this.run(req);
      this.states.set(req, state);
    }
    return state;
  }

  /** Redeems `token` for this request's session: rotate the id, stash the visitor, set the cookie lifetime. */
  async redeem(req: Request, token: string): Promise<Visitor> {
    const { hostUser } = await this.resolve(req);
    return this.redeemFor(req, token, hostUser);
  }

  /**
   * Makes `visitor` this session's caller: a new session id (against
   * fixation), the stash, and a cookie lasting `lifetimeSeconds` unless a
   * logged-in host user keeps the lifetime the host set.
   */
  async stash(req: Request, visitor: Visitor, lifetimeSeconds: number, hostUser: unknown): Promise<void> {
    await this.runtime.store(() => rotateSession(req));
    writeStash(req, this.runtime.options.sessionKey, { visitorId: visitor.id, redeemedAt: Date.now() });
    if (!hostUser) setSessionLifetime(req, lifetimeSeconds);
  }

  /** Takes the visitor out of the session and rotates its id; other session data stays. The session's sockets close. */
  async end(req: Request): Promise<void> {
    assertSession(req);
    const stash = readStash(req, this.runtime.options.sessionKey);
    const sessionHash = sessionHashOf(req);
    clearStash(req, this.runtime.options.sessionKey);
    await this.runtime.store(() => rotateSession(req));
    if (stash) this.runtime.sockets.end(stash.visitorId, sessionHash, 'VISITOR_REQUIRED');
  }

  private async run(req: Request): Promise<VisitorRequestState> {
    const hostUser = await this.hostUserOf(req);
    return { ...(await this.find(req, hostUser)), hostUser };
  }

  private async redeemFor(req: Request, token: string, hostUser: unknown): Promise<Visitor> {
    const visitor = await redeemToken(this.runtime, token, req);
    await this.stash(req, visitor, visitor.sessionExpiry, hostUser);
    return visitor;
  }

  private async find(req: Request, hostUser: unknown): Promise<FoundVisitor> {
    const tokens = readTokenParams(req.originalUrl ?? req.url, this.runtime.options.querystringKey);
    if (tokens.length === 0) return this.restore(req, hostUser);
    // Previews and scanners open links before the person does: they must not spend a use.
    if ((this.runtime.options.isLinkPreview ?? isLinkPreview)(req)) return this.restore(req, hostUser);
    if (tokens.length > 1) return this.refuse(req, new VisitorPassError('VISITOR_TOKEN_MALFORMED'), hostUser);
    try {
      const visitor = await this.redeemFor(req, tokens[0], hostUser);
      return { visitor, tokenError: null, sessionError: null, redeemed: true };
    } catch (error) {
      if (error instanceof VisitorPassError) return this.refuse(req, error, hostUser);
      throw error;
    }
  }

  /** A refused token leaves a visitor already in the session as they were. */
  private async refuse(req: Request, tokenError: VisitorPassError, hostUser: unknown): Promise<FoundVisitor> {
    return { ...(await this.restore(req, hostUser)), tokenError };
  }

  /** One indexed query (by primary key) when the session holds a visitor, none otherwise. */
  private async restore(req: Request, hostUser: unknown): Promise<FoundVisitor> {
    const { sessionKey } = this.runtime.options;
    const stash = readStash(req, sessionKey);
    const none = { visitor: null, tokenError: null, sessionError: null, redeemed: false };
    if (!stash) return none;
    let visitor: Visitor | null;
    try {
      visitor = await this.runtime.store(() => this.runtime.models.Visitor.findByPk(stash.visitorId));
    } catch (error) {
      if (error instanceof VisitorPassError) return { ...none, sessionError: error };
      throw error;
    }
    const ending = sessionEnding(visitor, stash, this.runtime.options, new Date());
    if (ending) {
      clearStash(req, sessionKey);
      return { ...none, sessionError: new VisitorPassError(ending) };
    }
    if (visitor?.kind === 'GUEST') this.renewGuestCookie(req, stash, hostUser);
    return { ...none, visitor };
  }

  /**
   * A guest lasts `maxAge` after its last request, so its cookie must too.
   * express-session only sends a cookie when the session changed; renewing
   * the stash now and then (daily, or every half `maxAge` if shorter) keeps
   * the cookie alive without a session write on every request.
   */
  private renewGuestCookie(req: Request, stash: VisitorStash, hostUser: unknown): void {
    const { sessionKey, guests } = this.runtime.options;
    const now = Date.now();
    const every = Math.min(DAY, (guests.maxAge * 1000) / 2);
    if (now - (stash.renewedAt ?? stash.redeemedAt) < every) return;
    writeStash(req, sessionKey, { ...stash, renewedAt: now });
    if (!hostUser) setSessionLifetime(req, guests.maxAge);
  }

  /** The host's logged-in user (`getUser`), or null; a `getUser` that throws means nobody. */
  private async hostUserOf(req: Request): Promise<unknown> {
    try {
      return (await this.runtime.options.getUser(req)) || null;
    } catch {
      return null;
    }
  }
}
