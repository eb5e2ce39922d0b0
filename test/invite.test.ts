import { createHash } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import type request from 'supertest';
import { dialects, type TestDatabase } from './support/databases';
import { gql, LINK_BASE_URL, startTestApp, type TestApp, openTestApp, closeTestApp } from './support/app';

const INVITE = /* GraphQL */ `
  mutation Invite($input: InviteVisitorInput!) {
    inviteVisitor(input: $input) {
      link
      token
      visitor { id kind scope firstName lastName fullName email isActive isValid maxUses useCount sessionExpiry expiresAt }
    }
  }
`;

const GINGER = { firstName: 'Ginger', lastName: 'Rogers', email: 'ginger@example.com', scope: 'REFERENCE_REQUEST' };

describe.each(dialects)('inviteVisitor on %s', (dialect) => {
  let db: TestDatabase;
  let app: TestApp;
  beforeAll(async () => ({ db, app } = await openTestApp(dialect, { pass: { tokenExpiry: 3600, sessionExpiry: 900 } })));
  afterAll(() => closeTestApp(app, db));

  async function loggedIn(target: TestApp = app, id = 'fred'): Promise<request.Agent> {
    const agent = target.agent();
    await agent.post('/login').send({ id }).expect(200);
    return agent;
  }

  function inviteAs(agent: request.Agent, input: Record<string, unknown> = {}) {
    return gql(agent, INVITE, { input: { ...GINGER, ...input } });
  }

  const passCount = () => app.pass.models.Visitor.count();

  describe('who may invite', () => {
    test('an anonymous caller is refused with INVITE_FORBIDDEN (403) and no pass is created', async () => {
      const before = await passCount();
      const response = await inviteAs(app.agent());
      expect(response.status).toBe(403);
      expect(response.body.data).toBeNull();
      expect(response.body.errors[0].extensions.code).toBe('INVITE_FORBIDDEN');
      expect(await passCount()).toBe(before);
    });

    test('a logged-in user may invite by default', async () => {
      const response = await inviteAs(await loggedIn());
      expect(response.status).toBe(200);
      expect(response.body.errors).toBeUndefined();
    });

    test.each([
      ['says no', () => false],
      ['throws', () => {
        throw new Error('canInvite exploded');
      }],
      ['rejects', async () => {
        throw new Error('canInvite exploded');
      }],
    ])('a canInvite that %s gives INVITE_FORBIDDEN without leaking its error', async (_name, canInvite) => {
      const strict = await startTestApp({ database: db, pass: { canInvite } });
      try {
        const response = await inviteAs(await loggedIn(strict));
        expect(response.status).toBe(403);
        expect(response.body.errors[0].extensions.code).toBe('INVITE_FORBIDDEN');
        expect(JSON.stringify(response.body)).not.toContain('exploded');
      } finally {
        await strict.stop();
      }
    });

    test('canInvite is asked with the context and the input', async () => {
      const seen: Array<{ user: unknown; scope: string }> = [];
      const open = await startTestApp({
        database: db,
        pass: {
          canInvite: (context, input) => {
            seen.push({ user: context.user, scope: input.scope });
            return input.scope === 'OPEN_DAY';
          },
        },
      });
      try {
        const allowed = await inviteAs(open.agent(), { scope: 'OPEN_DAY' });
        expect(allowed.body.errors).toBeUndefined();
        const refused = await inviteAs(open.agent(), { scope: 'REFERENCE_REQUEST' });
        expect(refused.body.errors[0].extensions.code).toBe('INVITE_FORBIDDEN');
        expect(seen).toEqual([
          { user: null, scope: 'OPEN_DAY' },
          { user: null, scope: 'REFERENCE_REQUEST' },
        ]);
      } finally {
        await open.stop();
      }
    });
  });

  describe('input validation', () => {
    test.each([
      ['a bad email', { email: 'not-an-email' }, 'email'],
      ['an empty scope', { scope: '' }, 'scope'],
      ['a blank scope', { scope: '   ' }, 'scope'],
      ['a scope over 100 characters', { scope: 'S'.repeat(101) }, 'scope'],
      ['a firstName over 150 characters', { firstName: 'G'.repeat(151) }, 'firstName'],
      ['a lastName over 150 characters', { lastName: 'R'.repeat(151) }, 'lastName'],
      ['a negative expiresIn', { expiresIn: -1 }, 'expiresIn'],
      ['a negative sessionExpiry', { sessionExpiry: -1 }, 'sessionExpiry'],
      ['a negative maxUses', { maxUses: -1 }, 'maxUses'],
      ['a javascript: url', { url: 'javascript:alert(1)' }, 'url'],
      ['an ftp:// url', { url: 'ftp://example.com/reference' }, 'url'],
      ['a protocol-relative url', { url: '//evil.example/reference' }, 'url'],
    ])('%s is BAD_USER_INPUT (400) naming the field, and no pass is created', async (_name, input, field) => {
      const agent = await loggedIn();
      const before = await passCount();
      const response = await inviteAs(agent, input);
      expect(response.status).toBe(400);
      expect(response.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(await passCount()).toBe(before);
    });

    test('the limits themselves are allowed: scope of 100, names of 150 characters', async () => {
      const response = await inviteAs(await loggedIn(), { scope: 'S'.repeat(100), firstName: 'G'.repeat(150), lastName: 'R'.repeat(150) });
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data.inviteVisitor.visitor.scope).toBe('S'.repeat(100));
    });

    test.each([
      ['a fractional maxUses', { maxUses: 1.5 }],
      ['a string sessionExpiry', { sessionExpiry: '10' }],
    ])('%s is refused by GraphQL itself with BAD_USER_INPUT (400)', async (_name, input) => {
      const response = await inviteAs(await loggedIn(), input);
      expect(response.status).toBe(400);
      expect(response.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('the link', () => {
    test('defaults to linkBaseUrl with the token as the vuid parameter', async () => {
      const { link, token } = (await inviteAs(await loggedIn())).body.data.inviteVisitor;
      expect(link).toBe(`${LINK_BASE_URL}?vuid=${token}`);
    });

    test("keeps the page's other query parameters, repeated ones too, and ends with vuid=<token>", async () => {
      const url = 'https://app.example.com/reference?step=2&tag=a&tag=b';
      const { link, token } = (await inviteAs(await loggedIn(), { url })).body.data.inviteVisitor;
      expect(link).toBe(`${url}&vuid=${token}`);
    });

    test("resolves a path against linkBaseUrl's origin", async () => {
      const { link, token } = (await inviteAs(await loggedIn(), { url: '/x?a=1' })).body.data.inviteVisitor;
      expect(link).toBe(`http://localhost:4000/x?a=1&vuid=${token}`);
    });
  });

  describe('the stored pass', () => {
    test('the token is 43 url-safe characters, and only its SHA-256 hex hash is stored', async () => {
      const first = (await inviteAs(await loggedIn())).body.data.inviteVisitor;
      const second = (await inviteAs(await loggedIn())).body.data.inviteVisitor;
      expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(second.token).not.toBe(first.token);

      const [row] = await db.sequelize.query<Record<string, unknown>>('SELECT * FROM visitor_pass_visitors WHERE id = :id', {
        replacements: { id: first.visitor.id },
        type: QueryTypes.SELECT,
      });
      expect(row.tokenHash).toBe(createHash('sha256').update(first.token).digest('hex'));
      for (const [column, value] of Object.entries(row)) {
        expect({ column, holdsToken: String(value).includes(first.token) }).toEqual({ column, holdsToken: false });
      }
    });

    test('records the inviter id', async () => {
      const { visitor } = (await inviteAs(await loggedIn(app, 'fred-42'))).body.data.inviteVisitor;
      const stored = await app.pass.models.Visitor.findByPk(visitor.id);
      expect(stored?.invitedBy).toBe('fred-42');
    });

    test('applies the option defaults: expiresAt ≈ now + tokenExpiry, sessionExpiry from the option', async () => {
      const started = Date.now();
      const { visitor } = (await inviteAs(await loggedIn())).body.data.inviteVisitor;
      const expiresAt = Date.parse(visitor.expiresAt);
      expect(expiresAt).toBeGreaterThanOrEqual(started + 3600 * 1000 - 1000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3600 * 1000 + 1000);
      expect(visitor).toMatchObject({
        sessionExpiry: 900,
        maxUses: null,
        useCount: 0,
        isActive: true,
        isValid: true,
        kind: 'INVITED',
        fullName: 'Ginger Rogers',
        email: 'ginger@example.com',
        scope: 'REFERENCE_REQUEST',
      });
    });

    test('honours expiresIn, sessionExpiry and maxUses from the input', async () => {
      const started = Date.now();
      const { visitor } = (await inviteAs(await loggedIn(), { expiresIn: 60, sessionExpiry: 0, maxUses: 2 })).body.data.inviteVisitor;
      const expiresAt = Date.parse(visitor.expiresAt);
      expect(expiresAt).toBeGreaterThanOrEqual(started + 60 * 1000 - 1000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 60 * 1000 + 1000);
      expect(visitor).toMatchObject({ sessionExpiry: 0, maxUses: 2, isValid: true });
    });

    test('a pass invited with expiresIn 0 is not valid', async () => {
      const { visitor } = (await inviteAs(await loggedIn(), { expiresIn: 0 })).body.data.inviteVisitor;
      expect(visitor.isValid).toBe(false);
    });

    test('fullName falls back to the email when no names are given', async () => {
      const { visitor } = (await inviteAs(await loggedIn(), { firstName: null, lastName: null })).body.data.inviteVisitor;
      expect(visitor.fullName).toBe('ginger@example.com');
    });
  });
});
