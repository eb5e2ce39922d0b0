import { VisitorPassOptionsError, type CleanupProgress, type VisitorPass } from '../src';
import { writeVisitorLog } from '../src/logs/visitor-log';
import { testPass } from './support/app';
import { backdatePass } from './support/backdate';
import { createTestDatabase, dialects, type TestDatabase } from './support/databases';

const DAY = 86400;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY * 1000);
const daysAhead = (days: number) => new Date(Date.now() + days * DAY * 1000);

describe.each(dialects)('cleanup of stale visitor passes (%s)', (dialect) => {
  let db: TestDatabase;
  let pass: VisitorPass;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    pass = testPass(db);
    await pass.migrate();
  });
  afterAll(async () => {
    await pass.close();
    await db.drop();
  });
  beforeEach(async () => {
    await pass.models.VisitorLog.destroy({ where: {} });
    await pass.models.Visitor.destroy({ where: {} });
  });

  /** Invites a visitor, writes `logs` log rows for the pass, then back-dates its columns with a direct UPDATE. */
  async function passWith(email: string, columns: Parameters<typeof backdatePass>[2] = {}, logs = 2): Promise<string> {
    const { visitor } = await pass.invite({ user: { id: 'fred' } }, { email, scope: 'REFERENCE_REQUEST' });
    for (let i = 0; i < logs; i += 1) await writeVisitorLog(pass.models, visitor.id, 'ACCESS');
    if (Object.keys(columns).length > 0) await backdatePass(pass.models, visitor.id, columns);
    return visitor.id;
  }

  async function remainingEmails(): Promise<string[]> {
    const visitors = await pass.models.Visitor.findAll({ attributes: ['email'] });
    return visitors.map((visitor) => visitor.email ?? '').sort();
  }

  const logCountOf = (visitorId: string) => pass.models.VisitorLog.count({ where: { visitorId } });

  /** Three passes stale for over 30 days, seven that must stay. */
  async function seedStory() {
    const stale = [
      await passWith('expired-40d@example.com', { expiresAt: daysAgo(40) }),
      await passWith('revoked-40d@example.com', { isActive: false, revokedAt: daysAgo(40) }),
      await passWith('deactivated-40d@example.com', { isActive: false, updatedAt: daysAgo(40) }),
    ];
    const kept = [
      await passWith('expired-40d-seen-10d@example.com', { expiresAt: daysAgo(40), lastSeenAt: daysAgo(10) }),
      await passWith('expired-10d@example.com', { expiresAt: daysAgo(10) }),
      await passWith('revoked-10d@example.com', { isActive: false, revokedAt: daysAgo(10) }),
      await passWith('revoked-40d-seen-5d@example.com', { isActive: false, revokedAt: daysAgo(40), lastSeenAt: daysAgo(5) }),
      await passWith('deactivated-now@example.com', { isActive: false }),
      // Reissued after a revocation: active again, the old revokedAt stays.
      await passWith('reissued@example.com', { revokedAt: daysAgo(40), expiresAt: daysAhead(7) }),
      await passWith('never-expires-100d@example.com', { expiresAt: null, createdAt: daysAgo(100), updatedAt: daysAgo(100) }),
      await passWith('fresh@example.com'),
    ];
    return { stale, kept };
  }

  test('deletes passes expired or inactive for longer than the window and unseen within it, with their logs', async () => {
    const { stale, kept } = await seedStory();

    const result = await pass.cleanup({ olderThanSeconds: 30 * DAY });

    expect(result).toEqual({ passes: 3, guests: 0, logs: 6 });
    expect(await remainingEmails()).toEqual([
      'deactivated-now@example.com',
      'expired-10d@example.com',
      'expired-40d-seen-10d@example.com',
      'fresh@example.com',
      'never-expires-100d@example.com',
      'reissued@example.com',
      'revoked-10d@example.com',
      'revoked-40d-seen-5d@example.com',
    ]);
    for (const id of stale) expect(await logCountOf(id)).toBe(0);
    for (const id of kept) expect(await logCountOf(id)).toBe(2);
  });

  test('a shorter window reaches the passes that went stale more recently', async () => {
    await seedStory();

    const result = await pass.cleanup({ olderThanSeconds: 7 * DAY });

    // Also: expired 10 days ago, revoked 10 days ago, and the expired one last seen 10 days ago.
    expect(result).toEqual({ passes: 6, guests: 0, logs: 12 });
    expect(await remainingEmails()).toEqual([
      'deactivated-now@example.com',
      'fresh@example.com',
      'never-expires-100d@example.com',
      'reissued@example.com',
      'revoked-40d-seen-5d@example.com',
    ]);
  });

  test('a dry run counts what would go and deletes nothing', async () => {
    await seedStory();

    const counted = await pass.cleanup({ olderThanSeconds: 30 * DAY, dryRun: true });

    expect(counted).toEqual({ passes: 3, guests: 0, logs: 6 });
    expect(await pass.models.Visitor.count()).toBe(11);
    expect(await pass.models.VisitorLog.count()).toBe(22);
    expect(await pass.cleanup({ olderThanSeconds: 30 * DAY })).toEqual(counted);
  });

  test('batches smaller than the work still delete every stale pass, reporting progress after each batch', async () => {
    for (let i = 0; i < 7; i += 1) await passWith(`stale-${i}@example.com`, { expiresAt: daysAgo(31) }, 1);
    const keeper = await passWith('fresh@example.com', {}, 3);
    const progress: CleanupProgress[] = [];

    const result = await pass.cleanup({
      olderThanSeconds: 30 * DAY,
      batchSize: 2,
      onProgress: (step) => progress.push(step),
    });

    expect(result).toEqual({ passes: 7, guests: 0, logs: 7 });
    expect(progress).toEqual([
      { done: 0, total: 7 },
      { done: 2, total: 7 },
      { done: 4, total: 7 },
      { done: 6, total: 7 },
      { done: 7, total: 7 },
    ]);
    expect(await remainingEmails()).toEqual(['fresh@example.com']);
    expect(await logCountOf(keeper)).toBe(3);
  });

  test('nothing stale: nothing deleted', async () => {
    await passWith('fresh@example.com');

    expect(await pass.cleanup({ olderThanSeconds: 30 * DAY })).toEqual({ passes: 0, guests: 0, logs: 0 });
    expect(await pass.models.Visitor.count()).toBe(1);
  });

  test('bad options are refused with a message naming the option, and nothing is deleted', async () => {
    await passWith('expired@example.com', { expiresAt: daysAgo(40) });
    await expect(pass.cleanup({ olderThanSeconds: -1 })).rejects.toThrow(VisitorPassOptionsError);
    await expect(pass.cleanup({ olderThanSeconds: NaN })).rejects.toThrow(/`olderThanSeconds`/);
    await expect(pass.cleanup({ olderThanSeconds: DAY, batchSize: 0 })).rejects.toThrow(/`batchSize`/);
    await expect(pass.cleanup({ olderThanSeconds: DAY, batchSize: 2.5 })).rejects.toThrow(/`batchSize`/);
    expect(await pass.models.Visitor.count()).toBe(1);
  });
});
