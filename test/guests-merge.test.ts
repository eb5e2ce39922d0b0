import type { VisitorPassEvents } from '../src';
import { gql, invite, openLink, passRow } from './support/app';
import { dialects } from './support/databases';
import { closeGuestApp, guestAgent, openGuestApp, resetGuestApp, sessionBehind, sessionIdCookie, type GuestApp } from './support/guests';

const LOGIN = 'mutation Login($id: ID!) { login(id: $id) }';

describe.each(dialects)('pass.mergeVisitorInto from a host login resolver (%s)', (dialect) => {
  let guests: GuestApp;
  beforeAll(async () => {
    guests = await openGuestApp(dialect, { guests: { maxPerAddressPerHour: null } });
  });
  afterAll(() => closeGuestApp(guests));
  beforeEach(() => resetGuestApp(guests));
  afterEach(() => {
    guests.app.pass.events.removeAllListeners('merged');
  });

  const mergedLogs = (visitorId: string) => guests.app.pass.models.VisitorLog.findAll({ where: { visitorId, event: 'MERGED' } });

  test('a guest logs in: the async merged listener runs first, then the pass is deactivated, logged and the stash cleared', async () => {
    const { app, state } = guests;
    const { agent, id } = await guestAgent(app);
    await gql(agent, 'mutation { writeNote(text: "draft") }').expect(200);
    const before = sessionIdCookie(await agent.post('/session-data').send({ cart: ['tea'] }));

    const heard: Array<{ visitorId: string; userId: string; activeMeanwhile: boolean }> = [];
    let listenerDone = false;
    app.pass.events.on('merged', async ({ visitor, userId }: VisitorPassEvents['merged']) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      // The host moves the guest's data while the pass is still as it was.
      state.notes.set(`user:${userId}`, state.notes.get(`visitor:${visitor.id}`) ?? []);
      heard.push({ visitorId: visitor.id, userId, activeMeanwhile: (await passRow(app, visitor.id)).isActive });
      listenerDone = true;
    });

    const response = await gql(agent, LOGIN, { id: 'fred' });

    expect(response.body).toEqual({ data: { login: `merged:${id}` } });
    expect(listenerDone).toBe(true);
    expect(heard).toEqual([{ visitorId: id, userId: 'fred', activeMeanwhile: true }]);

    const row = await passRow(app, id);
    expect(row.isActive).toBe(false);
    expect((row as any).convertedUserId).toBe('fred');
    expect((row as any).convertedAt).toBeInstanceOf(Date);
    expect(await mergedLogs(id)).toHaveLength(1);

    const session = (await agent.get('/session-data')).body;
    expect(session).not.toHaveProperty('visitor:session');
    expect(session).toMatchObject({ cart: ['tea'], user: { id: 'fred' } });
    expect(sessionIdCookie(response)).not.toBe(before);
    expect(await sessionBehind(app, before)).not.toHaveProperty('visitor:session');

    expect((await gql(agent, '{ whoami currentVisitor { id } myNotes }')).body).toEqual({
      data: { whoami: 'user:fred', currentVisitor: null, myNotes: ['draft'] },
    });
  });

  test('an invited visitor is merged the same way', async () => {
    const { app } = guests;
    const invitation = await invite(app.agent(), {});
    const ginger = app.agent();
    await openLink(ginger, invitation.link).expect(303);
    const heard: string[] = [];
    app.pass.events.on('merged', ({ visitor, userId }) => {
      heard.push(`${visitor.id}->${userId}`);
    });

    const response = await gql(ginger, LOGIN, { id: 'ginger' });

    expect(response.body).toEqual({ data: { login: `merged:${invitation.visitor.id}` } });
    expect(heard).toEqual([`${invitation.visitor.id}->ginger`]);
    expect((await passRow(app, invitation.visitor.id)).isActive).toBe(false);
    expect((await gql(ginger, '{ whoami secret }')).body.data).toEqual({ whoami: 'user:ginger', secret: null });
  });

  test('no visitor in the context: returns null, no listener, no log', async () => {
    const { app } = guests;
    let calls = 0;
    app.pass.events.on('merged', () => {
      calls += 1;
    });
    const browser = app.agent();
    const response = await gql(browser, LOGIN, { id: 'fred' });
    expect(response.body).toEqual({ data: { login: 'none' } });
    expect(calls).toBe(0);
    expect(await app.pass.models.VisitorLog.count({ where: { event: 'MERGED' } })).toBe(0);
    expect((await gql(browser, '{ whoami }')).body.data.whoami).toBe('user:fred');
  });

  test('a merged listener that rejects aborts: the login fails, the pass stays active, the browser is still the guest', async () => {
    const { app } = guests;
    const { agent, id, fullName } = await guestAgent(app);
    app.pass.events.on('merged', async () => {
      throw new Error('could not move the cart');
    });

    const response = await gql(agent, LOGIN, { id: 'fred' });

    expect(response.body.data?.login ?? null).toBeNull();
    expect(response.body.errors).toHaveLength(1);
    const row = await passRow(app, id);
    expect(row.isActive).toBe(true);
    expect((row as any).convertedUserId ?? null).toBeNull();
    expect(await mergedLogs(id)).toHaveLength(0);
    expect((await gql(agent, '{ whoami currentVisitor { id } }')).body.data).toEqual({ whoami: `visitor:GUEST:${fullName}`, currentVisitor: { id } });
    expect((await agent.get('/session-data')).body).not.toHaveProperty('user');
  });
});
