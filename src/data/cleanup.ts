import { Op, type WhereOptions } from 'sequelize';
import { VisitorPassOptionsError } from '../errors';
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
}

export interface CleanupResult {
  /** Visitor passes deleted (or that would be, with `dryRun`). */
  passes: number;
  /** Their VisitorLog rows deleted (or that would be). */
  logs: number;
}

export const DEFAULT_CLEANUP_BATCH_SIZE = 500;

/**
 * Passes expired, or deactivated, before `cutoff`, and not seen since.
 * Inactive passes without `revokedAt` (deactivated some other way) count from
 * their last change, which is never earlier than the deactivation.
 */
function stalePassesWhere(cutoff: Date): WhereOptions<Visitor> {
  return {
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
  };
}

function checkCleanupOptions({ olderThanSeconds, batchSize }: CleanupOptions): void {
  if (typeof olderThanSeconds !== 'number' || !Number.isFinite(olderThanSeconds) || olderThanSeconds < 0) {
    throw new VisitorPassOptionsError('cleanup option `olderThanSeconds` must be a non-negative number of seconds.');
  }
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) {
    throw new VisitorPassOptionsError('cleanup option `batchSize` must be a whole number of at least 1.');
  }
}

/**
 * Deletes stale visitor passes with their logs, one small batch at a time
 * (select ids, delete their logs, delete the passes), so no statement or lock
 * grows with the table.
 */
export async function cleanupVisitorPasses(models: VisitorPassModels, options: CleanupOptions): Promise<CleanupResult> {
  checkCleanupOptions(options);
  const { olderThanSeconds, dryRun = false, batchSize = DEFAULT_CLEANUP_BATCH_SIZE, onProgress } = options;
  const where = stalePassesWhere(new Date(Date.now() - olderThanSeconds * 1000));
  const { Visitor, VisitorLog } = models;

  const total = await Visitor.count({ where });
  if (dryRun) {
    const logs = await VisitorLog.count({ include: [{ model: Visitor, as: 'visitor', where, attributes: [], required: true }] });
    return { passes: total, logs };
  }

  const deleted: CleanupResult = { passes: 0, logs: 0 };
  onProgress?.({ done: 0, total });
  for (;;) {
    const batch = await Visitor.findAll({ attributes: ['id'], where, limit: batchSize, raw: true });
    if (batch.length === 0) break;
    const ids = batch.map((visitor) => visitor.id);
    deleted.logs += await VisitorLog.destroy({ where: { visitorId: ids } });
    deleted.passes += await Visitor.destroy({ where: { id: ids } });
    onProgress?.({ done: deleted.passes, total: Math.max(total, deleted.passes) });
  }
  return deleted;
}
