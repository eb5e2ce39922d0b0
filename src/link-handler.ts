import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Visitor } from './data/models';
import type { VisitorPassError } from './errors';
import type { Runtime } from './runtime';
import type { VisitorPasses } from './request/visitor-passes';
import { readTokenParams, setQueryParam, untokenise } from './tokenise';

declare module 'express-serve-static-core' {
  interface Request {
    /** The visitor of this request, set by `pass.linkHandler()`. */
    visitor?: Visitor | null;
    /** Why a link's token was refused, or why the visitor session ended (`.code` is one of §5). */
    visitorPassError?: VisitorPassError | null;
  }
}

export interface LinkHandlerOptions {
  /** Where to send a refused link, with `?reason=CODE`. Default: on to the page, with `req.visitorPassError` set. */
  failureRedirect?: string;
}

/**
 * `pass.linkHandler()`: a GET with `?vuid=` redeems, then answers 303 to the
 * same URL without the token. HEAD requests and link previews pass through
 * without redeeming; a refused token never becomes a 500.
 */
export function createLinkHandler(runtime: Runtime, passes: VisitorPasses) {
  return function linkHandler({ failureRedirect }: LinkHandlerOptions = {}): RequestHandler {
    return async function visitorPassLink(req: Request, res: Response, next: NextFunction) {
      try {
        const state = await passes.resolve(req);
        req.visitor = state.visitor;
        req.visitorPassError = state.tokenError ?? state.sessionError;
        const key = runtime.options.querystringKey;
        if (readTokenParams(req.originalUrl, key).length === 0) return next();
        // The token must not leak through the Referer of anything this page loads.
        res.set({ 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' });
        if (state.redeemed) {
          // express-session sends the headers before it stores a changed session: a browser following
          // the 303 at once could arrive before its visitor is stored. Store it first.
          await new Promise<void>((resolve, reject) => req.session.save((error) => (error ? reject(error) : resolve())));
          return res.redirect(303, untokenise(req.originalUrl, key));
        }
        if (state.tokenError && failureRedirect) {
          return res.redirect(303, setQueryParam(failureRedirect, 'reason', state.tokenError.code));
        }
        next();
      } catch (error) {
        next(error);
      }
    };
  };
}
