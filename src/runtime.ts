import type { Request } from 'express';
import type { Bypasses } from './bypasses';
import type { VisitorPassModels } from './data/models';
import { withStore } from './data/unavailable';
import type { VisitorPassEmitter } from './events';
import type { AccessLog } from './logs/access-log';
import { requestFacts } from './logs/request-facts';
import { writeVisitorLog, type VisitorLogEvent } from './logs/visitor-log';
import type { ResolvedOptions } from './options';
import type { OpenSockets } from './realtime/open-sockets';

/** What every part of one visitor pass shares: options, models, events and the log writers. */
export interface Runtime {
  options: ResolvedOptions;
  models: VisitorPassModels;
  events: VisitorPassEmitter;
  accessLog: AccessLog;
  bypasses: Bypasses;
  /** Open WebSockets per visitor: operations that end a visitor's sessions close them. */
  sockets: OpenSockets;
  /** Database work; a failure becomes VISITOR_PASS_UNAVAILABLE and an `unavailable` event. */
  store<T>(work: () => Promise<T>): Promise<T>;
  log(visitorId: string, event: VisitorLogEvent, req?: Request, details?: { reason?: string | null; statusCode?: number | null }): Promise<void>;
}

export function createRuntime(
  options: ResolvedOptions,
  models: VisitorPassModels,
  events: VisitorPassEmitter,
  accessLog: AccessLog,
  bypasses: Bypasses,
  sockets: OpenSockets,
): Runtime {
  const reportFailure = (error: Error) => events.emit('unavailable', { error });
  const store = <T>(work: () => Promise<T>) => withStore(work, reportFailure);
  return {
    options,
    models,
    events,
    accessLog,
    bypasses,
    sockets,
    store,
    log: (visitorId, event, req, details) =>
      store(() => writeVisitorLog(models, visitorId, event, { ...details, facts: req && requestFacts(req, options.querystringKey) })),
  };
}
