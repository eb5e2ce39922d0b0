import { QueryTypes, UniqueConstraintError } from 'sequelize';
import type { VisitorPass } from '../src';
import { createTestDatabase, dialects, type TestDatabase } from './support/databases';
import { createMigrator } from '../src/data/migrations';
import { gql, invite, openLink, startTestApp, testPass } from './support/app';

describe.each(dialects)('pass.migrate() on %s', (dialect) => {
  let db: TestDatabase;
  let pass: VisitorPass;
  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    pass = testPass(db);
  });
  afterAll(() => db.drop());

  async function indexes(table: string) {
    const found = (await db.sequelize.getQueryInterface().showIndex(table)) as unknown as Array<{
      unique: boolean;
      fields: Array<{ attribute: string }>;
    }>;
    return found.map((index) => ({ fields: index.fields.map((field) => field.attribute), unique: Boolean(index.unique) }));
  }

  test('the first run creates the tables and records the migration', async () => {
    const tablesBefore = await db.sequelize.getQueryInterface().showAllTables();
    expect(tablesBefore).toEqual([]);
    expect(await pass.migrate()).toEqual(['0001-create-visitor-pass-tables', '0002-add-guests']);
    const tables = await db.sequelize.getQueryInterface().showAllTables();
    expect([...tables].sort()).toEqual(['visitor_pass_logs', 'visitor_pass_migrations', 'visitor_pass_visitors']);
    const recorded = await db.sequelize.query<{ name: string }>('SELECT name FROM visitor_pass_migrations', { type: QueryTypes.SELECT });
    expect(recorded.map((row) => row.name)).toEqual(['0001-create-visitor-pass-tables', '0002-add-guests']);
  });

  test('a second run runs nothing', async () => {
    expect(await pass.migrate()).toEqual([]);
  });

  test('indexes: tokenHash and guestName unique, email, expiresAt, guest address and activity; logs by visitor and time', async () => {
    const visitors = await indexes('visitor_pass_visitors');
    expect(visitors).toEqual(
      expect.arrayContaining([
        { fields: ['tokenHash'], unique: true },
        { fields: ['email'], unique: false },
        { fields: ['expiresAt'], unique: false },
        { fields: ['guestName'], unique: true },
        { fields: ['createdFrom', 'createdAt'], unique: false },
        { fields: ['kind', 'lastSeenAt'], unique: false },
      ]),
    );
    expect(await indexes('visitor_pass_logs')).toEqual(expect.arrayContaining([{ fields: ['visitorId', 'createdAt'], unique: false }]));
  });

  test('the database itself refuses two passes with the same token hash', async () => {
    const twin = () =>
      pass.models.Visitor.create({
        scope: 'S',
        email: 'twin@example.com',
        tokenHash: 'f'.repeat(64),
        sessionExpiry: 0,
        context: null,
        invitedBy: null,
        url: null,
        expiresAt: null,
        maxUses: null,
        redeemedAt: null,
        lastSeenAt: null,
        revokedAt: null,
      });
    await twin();
    await expect(twin()).rejects.toBeInstanceOf(UniqueConstraintError);
  });

  test('deleting a pass deletes its logs (cascade in the database, not in the ORM)', async () => {
    const app = await startTestApp({ database: db });
    try {
      const fred = app.agent();
      const deleted = await invite(fred, {});
      const kept = await invite(fred, {});
      for (const { link, visitor } of [deleted, kept]) {
        await openLink(app.agent(), link).expect(303);
        await gql(fred, 'mutation Revoke($id: ID!) { revokeVisitorPass(id: $id) { id } }', { id: visitor.id }).expect(200);
      }
      const logCount = (visitorId: string) => app.pass.models.VisitorLog.count({ where: { visitorId } });
      expect(await logCount(deleted.visitor.id)).toBe(2);

      await db.sequelize.query('DELETE FROM visitor_pass_visitors WHERE id = :id', { replacements: { id: deleted.visitor.id } });
      expect(await logCount(deleted.visitor.id)).toBe(0);
      expect(await logCount(kept.visitor.id)).toBe(2);
    } finally {
      await app.stop();
    }
  });
});

describe.each(dialects)('upgrading a 0001 database on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(dialect);
  });
  afterAll(() => db.drop());

  test('0002 adds the guest columns and keeps the passes already there', async () => {
    await createMigrator(db.sequelize).up({ to: '0001-create-visitor-pass-tables' });
    await db.sequelize.query(
      `INSERT INTO visitor_pass_visitors (id, kind, ${q(db, 'firstName')}, ${q(db, 'lastName')}, email, scope, ${q(db, 'sessionExpiry')}, ${q(db, 'isActive')}, ${q(db, 'useCount')}, ${q(db, 'createdAt')}, ${q(db, 'updatedAt')})
       VALUES ('6f1c1f9e-3b8a-4f53-9a57-2b1d0c7e5a10', 'INVITED', 'Ginger', 'Rogers', 'ginger@example.com', 'REFERENCE_REQUEST', 0, true, 0, :now, :now)`,
      { replacements: { now: new Date() } },
    );
    const pass = testPass(db);
    expect(await pass.migrate()).toEqual(['0002-add-guests']);
    const kept = await pass.models.Visitor.findByPk('6f1c1f9e-3b8a-4f53-9a57-2b1d0c7e5a10');
    expect(kept).toMatchObject({ fullName: 'Ginger Rogers', guestName: null, convertedUserId: null, convertedAt: null });
  });
});

function q(db: TestDatabase, name: string): string {
  return db.sequelize.getQueryInterface().quoteIdentifier(name);
}
