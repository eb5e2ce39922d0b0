import { Writable } from 'node:stream';
import request from 'supertest';
import type { VisitorPassEvents } from '../src';
import { runCli } from '../src/cli/run-cli';
import { gql, type TestApp } from './support/app';
import { backdatePass } from './support/backdate';
import { dialects } from './support/databases';
import {
  closeGuestApp,
  guestAgent,
  guestCount,
  openGuestApp,
  resetGuestApp,
  secondsAgo,
  sessionIdCookie,
  sessionSetCookie,
  type GuestApp,
} from './support/guests';
import { hostUserAgent, visitorAgent } from './support/visitor-agent';

const HOUR = 3600;
const DAY = 86400;

/** Only Date is faked: the servers, drivers and supertest keep their real timers. */
function freezeClock(): number {
  const now = Date.now();
  jest.useFakeTimers({
    now,
    doNotFake: ['hrtime', 'performance', 'nextTick', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
  });
  return now;
}

/** Writes the queued last-seen times first, so a later flush cannot undo the back-dating. */
async function backdate(app: TestApp, id: string, columns: Parameters<typeof backdatePass>[2]) {
  await app.pass.flushLogs();
  await backdatePass(app.pass.models, id, columns);
}

/** The guest's pass as a bypassing (staff) caller sees it, without touching the guest's own last-seen time. */
async function passAsStaff(app: TestApp, id: string) {
  const staff = await hostUserAgent(app, { id: 'boss', isStaff: true });
  const response = await gql(staff, 'query($id: ID!) { visitorPass(id: $id) { id kind expiresAt lastSeenAt createdAt } }', { id });
  if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
  return response.body.data.visitorPass;
}

async function stillTheGuest(agent: request.Agent, id: string) {
  const response = await gql(agent, '{ currentVisitor { id } anyVisitor }');
  return response.body.data?.currentVisitor?.id === id && response.body.data.anyVisitor === 'any';
}

describe.each(dialects)('guests expire maxAge after they were last seen (%s)', (dialect) => {
  let guests: GuestApp;
  beforeAll(async () => {
    guests = await openGuestApp(dialect, { maxSessionAge: 60, guests: { maxAge: HOUR, maxPerAddressPerHour: null } });
  });
  afterAll(() => closeGuestApp(guests));
  afterEach(() => {
    jest.useRealTimers();
  });

  test('unseen for longer than maxAge: the next request is no visitor and is told VISITOR_PASS_EXPIRED, once', async () => {
    const { app } = guests;
    const { agent, id } = await guestAgent(app);
    await backdate(app, id, { lastSeenAt: secondsAgo(HOUR + 60), createdAt: secondsAgo(HOUR + 60) });

    const after = await gql(agent, '{ whoami currentVisitor { id } }');
    expect(after.body.data).toEqual({ whoami: 'anonymous', currentVisitor: null });
    expect(after.body.extensions).toEqual({ visitorPass: { sessionEnded: 'VISITOR_PASS_EXPIRED' } });

    const next = await gql(agent, '{ whoami }');
    expect(next.body).toEqual({ data: { whoami: 'anonymous' } });
  });

  test('an expired guest asking for an @allowGuest field again becomes a new guest', async () => {
    const { app } = guests;
    const { agent, id } = await guestAgent(app);
    await backdate(app, id, { lastSeenAt: secondsAgo(2 * HOUR), createdAt: secondsAgo(2 * HOUR) });

    await gql(agent, '{ guestNote }').expect(200);
    const current = (await gql(agent, '{ currentVisitor { id kind } }')).body.data.currentVisitor;
    expect(current.kind).toBe('GUEST');
    expect(current.id).not.toBe(id);
  });

  test('seen within maxAge: still the guest, however long ago it was created', async () => {
    const { app } = guests;
    const { agent, id } = await guestAgent(app);
    await backdate(app, id, { lastSeenAt: secondsAgo(HOUR - 5 * 60), createdAt: secondsAgo(10 * DAY) });
    const response = await gql(agent, '{ currentVisitor { id } anyVisitor }');
    expect(response.body).toEqual({ data: { currentVisitor: { id }, anyVisitor: 'any' } });
  });

  // The browser's cookie must last too: the agent drops a cookie past its Expires, as a browser does.
  test('an active guest outlives maxAge counted from its creation: seen at +50 min, still the guest at +100 min', async () => {
    const { app } = guests;
    const start = freezeClock();
    const { agent, id } = await guestAgent(app);

    jest.setSystemTime(start + 50 * 60 * 1000);
    expect(await stillTheGuest(agent, id)).toBe(true);
    await app.pass.flushLogs();

    jest.setSystemTime(start + 100 * 60 * 1000);
    expect(await stillTheGuest(agent, id)).toBe(true);
  });

  test('maxSessionAge does not end a guest; it still ends an invited visitor of the same app', async () => {
    const { app } = guests;
    const start = freezeClock();
    const guest = await guestAgent(app);
    const ginger = await visitorAgent(app, 'REFERENCE_REQUEST');

    jest.setSystemTime(start + 5 * 60 * 1000);

    expect(await stillTheGuest(guest.agent, guest.id)).toBe(true);
    const invited = await gql(ginger, '{ anyVisitor }');
    expect(invited.body.errors?.[0]?.extensions?.code).toBe('VISITOR_PASS_EXPIRED');
  });

  test('Visitor.expiresAt of a guest is its last-seen time plus maxAge', async () => {
    const { app } = guests;
    const { id } = await guestAgent(app);
    const seen = new Date(Date.now() - 10 * 60 * 1000);
    seen.setMilliseconds(0);
    await backdate(app, id, { lastSeenAt: seen, createdAt: secondsAgo(DAY) });
    const pass = await passAsStaff(app, id);
    expect(pass.kind).toBe('GUEST');
    expect(new Date(pass.expiresAt).getTime()).toBe(seen.getTime() + HOUR * 1000);
  });

  test('without a host user, the guest’s session cookie lasts maxAge', async () => {
    const { app } = guests;
    const { created } = await guestAgent(app);
    const cookie = sessionSetCookie(created);
    expect(cookie).toBeDefined();
    const expires = /Expires=([^;]+)/i.exec(cookie ?? '')?.[1];
    expect(expires).toBeDefined();
    const lasts = (new Date(expires as string).getTime() - Date.now()) / 1000;
    expect(lasts).toBeGreaterThan(HOUR - 60);
    expect(lasts).toBeLessThanOrEqual(HOUR + 1);
  });
});

describe.each(dialects)('guests with logAccess false (%s)', (dialect) => {
  let guests: GuestApp;
  beforeAll(async () => {
    guests = await openGuestApp(dialect, { logAccess: false, guests: { maxAge: HOUR, maxPerAddressPerHour: null } });
  });
  afterAll(() => closeGuestApp(guests));
  afterEach(() => {
    jest.useRealTimers();
  });

  test('an active guest is still seen without access logs: seen at +50 min, still the guest at +100 min', async () => {
    const { app } = guests;
    const start = freezeClock();
    const { created, id } = await guestAgent(app);
    // The raw cookie, sent whatever its Expires says: only the server's view of the guest is tested here.
    const cookie = sessionIdCookie(created);
    const currentVisitor = async () =>
      (await request(app.app).post('/graphql').set('cookie', cookie).send({ query: '{ currentVisitor { id } }' })).body;

    jest.setSystemTime(start + 50 * 60 * 1000);
    expect((await currentVisitor()).data.currentVisitor).toEqual({ id });
    await app.pass.flushLogs();

    jest.setSystemTime(start + 100 * 60 * 1000);
    expect(await currentVisitor()).toEqual({ data: { currentVisitor: { id } } });
  });
});

describe.each(dialects)('guests with expireFrom "created" (%s)', (dialect) => {
  let guests: GuestApp;
  beforeAll(async () => {
    guests = await openGuestApp(dialect, { guests: { maxAge: HOUR, expireFrom: 'created', maxPerAddressPerHour: null } });
  });
  afterAll(() => closeGuestApp(guests));

  test('created longer than maxAge ago: expired even when seen a moment ago', async () => {
    const { app } = guests;
    const { agent, id } = await guestAgent(app);
    await backdate(app, id, { createdAt: secondsAgo(HOUR + 60), lastSeenAt: new Date() });
    const after = await gql(agent, '{ whoami currentVisitor { id } }');
    expect(after.body.data).toEqual({ whoami: 'anonymous', currentVisitor: null });
    expect(after.body.extensions).toEqual({ visitorPass: { sessionEnded: 'VISITOR_PASS_EXPIRED' } });
  });

  test('created within maxAge: still the guest', async () => {
    const { app } = guests;
    const { agent, id } = await guestAgent(app);
    await backdate(app, id, { createdAt: secondsAgo(HOUR - 5 * 60), lastSeenAt: secondsAgo(HOUR - 5 * 60) });
    expect(await stillTheGuest(agent, id)).toBe(true);
  });

  test('Visitor.expiresAt of a guest is its creation plus maxAge', async () => {
    const { app } = guests;
    const { id } = await guestAgent(app);
    const created = new Date(Date.now() - 10 * 60 * 1000);
    created.setMilliseconds(0);
    await backdate(app, id, { createdAt: created, lastSeenAt: new Date() });
    const pass = await passAsStaff(app, id);
    expect(new Date(pass.expiresAt).getTime()).toBe(created.getTime() + HOUR * 1000);
  });
});

describe.each(dialects)('pass.cleanup and guests (%s)', (dialect) => {
  let guests: GuestApp;
  beforeAll(async () => {
    guests = await openGuestApp(dialect, { guests: { maxAge: HOUR, maxPerAddressPerHour: null } });
  });
  afterAll(() => closeGuestApp(guests));
  beforeEach(() => resetGuestApp(guests));
  afterEach(() => {
    guests.app.pass.events.removeAllListeners('expired');
  });

  const logsOf = (ids: string[]) => guests.app.pass.models.VisitorLog.count({ where: { visitorId: ids } });
  const remainingIds = async () => (await guests.app.pass.models.Visitor.findAll({ attributes: ['id'] })).map((row) => row.id).sort();

  /** Two guests expired an hour ago and more, one fresh guest, one fresh invited pass. */
  async function seed() {
    const { app } = guests;
    const expired: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const { agent, id } = await guestAgent(app);
      await gql(agent, '{ guestNote }').expect(200);
      await backdate(app, id, { lastSeenAt: secondsAgo(2 * HOUR), createdAt: secondsAgo(3 * HOUR) });
      expired.push(id);
    }
    const fresh = (await guestAgent(app)).id;
    const { visitor } = await app.pass.invite({ user: { id: 'fred' } }, { email: 'ginger@example.com', scope: 'REFERENCE_REQUEST' });
    await app.pass.flushLogs();
    expect(await logsOf(expired)).toBeGreaterThanOrEqual(2);
    return { expired, fresh, invited: visitor.id };
  }

  test('expired guests go with their logs, whatever olderThanSeconds; unexpired guests and live passes stay', async () => {
    const { expired, fresh, invited } = await seed();
    const { visitor: stale } = await guests.app.pass.invite({ user: { id: 'fred' } }, { email: 'stale@example.com', scope: 'REFERENCE_REQUEST' });
    await backdate(guests.app, stale.id, { expiresAt: secondsAgo(40 * DAY) });
    const expiredLogs = await logsOf([...expired, stale.id]);
    const freshLogs = await logsOf([fresh]);

    const result = await guests.app.pass.cleanup({ olderThanSeconds: 30 * DAY });

    expect(result).toEqual({ passes: 1, guests: 2, logs: expiredLogs });
    expect(await remainingIds()).toEqual([fresh, invited].sort());
    expect(await logsOf(expired)).toBe(0);
    expect(await logsOf([fresh])).toBe(freshLogs);
    expect(await guests.app.pass.cleanup({ olderThanSeconds: 0 })).toEqual({ passes: 0, guests: 0, logs: 0 });
    expect(await remainingIds()).toEqual([fresh, invited].sort());
  });

  test('a dry run counts and deletes nothing, and calls no expired listener', async () => {
    const { expired } = await seed();
    const expiredLogs = await logsOf(expired);
    const total = await guests.app.pass.models.Visitor.count();
    const totalLogs = await guests.app.pass.models.VisitorLog.count();
    let calls = 0;
    guests.app.pass.events.on('expired', () => {
      calls += 1;
    });

    const counted = await guests.app.pass.cleanup({ olderThanSeconds: 0, dryRun: true });

    expect(counted).toEqual({ passes: 0, guests: 2, logs: expiredLogs });
    expect(calls).toBe(0);
    expect(await guests.app.pass.models.Visitor.count()).toBe(total);
    expect(await guests.app.pass.models.VisitorLog.count()).toBe(totalLogs);
    expect(await guests.app.pass.cleanup({ olderThanSeconds: 0 })).toEqual(counted);
  });

  test('a converted guest counts as a guest and follows the deactivated-pass rule', async () => {
    const { app } = guests;
    const { id } = await guestAgent(app);
    await app.pass.flushLogs();
    await app.pass.models.Visitor.update(
      { isActive: false, revokedAt: secondsAgo(10 * 60), lastSeenAt: secondsAgo(10 * 60), convertedUserId: 'u1', convertedAt: secondsAgo(10 * 60) } as any,
      { where: { id }, silent: true },
    );
    const logs = await logsOf([id]);

    expect(await app.pass.cleanup({ olderThanSeconds: 30 * DAY })).toEqual({ passes: 0, guests: 0, logs: 0 });
    expect(await remainingIds()).toEqual([id]);
    expect(await app.pass.cleanup({ olderThanSeconds: 5 * 60 })).toEqual({ passes: 0, guests: 1, logs });
    expect(await remainingIds()).toEqual([]);
  });

  test('expired listeners are awaited before each batch is deleted and get the visitors of the batch', async () => {
    const { expired } = await seed();
    const { app } = guests;
    const third = (await guestAgent(app)).id;
    await backdate(app, third, { lastSeenAt: secondsAgo(2 * HOUR), createdAt: secondsAgo(2 * HOUR) });
    const batches: Array<{ ids: string[]; stillStored: number }> = [];
    app.pass.events.on('expired', async ({ visitors }: VisitorPassEvents['expired']) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const ids = visitors.map((visitor) => visitor.id);
      batches.push({ ids, stillStored: await app.pass.models.Visitor.count({ where: { id: ids } }) });
    });

    const result = await app.pass.cleanup({ olderThanSeconds: 30 * DAY, batchSize: 2 });

    expect(result.guests).toBe(3);
    expect(batches.map((batch) => batch.ids.length)).toEqual([2, 1]);
    for (const batch of batches) expect(batch.stillStored).toBe(batch.ids.length);
    expect(batches.flatMap((batch) => batch.ids).sort()).toEqual([...expired, third].sort());
    expect(await guestCount(app)).toBe(1);
  });

  test('a rejecting expired listener stops the cleanup: the batch stays', async () => {
    const { expired } = await seed();
    const logs = await logsOf(expired);
    guests.app.pass.events.on('expired', async () => {
      throw new Error('archive unavailable');
    });

    await expect(guests.app.pass.cleanup({ olderThanSeconds: 30 * DAY })).rejects.toThrow('archive unavailable');

    expect(await guests.app.pass.models.Visitor.count({ where: { id: expired } })).toBe(2);
    expect(await logsOf(expired)).toBe(logs);
  });
});

