import type { Request, RequestHandler, Response } from 'express';
import { isVisitorPassError } from '../errors';
import type { VisitorPasses } from '../request/visitor-passes';
import type { Runtime } from '../runtime';
import type { Tickets } from './tickets';

function refuse(res: Response, status: number, code: string): void {
  res.status(status).json({ status: 'error', code });
}

/**
 * A form from another site can POST here with the visitor's cookie, but it
 * cannot send a JSON content type or a custom header without a CORS
 * preflight, which this endpoint never grants.
 */
function isCrossSiteSafe(req: Request): boolean {
  // The header itself, not req.is(): that answers null for a request without a body.
  return /^application\/json\s*(;|$)/i.test(req.get('content-type') ?? '') || req.get('x-requested-with') !== undefined;
}

/**
 * `pass.ticketHandler()`: `POST tickets.path` answers a realtime ticket for
 * the session's visitor or logged-in user as JSON, for clients that do not
 * speak GraphQL. Errors are `{ status: "error", code }` with their own HTTP
 * status, never 200.
 */
export function createTicketHandler(runtime: Runtime, passes: VisitorPasses, tickets: Tickets) {
  return function ticketHandler(): RequestHandler {
    const { path } = runtime.options.tickets;
    return async function visitorPassTickets(req, res, next) {
      if (req.path !== path) return next();
      res.set('Cache-Control', 'no-store');
      if (req.method !== 'POST') {
        res.set('Allow', 'POST');
        return refuse(res, 405, 'METHOD_NOT_ALLOWED');
      }
      if (!isCrossSiteSafe(req)) return refuse(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      try {
        const state = await passes.resolve(req);
        if (state.tokenError) throw state.tokenError;
        const { ticket, expiresAt } = await tickets.issueFor(req, state);
        res.json({ status: 'ok', ticket, expiresAt: expiresAt.toISOString() });
      } catch (error) {
        if (!isVisitorPassError(error)) return next(error);
        refuse(res, (error.extensions.http as { status: number }).status, error.code);
      }
    };
  };
}
