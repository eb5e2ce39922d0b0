import { Op } from 'sequelize';
import type { VisitorPassModels } from '../data/models';
import type { RequestFacts } from './request-facts';

interface AccessEntry extends RequestFacts {
  visitorId: string;
  reason: string | null;
  statusCode: number | null;
  createdAt: Date;
}

/** A request of a visitor: an ACCESS row to write, or only a last-seen time (`logAccess: false`). */
type QueuedAccess = { visitorId: string; createdAt: Date; row: AccessEntry | null };

const FLUSH_INTERVAL_MS = 1000;
const MAX_BATCH = 500;

/**
 * ACCESS rows and last-seen times, written in batches off the request path:
 * a visitor's request costs no extra round trip, and `flush()` (called when
 * the server stops) writes whatever is still queued.
 */
export class AccessLog {
  private queue: QueuedAccess[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly models: VisitorPassModels,
    private readonly onFailure: (error: Error) => void,
  ) {}

  /** An ACCESS row, and the visitor's last-seen time. */
  record(entry: Omit<AccessEntry, 'createdAt'>): void {
    const createdAt = new Date();
    this.enqueue({ visitorId: entry.visitorId, createdAt, row: { ...entry, createdAt } });
  }

  /** Only the last-seen time: guests expire from it even without access logs. */
  touch(visitorId: string): void {
    this.enqueue({ visitorId, createdAt: new Date(), row: null });
  }

  private enqueue(access: QueuedAccess): void {
    this.queue.push(access);
    if (this.queue.length >= MAX_BATCH) {
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS);
      this.timer.unref();
    }
  }

  /** Writes everything queued so far; resolves when it is stored. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.queue.splice(0);
    this.flushing = this.flushing.then(() => (batch.length ? this.write(batch) : undefined));
    return this.flushing;
  }

  private async write(batch: QueuedAccess[]): Promise<void> {
    const { Visitor, VisitorLog } = this.models;
    try {
      const rows = batch.flatMap(({ row }) => (row ? [{ ...row, event: 'ACCESS' }] : []));
      if (rows.length) await VisitorLog.bulkCreate(rows);
      // One statement for the whole batch: last seen to within the flush interval.
      const seenAt = batch[batch.length - 1].createdAt;
      const visitorIds = [...new Set(batch.map((entry) => entry.visitorId))];
      await Visitor.update(
        { lastSeenAt: seenAt },
        { where: { id: visitorIds, [Op.or]: [{ lastSeenAt: null }, { lastSeenAt: { [Op.lt]: seenAt } }] }, silent: true },
      );
    } catch (error) {
      this.onFailure(error as Error);
    }
  }
}