/** A stream that keeps what is written to it. */
class Capture extends Writable {
  text = '';
  _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

describe.each(dialects)('visitor-pass cleanup and guests on the command line (%s)', (dialect) => {
  let guests: GuestApp;
  beforeAll(async () => {
    // The app's own maxAge is long: only the command line's --guest-max-age decides.
    guests = await openGuestApp(dialect, { guests: { maxPerAddressPerHour: null } });
  });
  afterAll(() => closeGuestApp(guests));
  beforeEach(() => resetGuestApp(guests));

  async function cli(args: string[]) {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await runCli(args, { stdout, stderr, env: { DATABASE_URL: guests.db.url }, isTTY: false });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  /** Two guests unseen for 2 hours, one created 2 hours ago but seen now, one stale invited pass; log rows counted. */
  async function seed() {
    const { app } = guests;
    const unseen: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const { id } = await guestAgent(app);
      unseen.push(id);
    }
    const recent = (await guestAgent(app)).id;
    const { visitor } = await app.pass.invite({ user: { id: 'fred' } }, { email: 'old@example.com', scope: 'REFERENCE_REQUEST' });
    await app.pass.flushLogs();
    for (const id of unseen) await backdatePass(app.pass.models, id, { lastSeenAt: secondsAgo(2 * HOUR), createdAt: secondsAgo(2 * HOUR) });
    await backdatePass(app.pass.models, recent, { lastSeenAt: new Date(), createdAt: secondsAgo(2 * HOUR) });
    await backdatePass(app.pass.models, visitor.id, { expiresAt: secondsAgo(40 * DAY) });
    const logs = (ids: string[]) => app.pass.models.VisitorLog.count({ where: { visitorId: ids } });
    return { unseen, recent, invited: visitor.id, logs };
  }

  test('--guest-max-age 1h deletes the guests unseen for longer, with the stale invited pass', async () => {
    const { unseen, recent, invited, logs } = await seed();
    const logRows = await logs([...unseen, invited]);

    const dry = await cli(['cleanup', '--older-than', '30d', '--guest-max-age', '1h', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`^Would delete 1 visitor pass, 2 guests and ${logRows} log rows\\b`));
    expect(await guestCount(guests.app)).toBe(3);

    const run = await cli(['cleanup', '--older-than', '30d', '--guest-max-age', '1h']);
    expect(run).toEqual({ code: 0, stdout: `Deleted 1 visitor pass, 2 guests and ${logRows} log rows.\n`, stderr: '' });
    expect((await guests.app.pass.models.Visitor.findAll()).map((row) => row.id)).toEqual([recent]);
  });

  test('without --guest-max-age the default 30 days keeps guests unseen for 2 hours', async () => {
    const { unseen, recent, invited, logs } = await seed();
    const logRows = await logs([invited]);
    const guestLogs = await logs([...unseen, recent]);
    const run = await cli(['cleanup', '--older-than', '30d']);
    expect(run).toEqual({ code: 0, stdout: `Deleted 1 visitor pass, 0 guests and ${logRows} log ${logRows === 1 ? 'row' : 'rows'}.\n`, stderr: '' });
    expect(await guestCount(guests.app)).toBe(3);
    expect(await logs([...unseen, recent])).toBe(guestLogs);
  });

  test('--guest-expire-from created also takes the guest created 2 hours ago though it was seen now', async () => {
    const { unseen, recent, invited, logs } = await seed();
    const logRows = await logs([...unseen, recent, invited]);
    const run = await cli(['cleanup', '--older-than', '30d', '--guest-max-age', '1h', '--guest-expire-from', 'created']);
    expect(run).toEqual({ code: 0, stdout: `Deleted 1 visitor pass, 3 guests and ${logRows} log rows.\n`, stderr: '' });
    expect(await guestCount(guests.app)).toBe(0);
  });
});
