import { Op, type WhereOptions } from 'sequelize';
import { VisitorPassOptionsError } from '../errors';
import { expiredGuestsWhere, type GuestLifetime } from '../guests/guest-expiry';
import type { Visitor, VisitorPassModels } from './models';

export interface CleanupProgress {
  /** Passes deleted so far. */
  done: number;
  /** Passes to delete, counted when the cleanup started (grows if more turn up). */
  total: number;
}

export interface CleanupOptions {
  /** A pass goes once it has been expired or inactive, and unseen, for this many seconds. */
  olderThanSeconds: number;
  /** Count what would go, delete nothing. Default false. */
  dryRun?: boolean;
  /** Passes deleted per batch. Default 500. */
  batchSize?: number;
  /** Called after each batch. */
  onProgress?: (progress: CleanupProgress) => void;
  /** How long guests last (`guests.maxAge`, `guests.expireFrom`). Default 30 days from the last request. */
  guests?: GuestLifetime;
  /** Awaited with each batch before it is deleted; a rejection stops the cleanup with that batch kept. */
  beforeDelete?: (visitors: Visitor[]) => Promise<void>;
}

export interface CleanupResult {
  /** Invited visitor passes deleted (or that would be, with `dryRun`). */
  passes: number;
  /** Guests deleted (or that would be), converted ones included. */
  guests: number;
  /** Their VisitorLog rows deleted (or that would be). */
  logs: number;
}

export const DEFAULT_GUEST_LIFETIME: GuestLifetime = { maxAge: 30 * 24 * 3600, expireFrom: 'lastSeen' };

export const DEFAULT_CLEANUP_BATCH_SIZE = 500;

/**
 * Passes expired, or deactivated, before `cutoff`, and not seen since.
 * Inactive passes without `revokedAt` (deactivated some other way) count from
 * their last change, which is never earlier than the deactivation. Guests
 * go as soon as they expire: their lifetime already is their retention.
 */
function stalePassesWhere(cutoff: Date, guests: GuestLifetime, now: Date): WhereOptions<Visitor> {
  return {
    [Op.or]: [
      {
        [Op.and]: [
          {
            [Op.or]: [
              { expiresAt: { [Op.lt]: cutoff } },
              { isActive: false, revokedAt: { [Op.lt]: cutoff } },
              { isActive: false, revokedAt: null, updatedAt: { [Op.lt]: cutoff } },
            ],
          },
          { [Op.or]: [{ lastSeenAt: null }, { lastSeenAt: { [Op.lt]: cutoff } }] },
        ],
      },
      expiredGuestsWhere(guests, now),
    ],
  };
}

function checkCleanupOptions({ olderThanSeconds, batchSize, guests }: CleanupOptions): void {
  if (typeof olderThanSeconds !== 'number' || !Number.isFinite(olderThanSeconds) || olderThanSeconds < 0) {
    throw new VisitorPassOptionsError('cleanup option `olderThanSeconds` must be a non-negative number of seconds.');
  }
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) {
    throw new VisitorPassOptionsError('cleanup option `batchSize` must be a whole number of at least 1.');
  }
  if (guests && (!(guests.maxAge > 0) || !['lastSeen', 'created'].includes(guests.expireFrom))) {
    throw new VisitorPassOptionsError('cleanup option `guests` needs a positive `maxAge` and `expireFrom` "lastSeen" or "created".');
  }
}

/**
 * Deletes stale visitor passes with their logs, one small batch at a time
 * (select ids, delete their logs, delete the passes), so no statement or lock
 * grows with the table.
 */
export async function cleanupVisitorPasses(models: VisitorPassModels, options: CleanupOptions): Promise<CleanupResult> {
  checkCleanupOptions(options);
  const { olderThanSeconds, dryRun = false, batchSize = DEFAULT_CLEANUP_BATCH_SIZE, onProgress, beforeDelete } = options;
  const now = new Date();
  const where = stalePassesWhere(new Date(now.getTime() - olderThanSeconds * 1000), options.guests ?? DEFAULT_GUEST_LIFETIME, now);
  const { Visitor, VisitorLog } = models;

  if (dryRun) {
    const guests = await Visitor.count({ where: { [Op.and]: [where, { kind: 'GUEST' }] } });
    const logs = await VisitorLog.count({ include: [{ model: Visitor, as: 'visitor', where, attributes: [], required: true }] });
    return { passes: (await Visitor.count({ where })) - guests, guests, logs };
  }

  const total = await Visitor.count({ where });
  const deleted: CleanupResult = { passes: 0, guests: 0, logs: 0 };
  onProgress?.({ done: 0, total });
  for (;;) {
    // Whole rows only when a listener wants them; ids and kinds otherwise.
    const batch = beforeDelete
      ? await Visitor.findAll({ where, limit: batchSize })
      : await Visitor.findAll({ attributes: ['id', 'kind'], where, limit: batchSize, raw: true });
    if (batch.length === 0) break;
    await beforeDelete?.(batch as Visitor[]);
    const ids = batch.map((visitor) => visitor.id);
    deleted.logs += await VisitorLog.destroy({ where: { visitorId: ids } });
    await Visitor.destroy({ where: { id: ids } });
    const guests = batch.filter((visitor) => visitor.kind === 'GUEST').length;
    deleted.guests += guests;
    deleted.passes += batch.length - guests;
    const done = deleted.passes + deleted.guests;
    onProgress?.({ done, total: Math.max(total, done) });
  }
  return deleted;
}
