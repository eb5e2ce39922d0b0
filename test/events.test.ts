import { VisitorPassEmitter, type VisitorPassEventName, type VisitorPassEvents } from '../src';
import { createTestDatabase, dialects, type TestDatabase } from './support/databases';
import { gql, invite, openLink, startTestApp, type TestApp } from './support/app';

type Seen = { [E in VisitorPassEventName]: { event: E; payload: VisitorPassEvents[E] } }[VisitorPassEventName];

const EVENT_NAMES: VisitorPassEventName[] = ['invited', 'redeemed', 'ended', 'revoked', 'reissued', 'denied', 'unavailable'];

describe.each(dialects)('pass.events on %s', (dialect) => {
  let db: TestDatabase;
  let app: TestApp;
  let seen: Seen[];
  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    app = await startTestApp({ database: db });
    for (const event of EVENT_NAMES) app.pass.events.on(event, (payload) => seen.push({ event, payload } as Seen));
  });
  beforeEach(() => {
    seen = [];
  });
  afterAll(async () => {
    await app.stop();
    await db.drop();
  });

  const only = <E extends VisitorPassEventName>(event: E) =>
    seen.filter((entry) => entry.event === event).map((entry) => entry.payload as VisitorPassEvents[E]);

  test('invited carries the pass, the link to send and the inviter', async () => {
    const { link, visitor } = await invite(app.agent(), {});
    expect(seen.map((entry) => entry.event)).toEqual(['invited']);
    const [invited] = only('invited');
    expect(invited.link).toBe(link);
    expect(invited.invitedBy).toBe('fred');
    expect(invited.visitor.id).toBe(visitor.id);
    expect(invited.visitor.email).toBe('ginger@example.com');
  });

  test('invited also fires for pass.invite from server code, and not for a refused invitation', async () => {
    const invitation = await app.pass.invite({ user: { id: 'server' } }, { email: 'ginger@example.com', scope: 'REFERENCE_REQUEST' });
    await gql(app.agent(), 'mutation { inviteVisitor(input: { email: "x@example.com", scope: "S" }) { token } }').expect(403);
    expect(only('invited').map((payload) => [payload.link, payload.invitedBy])).toEqual([[invitation.link, 'server']]);
  });

  test('redeemed, then ended with deactivated false', async () => {
    const { link, visitor } = await invite(app.agent(), {});
    const ginger = app.agent();
    seen = [];
    await openLink(ginger, link).expect(303);
    await gql(ginger, 'mutation { endVisitorSession }').expect(200);
    expect(seen.map((entry) => entry.event)).toEqual(['redeemed', 'ended']);
    const [redeemed] = only('redeemed');
    expect(redeemed.visitor.id).toBe(visitor.id);
    expect(redeemed.visitor.useCount).toBe(1);
    expect(only('ended').map((payload) => [payload.visitor.id, payload.deactivated])).toEqual([[visitor.id, false]]);
  });

  test('ended with deactivated true', async () => {
    const { link, visitor } = await invite(app.agent(), {});
    const ginger = app.agent();
    await openLink(ginger, link).expect(303);
    await gql(ginger, 'mutation { endVisitorSession(deactivate: true) }').expect(200);
    const [ended] = only('ended');
    expect(ended.deactivated).toBe(true);
    expect(ended.visitor.id).toBe(visitor.id);
    expect(ended.visitor.isActive).toBe(false);
  });

  test('revoked names who revoked; reissued carries the new link', async () => {
    const fred = app.agent();
    const { visitor } = await invite(fred, {});
    seen = [];
    await gql(fred, 'mutation Revoke($id: ID!) { revokeVisitorPass(id: $id) { id } }', { id: visitor.id }).expect(200);
    const reissue = await gql(fred, 'mutation Reissue($id: ID!) { reissueVisitorPass(id: $id) { link } }', { id: visitor.id });
    expect(seen.map((entry) => entry.event)).toEqual(['revoked', 'reissued']);
    const [revoked] = only('revoked');
    expect(revoked.revokedBy).toBe('fred');
    expect(revoked.visitor.id).toBe(visitor.id);
    expect(revoked.visitor.isActive).toBe(false);
    const [reissued] = only('reissued');
    expect(reissued.link).toBe(reissue.body.data.reissueVisitorPass.link);
    expect(reissued.visitor.id).toBe(visitor.id);
  });

  test('denied carries the pass and the code; an unknown token denies nothing', async () => {
    const { link, visitor } = await invite(app.agent(), { maxUses: 1 });
    await openLink(app.agent(), link).expect(303);
    seen = [];
    await openLink(app.agent(), link).expect(200);
    await app.agent().get(`/reference?vuid=${'A'.repeat(43)}`).expect(200);
    expect(seen.map((entry) => entry.event)).toEqual(['denied']);
    const [denied] = only('denied');
    expect(denied.code).toBe('VISITOR_PASS_USED_UP');
    expect(denied.visitor.id).toBe(visitor.id);
  });

  test('off removes a listener', async () => {
    const links: string[] = [];
    const listener = ({ link }: VisitorPassEvents['invited']) => links.push(link);
    app.pass.events.on('invited', listener);
    await invite(app.agent(), {});
    app.pass.events.off('invited', listener);
    await invite(app.agent(), {});
    expect(links).toHaveLength(1);
  });

  test('listeners are typed by event name (checked by the compiler)', () => {
    const events = new VisitorPassEmitter();
    const codes: string[] = [];
    events.on('denied', ({ code }) => codes.push(code.toLowerCase()));
    events.on('invited', ({ link, invitedBy }) => [link.toUpperCase(), invitedBy]);
    // @ts-expect-error: a redeemed payload has no link
    events.on('redeemed', ({ link }) => link);
    // @ts-expect-error: no such event
    events.on('visited', () => undefined);
    events.emit('denied', { visitor: {} as VisitorPassEvents['denied']['visitor'], code: 'VISITOR_PASS_EXPIRED' });
    expect(codes).toEqual(['visitor_pass_expired']);
  });
});
