import type { Visitor } from '../data/models';
import type { VisitorPassErrorCode } from '../errors';
import { guestExpiresAt } from '../guests/guest-expiry';
import type { ResolvedOptions } from '../options';
import type { VisitorStash } from './session-stash';

/** Why a link cannot be redeemed now, or null when it can. */
export function redemptionRefusal(visitor: Visitor, now: Date): VisitorPassErrorCode | null {
  if (!visitor.isActive) return 'VISITOR_PASS_REVOKED';
  if (visitor.expiresAt && visitor.expiresAt.getTime() <= now.getTime()) return 'VISITOR_PASS_EXPIRED';
  if (visitor.maxUses !== null && visitor.useCount >= visitor.maxUses) return 'VISITOR_PASS_USED_UP';
  return null;
}

type SessionLimits = Pick<ResolvedOptions, 'maxSessionAge' | 'guests'>;

/**
 * When a session redeemed at `redeemedAt` (ms) runs out by itself, whatever
 * the cookie says: the pass's own `sessionExpiry` or the server-side cap,
 * whichever comes first. A guest lasts as long as the guest itself:
 * `guests.maxAge` from its last request or its creation.
 */
export function sessionRunsOutAt(visitor: Visitor, redeemedAt: number, { maxSessionAge, guests }: SessionLimits): number {
  if (visitor.kind === 'GUEST') return guestExpiresAt(visitor, guests).getTime();
  const cap = redeemedAt + maxSessionAge * 1000;
  return visitor.sessionExpiry > 0 ? Math.min(cap, redeemedAt + visitor.sessionExpiry * 1000) : cap;
}

/**
 * Why a stashed visitor session is over, or null while it lasts: the pass was
 * revoked (even if reissued since), or the session ran out.
 */
export function sessionEnding(visitor: Visitor | null, stash: VisitorStash, limits: SessionLimits, now: Date): VisitorPassErrorCode | null {
  if (!visitor || !visitor.isActive) return 'VISITOR_PASS_REVOKED';
  if (visitor.revokedAt && visitor.revokedAt.getTime() >= stash.redeemedAt) return 'VISITOR_PASS_REVOKED';
  return now.getTime() >= sessionRunsOutAt(visitor, stash.redeemedAt, limits) ? 'VISITOR_PASS_EXPIRED' : null;
}
