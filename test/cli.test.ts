import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { VisitorPass } from '../src';
import { runCli } from '../src/cli/run-cli';
import { migrations } from '../src/data/migrations';
import { LOGS_TABLE, VISITORS_TABLE } from '../src/data/models';
import { writeVisitorLog } from '../src/logs/visitor-log';
import { gql, openLink, startTestApp, testPass } from './support/app';
import { backdatePass } from './support/backdate';
import { createTestDatabase, dialects, type TestDatabase } from './support/databases';

/** A stream that keeps what is written to it; `isTTY` as a terminal would say. */
class Capture extends Writable {
  text = '';
  constructor(readonly isTTY = false) {
    super();
  }
  _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

async function cli(args: string[], env: Record<string, string | undefined>, { isTTY = false } = {}) {
  const stdout = new Capture(isTTY);
  const stderr = new Capture(isTTY);
  const code = await runCli(args, { stdout, stderr, env, isTTY });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** One line addressed to the operator: no stack trace, no SQL. */
function expectOneCleanLine(text: string) {
  expect(text).toMatch(/^visitor-pass: [^\n]+\n$/);
  expect(text).not.toMatch(/\bat .+:\d+:\d+/);
  expect(text).not.toMatch(/\b(SELECT|INSERT|UPDATE|DELETE|FROM|WHERE)\b/);
}

const DAY = 86400;
const secondsAgo = (seconds: number) => new Date(Date.now() - seconds * 1000);

describe('visitor-pass command line (no database needed)', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'visitor-pass-cli-'));
    env = { DATABASE_URL: `sqlite:${join(dir, 'never-created.sqlite')}` };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('--help describes the program, its commands and DATABASE_URL', async () => {
    const { code, stdout, stderr } = await cli(['--help'], env);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Usage: visitor-pass \[options\] \[command\]/);
    for (const command of ['migrate', 'list', 'revoke <id>', 'cleanup']) expect(stdout).toContain(command);
    expect(stdout).toContain('DATABASE_URL');
  });

  test.each([
    ['migrate', []],
    ['list', ['--active', '--scope <scope>', '--json']],
    ['revoke', ['<id>']],
    ['cleanup', ['--older-than <duration>', '--dry-run', '--batch-size <n>', '30d, 12h, 45m, 90s, 2w']],
  ])('%s --help shows its usage and options', async (command, mentions) => {
    for (const args of [[command, '--help'], ['help', command]]) {
      const { code, stdout, stderr } = await cli(args, env);
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toContain(`Usage: visitor-pass ${command}`);
      for (const mention of mentions) expect(stdout).toContain(mention);
    }
  });

  test('no command: the usage on stderr, exit 2', async () => {
    const { code, stdout, stderr } = await cli([], env);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^Usage: visitor-pass/);
  });

  test.each([
    [['bogus'], "unknown command 'bogus'"],
    [['--bogus'], "unknown option '--bogus'"],
    [['migrate', 'now'], 'too many arguments'],
    [['list', '--bogus'], "unknown option '--bogus'"],
    [['list', '--scope'], "option '--scope <scope>' argument missing"],
    [['revoke'], "missing required argument 'id'"],
    [['revoke', 'a', 'b'], 'too many arguments'],
    [['cleanup'], "required option '--older-than <duration>' not specified"],
    [['cleanup', '--older-than'], "option '--older-than <duration>' argument missing"],
    [['cleanup', '--older-than', '30'], "argument '30' is invalid. Expected a duration such as 30d"],
    [['cleanup', '--older-than', '3x'], "argument '3x' is invalid"],
    [['cleanup', '--older-than', '1.5d'], "argument '1.5d' is invalid"],
    [['cleanup', '--older-than', '-5d'], "argument '-5d' is invalid"],
    [['cleanup', '--older-than', '0d'], 'longer than 0'],
    [['cleanup', '--older-than', '99999w'], 'at most 100 years'],
    [['cleanup', '--older-than', '30d', '--batch-size'], "option '--batch-size <n>' argument missing"],
    [['cleanup', '--older-than', '30d', '--batch-size', '1.5'], "argument '1.5' is invalid. Expected a whole number"],
    [['cleanup', '--older-than', '30d', '--batch-size', 'ten'], "argument 'ten' is invalid"],
    [['cleanup', '--older-than', '30d', '--batch-size', '0'], "argument '0' is invalid"],
    [['cleanup', '--older-than', '30d', '--batch-size', '10001'], "argument '10001' is invalid"],
  ])('%j → exit 2 with one clear line on stderr', async (args, message) => {
    const { code, stdout, stderr } = await cli(args, env);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expectOneCleanLine(stderr);
    expect(stderr).toContain(message);
    expect(stderr).toMatch(/see `visitor-pass( \w+)? --help`/);
    expect(existsSync(join(dir, 'never-created.sqlite'))).toBe(false);
  });

  test('a command other than migrate does not create a missing SQLite file: exit 1, pointing at migrate', async () => {
    for (const args of [['list'], ['revoke', '6f1e2c3a-1111-4222-8333-444455556666'], ['cleanup', '--older-than', '30d']]) {
      const { code, stdout, stderr } = await cli(args, env);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expectOneCleanLine(stderr);
      expect(stderr).toContain('no SQLite database at');
      expect(stderr).toContain('visitor-pass migrate');
    }
    expect(existsSync(join(dir, 'never-created.sqlite'))).toBe(false);
  });

  test('an unusable DATABASE_URL: exit 1 with one clear line, no password, SQL or stack', async () => {
    const badScheme = await cli(['list'], { DATABASE_URL: 'oracle://scott:tiger@db/x' });
    expect(badScheme.code).toBe(1);
    expectOneCleanLine(badScheme.stderr);
    expect(badScheme.stderr).toContain('DATABASE_URL must start with sqlite:, postgres://, mysql:// or mariadb://');
    expect(badScheme.stderr).not.toContain('tiger');

    const unreachable = await cli(['migrate'], { DATABASE_URL: 'postgres://someone:s3cret@127.0.0.1:1/nowhere' });
    expect(unreachable.code).toBe(1);
    expectOneCleanLine(unreachable.stderr);
    expect(unreachable.stderr).toContain('cannot connect to the database');
    expect(unreachable.stderr).not.toContain('s3cret');
  });
});

