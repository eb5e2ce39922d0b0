import type { ApolloServerPlugin } from '@apollo/server';
import { Bypasses } from './bypasses';
import type { Request, RequestHandler, Response } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Sequelize } from 'sequelize';
import { createContext, type VisitorPassContext } from './context';
import { cleanupVisitorPasses, type CleanupOptions, type CleanupResult } from './data/cleanup';
import type { Visitor } from './data/models';
import { connectDatabase } from './data/database';
import { migrate } from './data/migrations';
import { defineModels, type VisitorPassModels } from './data/models';
import { createFieldCheck } from './directive/field-check';
import { createTransform } from './directive/transform';
import { createVisitorCheck } from './directive/visitor-check';
import { VisitorPassEmitter } from './events';
import type { Resolvers } from './generated/graphql';
import { Guests } from './guests/guests';
import { createLinkHandler, type LinkHandlerOptions } from './link-handler';
import { AccessLog } from './logs/access-log';
import { createConvertVisitor } from './operations/convert';
import { endVisitorSession } from './operations/end-session';
import { inviteVisitor, type VisitorInvitation } from './operations/invite';
import { mergeVisitorInto } from './operations/merge';
import { resolveOptions, type InviteVisitorInput, type VisitorPassOptions } from './options';
import { createPlugin } from './plugin';
import { createGraphqlWs, type GraphqlWsOptions, type GraphqlWsServerOptions } from './realtime/graphql-ws';
import { OpenSockets } from './realtime/open-sockets';
import { connectRedis } from './realtime/redis-connection';
import { createTicketHandler } from './realtime/ticket-handler';
import { MemoryTicketStore, RedisTicketStore } from './realtime/ticket-store';
import { Tickets, type RealtimeCaller } from './realtime/tickets';
import { VisitorPasses } from './request/visitor-passes';
import { createResolvers } from './resolvers';
import { createRuntime } from './runtime';
import { loadTypeDefs } from './type-defs';

export interface VisitorPass<TContext = any> {
  /** SDL of schema/visitor-pass.graphql: directives, types and operations. */
  typeDefs: string;
  /** Resolvers for `typeDefs`. */
  resolvers: Resolvers;
  /** Applies @visitor, @allowGuest and @registeredUser to an executable schema; throws on a bad use (empty scope, unknown bypass). */
  transform: (schema: GraphQLSchema) => GraphQLSchema;
  /** Apollo context piece: `{ visitor, isVisitor }` for this request; spread it into your context. */
  context: (args: { req: Request; res?: Response }) => Promise<VisitorPassContext>;
  /** Checks the schema was transformed, refuses denied mutations up front, logs access, drains on stop. */
  plugin: ApolloServerPlugin<any>;
  /** Express middleware for GET links with the token in the query string. */
  linkHandler: (options?: LinkHandlerOptions) => RequestHandler;
  /** Express middleware answering `POST tickets.path` (default `/visitor-pass/ticket`) with a realtime ticket as JSON. */
  ticketHandler: () => RequestHandler;
  /** `onConnect`, `onSubscribe`, `onClose` and `context` for graphql-ws's `useServer`: connections authenticate with a ticket. */
  graphqlWs: (options?: GraphqlWsOptions) => GraphqlWsServerOptions;
  /** For any async backend: `consume(ticket)` gives the ticket's caller once, or null. */
  tickets: { consume: (ticket: unknown) => Promise<RealtimeCaller | null> };
  /** invited, redeemed, ended, revoked, reissued, denied, unavailable, guestCreated, converted, merged, expired. */
  events: VisitorPassEmitter;
  /** Creates or upgrades the tables (umzug migrations); returns the names it ran. */
  migrate: () => Promise<string[]>;
  /** Closes open visitor sockets, writes queued access logs, closes Redis and the database if this pass opened them. */
  close: () => Promise<void>;
  /**
   * Deletes passes expired or deactivated (and unseen) for longer than
   * `olderThanSeconds`, and expired guests, with their logs, in batches;
   * `expired` listeners are awaited before each batch.
   */
  cleanup: (options: Omit<CleanupOptions, 'guests' | 'beforeDelete'>) => Promise<CleanupResult>;
  /** Writes queued access logs now. */
  flushLogs: () => Promise<void>;
  /** Creates a pass from server code, with the same checks as `inviteVisitor`. */
  invite: (context: TContext, input: InviteVisitorInput) => Promise<VisitorInvitation>;
  /** Ends the caller's visitor session from a host resolver (e.g. the last step of a form). */
  endVisitorSession: (context: TContext, options?: { deactivate?: boolean }) => Promise<boolean>;
  /**
   * For the host's login resolver: a visitor or guest logging into the
   * existing account `userId` hands over their data (`merged`, awaited), then
   * the pass ends. Returns the visitor, or null when the caller was none.
   */
  mergeVisitorInto: (context: TContext, userId: string | number) => Promise<Visitor | null>;
  /** The Sequelize instance and models holding the passes. */
  sequelize: Sequelize;
  models: VisitorPassModels;
}

