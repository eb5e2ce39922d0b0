import { Op, type WhereOptions } from 'sequelize';
import type { Visitor } from '../data/models';
import type { ResolvedGuestOptions } from '../options';

export type GuestLifetime = Pick<ResolvedGuestOptions, 'maxAge' | 'expireFrom'>;

/** When a guest stops being one: `maxAge` after its last request, or after its creation. */
export function guestExpiresAt(guest: Visitor, { maxAge, expireFrom }: GuestLifetime): Date {
  const from = expireFrom === 'created' ? guest.createdAt : (guest.lastSeenAt ?? guest.createdAt);
  return new Date(from.getTime() + maxAge * 1000);
}

/** Active guests that have expired by `now`, as a query (the same rule as `guestExpiresAt`). */
export function expiredGuestsWhere({ maxAge, expireFrom }: GuestLifetime, now: Date): WhereOptions<Visitor> {
  const cutoff = new Date(now.getTime() - maxAge * 1000);
  const idle =
    expireFrom === 'created'
      ? { createdAt: { [Op.lte]: cutoff } }
      : { [Op.or]: [{ lastSeenAt: { [Op.lte]: cutoff } }, { lastSeenAt: null, createdAt: { [Op.lte]: cutoff } }] };
  return { kind: 'GUEST', isActive: true, ...idle };
}
