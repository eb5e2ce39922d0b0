import type { Request } from 'express';
import type { Visitor } from '../data/models';
import type { Runtime } from '../runtime';

/**
 * Records that `visitor` became the host user `userId` and ends the pass, in
 * one conditional UPDATE: a pass becomes someone once, even when two
 * requests (or two instances) race. False when it already had ended.
 */
export async function recordConversion(
  runtime: Runtime,
  visitor: Visitor,
  userId: string,
  event: 'CONVERTED' | 'MERGED',
  req: Request,
): Promise<boolean> {
  const now = new Date();
  const ended = { isActive: false, revokedAt: now, convertedUserId: userId, convertedAt: now };
  const [changed] = await runtime.store(() =>
    runtime.models.Visitor.update(ended, { where: { id: visitor.id, isActive: true, convertedAt: null } }),
  );
  if (changed !== 1) return false;
  visitor.set(ended);
  runtime.sockets.end(visitor.id, null, 'VISITOR_PASS_REVOKED');
  await runtime.log(visitor.id, event, req, { reason: userId });
  return true;
}

/** A host user id as stored: a non-empty string or a finite number, as a string. */
export function hostUserId(given: unknown, source: string): string {
  if ((typeof given === 'string' && given !== '') || (typeof given === 'number' && Number.isFinite(given))) return String(given);
  throw new Error(`graphql-visitor-pass: ${source} must be the user's id (a non-empty string or a number).`);
}