describe.each(dialects)('visitor-pass commands against a database (%s)', (dialect) => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let pass: VisitorPass;
  const fred = { user: { id: 'fred' } };

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    env = { DATABASE_URL: db.url };
    pass = testPass(db);
  });
  afterAll(async () => {
    await pass.close();
    await db.drop();
  });

  async function resetPasses() {
    await pass.models.VisitorLog.destroy({ where: {} });
    await pass.models.Visitor.destroy({ where: {} });
  }

  /** Idempotent, so each group below can run on its own (jest -t) as well as after the migrate test. */
  async function migrated() {
    const { code } = await cli(['migrate'], env);
    if (code !== 0) throw new Error('visitor-pass migrate failed');
  }

  const backdate = (id: string, columns: Parameters<typeof backdatePass>[2]) => backdatePass(pass.models, id, columns);

  async function tableNames(): Promise<string[]> {
    const tables = (await db.sequelize.getQueryInterface().showAllTables()) as Array<string | { tableName: string }>;
    return tables.map((table) => (typeof table === 'string' ? table : table.tableName));
  }

  test('migrate creates the tables, then reports them up to date; other commands refuse to run before it', async () => {
    const early = await cli(['list'], env);
    expect(early.code).toBe(1);
    expectOneCleanLine(early.stderr);
    // SQLite: no file yet; servers: no tables yet. Either way the message points at migrate.
    expect(early.stderr).toMatch(/run `visitor-pass migrate` (first|to create it)/);

    const first = await cli(['migrate'], env);
    const ranAll = migrations.map((migration) => `Ran migration ${migration.name}.\n`).join('');
    expect(ranAll).toContain('Ran migration 0001-create-visitor-pass-tables.\n');
    expect(first).toEqual({ code: 0, stdout: ranAll, stderr: '' });
    expect(await tableNames()).toEqual(expect.arrayContaining([VISITORS_TABLE, LOGS_TABLE]));

    const again = await cli(['migrate'], env);
    expect(again).toEqual({ code: 0, stdout: 'The visitor pass tables are up to date.\n', stderr: '' });

    const empty = await cli(['list'], env);
    expect(empty).toEqual({ code: 0, stdout: 'No visitor passes match.\n', stderr: '' });
  });

  describe('list', () => {
    let ginger: string;
    let astaire: string;
    let revoked: string;
    let tokens: string[];

    beforeAll(async () => {
      await migrated();
      await resetPasses();
      const invitations = [
        await pass.invite(fred, { firstName: 'Ginger', lastName: 'Rogers', email: 'ginger@example.com', scope: 'REFERENCE_REQUEST', maxUses: 3 }),
        await pass.invite(fred, { firstName: 'Fred', lastName: 'Astaire', email: 'astaire@example.com', scope: 'DOCS' }),
        await pass.invite(fred, { firstName: 'Eleanor', lastName: 'Powell', email: 'eleanor@example.com', scope: 'REFERENCE_REQUEST' }),
      ];
      [ginger, astaire, revoked] = invitations.map((invitation) => invitation.visitor.id);
      tokens = invitations.map((invitation) => invitation.token);
      await backdate(revoked, { isActive: false, revokedAt: new Date() });
      await backdate(ginger, { useCount: 1, lastSeenAt: new Date('2030-01-02T03:04:00Z'), expiresAt: new Date('2030-02-03T04:05:00Z') });
    });

    async function tokenHashes(): Promise<string[]> {
      const visitors = await pass.models.Visitor.findAll({ attributes: ['tokenHash'] });
      return visitors.map((visitor) => visitor.tokenHash ?? '').filter(Boolean);
    }

    test('a readable table of every pass, without token or token hash', async () => {
      const { code, stdout, stderr } = await cli(['list'], env);
      expect(code).toBe(0);
      expect(stderr).toBe('');
      const [header, ...rows] = stdout.trimEnd().split('\n');
      expect(header.split(/\s{2,}/)).toEqual(['ID', 'KIND', 'NAME', 'EMAIL', 'SCOPE', 'ACTIVE', 'USES/MAX', 'EXPIRES', 'LAST SEEN']);
      expect(rows).toHaveLength(3);
      const gingerRow = rows.find((row) => row.startsWith(ginger));
      expect(gingerRow?.split(/\s{2,}/)).toEqual([
        ginger, 'INVITED', 'Ginger Rogers', 'ginger@example.com', 'REFERENCE_REQUEST', 'yes', '1/3', '2030-02-03T04:05Z', '2030-01-02T03:04Z',
      ]);
      expect(rows.find((row) => row.startsWith(revoked))?.split(/\s{2,}/)[5]).toBe('no');
      expect(rows.find((row) => row.startsWith(astaire))?.split(/\s{2,}/)).toContain('0/-');
      for (const secret of [...tokens, ...(await tokenHashes())]) expect(stdout).not.toContain(secret);
    });

    test('--active leaves out revoked passes, --scope keeps one scope, together they combine', async () => {
      const idsOf = (stdout: string) => stdout.trimEnd().split('\n').slice(1).map((row) => row.split(/\s+/)[0]).sort();
      expect(idsOf((await cli(['list', '--active'], env)).stdout)).toEqual([ginger, astaire].sort());
      expect(idsOf((await cli(['list', '--scope', 'REFERENCE_REQUEST'], env)).stdout)).toEqual([ginger, revoked].sort());
      expect(idsOf((await cli(['list', '--active', '--scope', 'REFERENCE_REQUEST'], env)).stdout)).toEqual([ginger]);
      expect(await cli(['list', '--scope', 'NO_SUCH_SCOPE'], env)).toEqual({ code: 0, stdout: 'No visitor passes match.\n', stderr: '' });
    });

    test('--json prints one object per line, without the token hash', async () => {
      const { code, stdout } = await cli(['list', '--json', '--scope', 'REFERENCE_REQUEST'], env);
      expect(code).toBe(0);
      const lines = stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
      expect(lines.map((line) => line.id).sort()).toEqual([ginger, revoked].sort());
      const gingerLine = lines.find((line) => line.id === ginger);
      expect(gingerLine).toMatchObject({
        kind: 'INVITED',
        fullName: 'Ginger Rogers',
        email: 'ginger@example.com',
        scope: 'REFERENCE_REQUEST',
        isActive: true,
        useCount: 1,
        maxUses: 3,
        invitedBy: 'fred',
        expiresAt: '2030-02-03T04:05:00.000Z',
        lastSeenAt: '2030-01-02T03:04:00.000Z',
        convertedUserId: null,
        convertedAt: null,
      });
      expect(lines.find((line) => line.id === revoked)).toMatchObject({ isActive: false, revokedAt: expect.any(String) });
      for (const line of lines) expect(line).not.toHaveProperty('tokenHash');
      for (const secret of [...tokens, ...(await tokenHashes())]) expect(stdout).not.toContain(secret);
    });

    test('terminal control characters in stored names are not printed', async () => {
      await backdate(astaire, { firstName: 'Fred\u001b[2J\u202e', lastName: 'Astaire\r\nINJECTED' });
      const { stdout } = await cli(['list', '--scope', 'DOCS'], env);
      expect(stdout).not.toMatch(/[\u001b\r\u202e]/);
      expect(stdout.trimEnd().split('\n')).toHaveLength(2);
    });
  });

  describe('revoke', () => {
    beforeAll(migrated);
    beforeEach(resetPasses);

    test('deactivates the pass and writes a REVOKED log row; a second revoke changes nothing', async () => {
      const { visitor } = await pass.invite(fred, { firstName: 'Ginger', lastName: 'Rogers', email: 'ginger@example.com', scope: 'REFERENCE_REQUEST' });

      const { code, stdout, stderr } = await cli(['revoke', visitor.id], env);

      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toBe(`Revoked visitor pass ${visitor.id} (Ginger Rogers).\n`);
      const row = await pass.models.Visitor.findByPk(visitor.id);
      expect(row?.isActive).toBe(false);
      expect(Math.abs((row?.revokedAt?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
      const logs = await pass.models.VisitorLog.findAll({ where: { visitorId: visitor.id } });
      expect(logs.map((log) => [log.event, log.reason])).toEqual([['REVOKED', 'CLI']]);

      const again = await cli(['revoke', visitor.id], env);
      expect(again).toEqual({ code: 0, stdout: `Visitor pass ${visitor.id} (Ginger Rogers) was already inactive.\n`, stderr: '' });
      expect(await pass.models.VisitorLog.count({ where: { visitorId: visitor.id } })).toBe(1);
    });

    test('accepts the id in upper case', async () => {
      const { visitor } = await pass.invite(fred, { email: 'upper@example.com', scope: 'DOCS' });
      const { code } = await cli(['revoke', visitor.id.toUpperCase()], env);
      expect(code).toBe(0);
      expect((await pass.models.Visitor.findByPk(visitor.id))?.isActive).toBe(false);
    });

    test('an unknown or malformed id: exit 1 with a clear line, and nothing changes', async () => {
      const { visitor } = await pass.invite(fred, { email: 'bystander@example.com', scope: 'DOCS' });

      const unknown = await cli(['revoke', '6f1e2c3a-1111-4222-8333-444455556666'], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stdout).toBe('');
      expectOneCleanLine(unknown.stderr);
      expect(unknown.stderr).toContain('no visitor pass with id 6f1e2c3a-1111-4222-8333-444455556666');

      const malformed = await cli(['revoke', "1' OR '1'='1"], env);
      expect(malformed.code).toBe(1);
      expectOneCleanLine(malformed.stderr);
      expect(malformed.stderr).toContain('is not a visitor pass id');

      expect((await pass.models.Visitor.findByPk(visitor.id))?.isActive).toBe(true);
      expect(await pass.models.VisitorLog.count({ where: { visitorId: visitor.id } })).toBe(0);
    });

    test('ends a visitor session that holds the pass on its next request', async () => {
      const app = await startTestApp({ database: db });
      try {
        const { visitor, link } = await pass.invite(fred, { email: 'ginger@example.com', scope: 'REFERENCE_REQUEST' });
        const browser = app.agent();
        expect((await openLink(browser, link)).status).toBe(303);
        expect((await gql(browser, '{ secret }')).body.data.secret).toBe('secret');

        expect((await cli(['revoke', visitor.id], env)).code).toBe(0);

        const after = await gql(browser, '{ secret }');
        expect(after.body.data?.secret ?? null).toBeNull();
        expect(after.body.errors?.[0]?.extensions?.code).toBe('VISITOR_PASS_REVOKED');
      } finally {
        await app.stop();
      }
    });
  });

  describe('cleanup', () => {
    beforeAll(migrated);
    beforeEach(resetPasses);

    /** Three passes expired 40 days ago (one log row each) and one fresh pass with two log rows. */
    async function seed() {
      const stale: string[] = [];
      for (const email of ['a@example.com', 'b@example.com', 'c@example.com']) {
        const { visitor } = await pass.invite(fred, { email, scope: 'REFERENCE_REQUEST' });
        await writeVisitorLog(pass.models, visitor.id, 'REDEEMED');
        await backdate(visitor.id, { expiresAt: secondsAgo(40 * DAY) });
        stale.push(visitor.id);
      }
      const { visitor: fresh } = await pass.invite(fred, { email: 'fresh@example.com', scope: 'REFERENCE_REQUEST' });
      await writeVisitorLog(pass.models, fresh.id, 'REDEEMED');
      await writeVisitorLog(pass.models, fresh.id, 'ACCESS');
      return { stale, fresh: fresh.id };
    }

    test('--dry-run prints what would be deleted and deletes nothing', async () => {
      await seed();
      const { code, stdout, stderr } = await cli(['cleanup', '--older-than', '30d', '--dry-run'], env);
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toBe('Would delete 3 visitor passes, 0 guests and 3 log rows (dry run: nothing was deleted).\n');
      expect(await pass.models.Visitor.count()).toBe(4);
      expect(await pass.models.VisitorLog.count()).toBe(5);
    });

    test('deletes the stale passes and their logs in batches smaller than the work; the others and their logs stay', async () => {
      const { stale, fresh } = await seed();
      const { code, stdout, stderr } = await cli(['cleanup', '--older-than', '30d', '--batch-size', '2'], env);
      expect(code).toBe(0);
      expect(stdout).toBe('Deleted 3 visitor passes, 0 guests and 3 log rows.\n');
      expect(stderr).toBe(''); // not a terminal: no progress bar
      expect((await pass.models.Visitor.findAll()).map((visitor) => visitor.id)).toEqual([fresh]);
      expect(await pass.models.VisitorLog.count({ where: { visitorId: stale } })).toBe(0);
      expect(await pass.models.VisitorLog.count({ where: { visitorId: fresh } })).toBe(2);

      expect((await cli(['cleanup', '--older-than', '30d'], env)).stdout).toBe('Deleted 0 visitor passes, 0 guests and 0 log rows.\n');
    });

    test('on a terminal, a progress bar on stderr; the counts still on stdout', async () => {
      await seed();
      const { code, stdout, stderr } = await cli(['cleanup', '--older-than', '30d', '--batch-size', '1'], env, { isTTY: true });
      expect(code).toBe(0);
      expect(stdout).toBe('Deleted 3 visitor passes, 0 guests and 3 log rows.\n');
      expect(stderr).toContain('Deleting visitor passes');
      expect(stderr).toContain('3/3');
    });

    test.each([
      ['90s', 90],
      ['45m', 45 * 60],
      ['12h', 12 * 3600],
      ['30d', 30 * DAY],
      ['2w', 14 * DAY],
    ])('--older-than %s counts %i seconds', async (duration, seconds) => {
      const { visitor: over } = await pass.invite(fred, { email: 'over@example.com', scope: 'DOCS' });
      const { visitor: under } = await pass.invite(fred, { email: 'under@example.com', scope: 'DOCS' });
      await backdate(over.id, { expiresAt: secondsAgo(seconds + 30) });
      await backdate(under.id, { expiresAt: secondsAgo(seconds - 30) });

      const { code, stdout } = await cli(['cleanup', '--older-than', duration], env);

      expect(code).toBe(0);
      expect(stdout).toBe('Deleted 1 visitor pass, 0 guests and 0 log rows.\n');
      expect((await pass.models.Visitor.findAll()).map((visitor) => visitor.id)).toEqual([under.id]);
    });
  });
});