/** Creates a visitor pass: everything an Apollo Server 5 + Express 5 app needs to admit visitors. */
export function createVisitorPass<TContext = any>(options: VisitorPassOptions<TContext>): VisitorPass<TContext> {
  const resolved = resolveOptions(options);
  const ownsDatabase = !resolved.sequelize;
  const sequelize = resolved.sequelize ?? connectDatabase(resolved.databaseUrl);
  const models = defineModels(sequelize);
  const events = new VisitorPassEmitter();
  const accessLog = new AccessLog(models, (error) => reportFailure(error));
  const bypasses = new Bypasses(resolved.bypass);
  const reportFailure = (error: Error) => events.emit('unavailable', { error });
  const ticketStore = resolved.tickets.redis
    ? new RedisTicketStore(connectRedis(resolved.tickets.redis, reportFailure))
    : new MemoryTicketStore();
  const sockets = new OpenSockets(ticketStore, resolved.tickets.keyPrefix, events);
  sockets.listen();
  const runtime = createRuntime(resolved, models, events, accessLog, bypasses, sockets);
  const passes = new VisitorPasses(runtime);
  const guests = new Guests(runtime, passes);
  const check = createFieldCheck(createVisitorCheck(bypasses), guests, resolved);
  const tickets = new Tickets(ticketStore, resolved.tickets, events, resolved.sessionKey);

  return {
    typeDefs: loadTypeDefs(),
    resolvers: createResolvers(runtime, passes, createConvertVisitor(runtime, passes), tickets),
    transform: createTransform(check, bypasses.names),
    context: createContext(passes),
    plugin: createPlugin(runtime, check, bypasses.names),
    linkHandler: createLinkHandler(runtime, passes),
    ticketHandler: createTicketHandler(runtime, passes, tickets),
    graphqlWs: createGraphqlWs(runtime, tickets, sockets),
    tickets: { consume: (ticket) => tickets.consume(ticket) },
    events,
    migrate: () => migrate(sequelize),
    async close() {
      sockets.closeAll();
      await accessLog.flush();
      await ticketStore.close();
      if (ownsDatabase) await sequelize.close();
    },
    cleanup: (cleanupOptions) =>
      cleanupVisitorPasses(models, {
        ...cleanupOptions,
        guests: resolved.guests,
        beforeDelete: events.listenerCount('expired') > 0 ? (visitors) => events.emitAndWait('expired', { visitors }) : undefined,
      }),
    flushLogs: () => accessLog.flush(),
    invite: (context, input) => inviteVisitor(runtime, context, input),
    endVisitorSession: (context, endOptions) => endVisitorSession(runtime, passes, context, endOptions),
    mergeVisitorInto: (context, userId) => mergeVisitorInto(runtime, passes, context, userId),
    sequelize,
    models,
  };
}
