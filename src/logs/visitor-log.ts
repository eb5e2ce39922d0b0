import type { VisitorPassModels } from '../data/models';
import { NO_REQUEST, type RequestFacts } from './request-facts';

export type VisitorLogEvent = 'REDEEMED' | 'ACCESS' | 'DENIED' | 'ENDED' | 'REVOKED' | 'REISSUED' | 'CREATED' | 'CONVERTED' | 'MERGED';

export interface VisitorLogDetails {
  /** What the request tells, token already stripped; none for work without a request (the CLI). */
  facts?: RequestFacts;
  reason?: string | null;
  statusCode?: number | null;
}

/** Writes one event row for a pass. */
export async function writeVisitorLog(
  models: VisitorPassModels,
  visitorId: string,
  event: VisitorLogEvent,
  { facts = NO_REQUEST, reason = null, statusCode = null }: VisitorLogDetails = {},
): Promise<void> {
  await models.VisitorLog.create({ visitorId, event, reason, statusCode, ...facts });
}
