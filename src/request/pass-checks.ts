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

/**
 * Why a stashed visitor session is over, or null while it lasts: the pass was
 * revoked (even if reissued since), or the session outlived its own expiry or
 * the server-side cap, whatever the cookie says. A guest lasts as long as
 * the guest itself: `guests.maxAge` from its last request or its creation.
 */
export function sessionEnding(
  visitor: Visitor | null,
  stash: VisitorStash,
  { maxSessionAge, guests }: Pick<ResolvedOptions, 'maxSessionAge' | 'guests'>,
  now: Date,
): VisitorPassErrorCode | null {
  if (!visitor || !visitor.isActive) return 'VISITOR_PASS_REVOKED';
  if (visitor.revokedAt && visitor.revokedAt.getTime() >= stash.redeemedAt) return 'VISITOR_PASS_REVOKED';
  if (visitor.kind === 'GUEST') return guestExpiresAt(visitor, guests).getTime() <= now.getTime() ? 'VISITOR_PASS_EXPIRED' : null;
  const age = now.getTime() - stash.redeemedAt;
  if (visitor.sessionExpiry > 0 && age >= visitor.sessionExpiry * 1000) return 'VISITOR_PASS_EXPIRED';
  if (age >= maxSessionAge * 1000) return 'VISITOR_PASS_EXPIRED';
  return null;
}
