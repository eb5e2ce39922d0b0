export { createVisitorPass, type VisitorPass } from './create-visitor-pass';
export type {
  VisitorPassOptions,
  VisitorPassUser,
  BypassFunction,
  InviteVisitorInput,
  GuestOptions,
  GuestName,
  GuestNameGenerator,
  TicketOptions,
  RedisConnectionOptions,
  RedisClientLike,
} from './options';
export type { VisitorPassContext } from './context';
export type { LinkHandlerOptions } from './link-handler';
export type { VisitorInvitation } from './operations/invite';
export type { ConvertVisitorResult } from './operations/convert';
export type { RealtimeCaller, RealtimeTicket } from './realtime/tickets';
export type { GraphqlWsOptions, GraphqlWsServerOptions } from './realtime/graphql-ws';
export { VisitorPassError, VisitorPassOptionsError, VISITOR_PASS_ERRORS, isVisitorPassError, type VisitorPassErrorCode } from './errors';
export { VisitorPassEmitter, type VisitorPassEvents, type VisitorPassEventName } from './events';
// Types only: the models are bound to a database per pass, as `pass.models`.
export type { Visitor, VisitorLog, VisitorKind } from './data/models';
export { connectDatabase } from './data/database';
export { isDatabaseFailure } from './data/unavailable';
export { migrate } from './data/migrations';
export type { CleanupOptions, CleanupResult, CleanupProgress } from './data/cleanup';
export { tokenise, untokenise } from './tokenise';
export { isLinkPreview } from './request/link-preview';
export { rotateSession } from './request/session-stash';
