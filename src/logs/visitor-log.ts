import type { Request } from 'express';
import type { VisitorPassModels } from '../data/models';
import { requestFacts } from './request-facts';

export type VisitorLogEvent = 'REDEEMED' | 'ACCESS' | 'DENIED' | 'ENDED' | 'REVOKED' | 'REISSUED';

/** Writes one event row for a pass, with what the request tells (token stripped). */
export async function writeVisitorLog(
  models: VisitorPassModels,
  querystringKey: string,
  visitorId: string,
  event: VisitorLogEvent,
  req?: Request,
  details: { reason?: string | null; statusCode?: number | null } = {},
): Promise<void> {
  await models.VisitorLog.create({
    visitorId,
    event,
    reason: details.reason ?? null,
    statusCode: details.statusCode ?? null,
    ...requestFacts(req, querystringKey),
  });
}
