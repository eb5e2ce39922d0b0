import type { Request, Response } from 'express';
import type { Visitor } from './data/models';
import type { VisitorPasses, VisitorRequestState } from './request/visitor-passes';

/** Where this package keeps its per-request state on the context object. */
export const VISITOR_PASS = Symbol.for('graphql-visitor-pass');

export interface VisitorPassRequest {
  /** The HTTP request; none over a WebSocket (`pass.graphqlWs()`), where there is no session to change. */
  req?: Request;
  res?: Response;
  state: VisitorRequestState;
}

/** The part of the Apollo context `pass.context` adds; spread it into yours. */
export interface VisitorPassContext {
  /** The caller's visitor pass, or null. */
  visitor: Visitor | null;
  isVisitor: boolean;
  [VISITOR_PASS]: VisitorPassRequest;
}

/** What the visitor-pass resolvers see: the host's context (with its `user`) and ours. */
export type HostContext = VisitorPassContext & { user?: { id?: string | number } | null; [key: string]: unknown };

export function requestOf(context: unknown): VisitorPassRequest | undefined {
  return (context as Partial<VisitorPassContext> | undefined)?.[VISITOR_PASS];
}

/** The per-request piece when the operation came over HTTP, with a session to change; undefined over a WebSocket. */
export function httpRequestOf(context: unknown): (VisitorPassRequest & { req: Request }) | undefined {
  const request = requestOf(context);
  return request?.req ? (request as VisitorPassRequest & { req: Request }) : undefined;
}

/**
 * The Apollo context function piece. A GraphQL request whose URL carries a
 * token that cannot be redeemed is refused with that token's error code.
 */
export function createContext(passes: VisitorPasses) {
  return async function visitorPassContext({ req, res }: { req: Request; res?: Response }): Promise<VisitorPassContext> {
    const state = await passes.resolve(req);
    if (state.tokenError) throw state.tokenError;
    return { visitor: state.visitor, isVisitor: state.visitor !== null, [VISITOR_PASS]: { req, res, state } };
  };
}
