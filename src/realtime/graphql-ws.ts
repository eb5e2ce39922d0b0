import type { GraphQLError } from 'graphql';
import type { Context, ServerOptions } from 'graphql-ws';
import { VISITOR_PASS, type VisitorPassContext } from '../context';
import type { Visitor } from '../data/models';
import { VisitorPassError, type VisitorPassErrorCode } from '../errors';
import { sessionEnding, sessionRunsOutAt } from '../request/pass-checks';
import type { Runtime } from '../runtime';
import { FORBIDDEN, type ClosableSocket, type OpenSockets } from './open-sockets';
import type { RealtimeCaller, Tickets } from './tickets';

export interface GraphqlWsOptions {
  /** The rest of your context for an operation, e.g. the user loaded from `caller.userId`. */
  context?: (caller: RealtimeCaller, ctx: Context<any, any>) => object | Promise<object>;
}

interface Connection {
  caller: RealtimeCaller;
  visitor: Visitor | null;
}

/** The options piece `pass.graphqlWs()` gives `useServer` of graphql-ws. */
export type GraphqlWsServerOptions = Required<Pick<ServerOptions<any, any>, 'onConnect' | 'onSubscribe' | 'onClose' | 'context'>>;

const TRY_AGAIN_LATER = 1013;

function socketOf(ctx: Context<any, any>): ClosableSocket {
  const socket = (ctx.extra as { socket?: ClosableSocket } | undefined)?.socket;
  if (!socket) throw new Error('graphql-visitor-pass: pass.graphqlWs() needs graphql-ws on `ws` (useServer from graphql-ws/use/ws).');
  return socket;
}

/**
 * graphql-ws hooks: a connection is admitted by consuming its ticket
 * (`connectionParams.ticket`), each subscribe re-reads the pass, and the
 * context has the same shape as over HTTP, so `@visitor` works unchanged.
 */
export function createGraphqlWs(runtime: Runtime, tickets: Tickets, sockets: OpenSockets) {
  /** Why the connection's visitor session is over now, or null (one primary-key query). */
  async function recheck(connection: Connection): Promise<VisitorPassErrorCode | null> {
    const { visitorId, redeemedAt } = connection.caller;
    if (visitorId === null) return null;
    const visitor = await runtime.store(() => runtime.models.Visitor.findByPk(visitorId));
    const ending = sessionEnding(visitor, { visitorId, redeemedAt: redeemedAt ?? 0 }, runtime.options, new Date());
    if (!ending) connection.visitor = visitor;
    return ending;
  }

  /** The connection a ticket opens, or null for no, used, expired or malformed ticket, or an ended visitor session. */
  async function admit(ctx: Context<any, any>): Promise<Connection | null> {
    const caller = await tickets.consume((ctx.connectionParams as { ticket?: unknown } | undefined)?.ticket);
    if (!caller) return null;
    const connection: Connection = { caller, visitor: null };
    return (await recheck(connection)) === null ? connection : null;
  }

  return function graphqlWs(options: GraphqlWsOptions = {}): GraphqlWsServerOptions {
    const connections = new WeakMap<object, Connection>();

    return {
      async onConnect(ctx) {
        let connection: Connection | null;
        try {
          connection = await admit(ctx);
        } catch (error) {
          if (!(error instanceof VisitorPassError && error.code === 'VISITOR_PASS_UNAVAILABLE')) throw error;
          // 1013 "try again later": a store outage is no reason for the client to give up, as 4500 would tell it.
          socketOf(ctx).close(TRY_AGAIN_LATER, error.code);
          return false;
        }
        if (!connection) return false;
        connections.set(ctx, connection);
        const { caller } = connection;
        if (connection.visitor && caller.visitorId) {
          const closeAt = sessionRunsOutAt(connection.visitor, caller.redeemedAt ?? 0, runtime.options);
          sockets.add(caller.visitorId, caller.sessionHash, socketOf(ctx), closeAt);
        }
        return true;
      },

      async onSubscribe(ctx): Promise<readonly GraphQLError[] | void> {
        const connection = connections.get(ctx);
        if (!connection) return [new VisitorPassError('REALTIME_TICKET_FORBIDDEN')];
        const ending = await recheck(connection);
        if (!ending) return;
        const socket = socketOf(ctx);
        sockets.remove(socket);
        // The error reaches the client first, then the socket closes.
        setImmediate(() => socket.close(FORBIDDEN, ending));
        return [new VisitorPassError(ending)];
      },

      async context(ctx) {
        const connection = connections.get(ctx);
        if (!connection) throw new VisitorPassError('REALTIME_TICKET_FORBIDDEN');
        const { caller, visitor } = connection;
        const host = options.context ? await options.context(caller, ctx) : {};
        const piece: VisitorPassContext = {
          visitor,
          isVisitor: visitor !== null,
          [VISITOR_PASS]: {
            state: { visitor, tokenError: null, sessionError: null, redeemed: false, hostUser: caller.userId === null ? null : { id: caller.userId } },
          },
        };
        return { ...host, ...piece };
      },

      onClose(ctx) {
        const socket = (ctx.extra as { socket?: ClosableSocket } | undefined)?.socket;
        if (socket) sockets.remove(socket);
      },
    };
  };
}
