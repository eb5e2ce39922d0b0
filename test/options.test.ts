import type { Sequelize } from 'sequelize';
import { connectDatabase, createVisitorPass, VisitorPassOptionsError, type VisitorPassOptions } from '../src';
import { createTestDatabase, type TestDatabase } from './support/databases';
import { gql, invite, LINK_BASE_URL, openLink, startTestApp, type TestApp } from './support/app';

const ENV_NAMES = ['VISITOR_SESSION_KEY', 'VISITOR_SESSION_EXPIRY', 'VISITOR_QUERYSTRING_KEY'] as const;
type EnvName = (typeof ENV_NAMES)[number];

/** Runs `work` with exactly these visitor-pass variables set (the others unset), then restores them. */
async function withEnv<T>(env: Partial<Record<EnvName, string>>, work: () => T | Promise<T>): Promise<T> {
  const saved = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]));
  for (const name of ENV_NAMES) {
    if (env[name] === undefined) delete process.env[name];
    else process.env[name] = env[name];
  }
  try {
    return await work();
  } finally {
    for (const name of ENV_NAMES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  }
}

describe('option validation at start-up', () => {
  let sequelize: Sequelize;
  beforeAll(() => {
    sequelize = connectDatabase('sqlite:');
  });
  afterAll(() => sequelize.close());

  function startupError(options: Partial<VisitorPassOptions>): Error {
    try {
      createVisitorPass({ sequelize, linkBaseUrl: LINK_BASE_URL, ...options } as VisitorPassOptions);
    } catch (error) {
      return error as Error;
    }
    throw new Error('createVisitorPass accepted the options');
  }

  test.each<[string, Partial<VisitorPassOptions>, string]>([
    ['a negative sessionExpiry', { sessionExpiry: -1 }, 'sessionExpiry'],
    ['a fractional sessionExpiry', { sessionExpiry: 1.5 }, 'sessionExpiry'],
    ['a negative tokenExpiry', { tokenExpiry: -1 }, 'tokenExpiry'],
    ['a zero tokenExpiry', { tokenExpiry: 0 }, 'tokenExpiry'],
    ['a negative maxSessionAge', { maxSessionAge: -1 }, 'maxSessionAge'],
    ['an empty querystringKey', { querystringKey: '' }, 'querystringKey'],
    ['an empty sessionKey', { sessionKey: ' ' }, 'sessionKey'],
    ['a missing linkBaseUrl', { linkBaseUrl: undefined }, 'linkBaseUrl'],
    ['a relative linkBaseUrl', { linkBaseUrl: '/reference' }, 'linkBaseUrl'],
    ['a non-http linkBaseUrl', { linkBaseUrl: 'ftp://example.com/reference' }, 'linkBaseUrl'],
    ['a javascript: linkBaseUrl', { linkBaseUrl: 'javascript:alert(1)' }, 'linkBaseUrl'],
    ['a non-function bypass', { bypass: { staff: 'yes' as unknown as () => boolean } }, 'bypass.staff'],
    ['a non-function canInvite', { canInvite: true as unknown as () => boolean }, 'canInvite'],
    ['an empty guest scope', { guests: { scope: ' ' } }, 'guests.scope'],
    ['a zero guest maxAge', { guests: { maxAge: 0 } }, 'guests.maxAge'],
    ['an unknown guest expireFrom', { guests: { expireFrom: 'redeemed' as 'created' } }, 'guests.expireFrom'],
    ['a zero per-address guest limit', { guests: { maxPerAddressPerHour: 0 } }, 'guests.maxPerAddressPerHour'],
    ['an unknown guest name generator', { guests: { nameGenerator: 'fancy' as 'uuid' } }, 'guests.nameGenerator'],
    ['a non-function guest convert hook', { guests: { convert: 'signup' as unknown as () => string } }, 'guests.convert'],
    ['a zero ticket lifetime', { tickets: { ttlSeconds: 0 } }, 'tickets.ttlSeconds'],
    ['a non-redis ticket store URL', { tickets: { redis: 'http://127.0.0.1:6379' } }, 'tickets.redis'],
    ['a ticket store with unknown connection options', { tickets: { redis: { hots: 'x' } as object } }, 'tickets.redis'],
    ['a relative ticket path', { tickets: { path: 'ticket' } }, 'tickets.path'],
  ])('%s fails with a message naming the option', (_name, options, option) => {
    const error = startupError(options);
    expect(error).toBeInstanceOf(VisitorPassOptionsError);
    expect(error.message).toMatch(/^graphql-visitor-pass: /);
    expect(error.message).toContain(`option \`${option}\``);
  });

  test('no options object at all is a clear error', () => {
    expect(() => createVisitorPass(undefined as unknown as VisitorPassOptions)).toThrow(/linkBaseUrl/);
  });

  test.each(['abc', '-5', '1.5'])('a bad VISITOR_SESSION_EXPIRY (%p) names the option and the variable', async (value) => {
    const error = await withEnv({ VISITOR_SESSION_EXPIRY: value }, () => startupError({}));
    expect(error).toBeInstanceOf(VisitorPassOptionsError);
    expect(error.message).toContain('option `sessionExpiry`');
    expect(error.message).toContain('VISITOR_SESSION_EXPIRY');
  });

  test('a bad VISITOR_QUERYSTRING_KEY names the option and the variable', async () => {
    const error = await withEnv({ VISITOR_QUERYSTRING_KEY: 'a key' }, () => startupError({}));
    expect(error.message).toContain('option `querystringKey`');
    expect(error.message).toContain('VISITOR_QUERYSTRING_KEY');
  });

  test('a bad explicit option is blamed on the option, not on the environment', async () => {
    const error = await withEnv({ VISITOR_SESSION_EXPIRY: '60' }, () => startupError({ sessionExpiry: -1 }));
    expect(error.message).toContain('option `sessionExpiry`');
    expect(error.message).not.toContain('VISITOR_SESSION_EXPIRY');
  });

  test('the environment is not consulted when the option is given: a bad variable is ignored', async () => {
    await withEnv({ VISITOR_SESSION_EXPIRY: 'abc' }, () => {
      expect(() => createVisitorPass({ sequelize, linkBaseUrl: LINK_BASE_URL, sessionExpiry: 60 })).not.toThrow();
    });
  });
});

describe('option values in use', () => {
  let db: TestDatabase;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.stop()));
    jest.useRealTimers();
  });
  afterAll(() => db.drop());

  async function appWithEnv(env: Partial<Record<EnvName, string>>, pass: Partial<VisitorPassOptions> = {}): Promise<TestApp> {
    const app = await withEnv(env, () => startTestApp({ database: db, pass }));
    apps.push(app);
    return app;
  }

  async function stashedKeys(agent: ReturnType<TestApp['agent']>): Promise<string[]> {
    const session = (await agent.get('/session-data')).body as Record<string, unknown>;
    return Object.keys(session).filter((key) => (session[key] as { visitorId?: string } | null)?.visitorId);
  }

  test('defaults: sessionKey visitor:session, sessionExpiry 0, querystringKey vuid, tokenExpiry 7 days', async () => {
    const app = await appWithEnv({});
    const started = Date.now();
    const { link, token, visitor } = await invite(app.agent(), {});
    expect(link).toBe(`${LINK_BASE_URL}?vuid=${token}`);
    expect(visitor.sessionExpiry).toBe(0);
    const expiresAt = Date.parse(visitor.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(started + 7 * 24 * 3600_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 7 * 24 * 3600_000 + 1000);
    const ginger = app.agent();
    await openLink(ginger, link).expect(303);
    expect(await stashedKeys(ginger)).toEqual(['visitor:session']);
  });

  test('default maxSessionAge: a visitor session ends 12 hours after redemption', async () => {
    const app = await appWithEnv({});
    const { link } = await invite(app.agent(), {});
    const ginger = app.agent();
    const redeemedAt = Date.now();
    await openLink(ginger, link).expect(303);
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'queueMicrotask', 'hrtime', 'performance'],
    });
    jest.setSystemTime(redeemedAt + 12 * 3600_000 - 60_000);
    expect((await gql(ginger, '{ secret }')).body.data.secret).toBe('secret');
    jest.setSystemTime(redeemedAt + 12 * 3600_000 + 1000);
    const expired = await gql(ginger, '{ secret }');
    expect(expired.body.errors[0].extensions.code).toBe('VISITOR_PASS_EXPIRED');
  });

  test('VISITOR_SESSION_KEY is where the visitor is stashed', async () => {
    const app = await appWithEnv({ VISITOR_SESSION_KEY: 'host:visitor' });
    const { link } = await invite(app.agent(), {});
    const ginger = app.agent();
    await openLink(ginger, link).expect(303);
    expect(await stashedKeys(ginger)).toEqual(['host:visitor']);
    expect((await gql(ginger, '{ secret }')).body.data.secret).toBe('secret');
  });

  test('VISITOR_SESSION_EXPIRY is the default sessionExpiry of new passes', async () => {
    const app = await appWithEnv({ VISITOR_SESSION_EXPIRY: '900' });
    const { visitor } = await invite(app.agent(), {});
    expect(visitor.sessionExpiry).toBe(900);
  });

  test('VISITOR_QUERYSTRING_KEY: the link uses that key and the link handler honours it', async () => {
    const app = await appWithEnv({ VISITOR_QUERYSTRING_KEY: 'ref' });
    const { link, token } = await invite(app.agent(), {});
    expect(link).toBe(`${LINK_BASE_URL}?ref=${token}`);

    const stranger = app.agent();
    await stranger.get(`/reference?vuid=${token}`).expect(200, { visitor: null, error: null });

    const ginger = app.agent();
    const opened = await openLink(ginger, link);
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe('/reference');
    await ginger.get('/reference').expect(200, { visitor: 'Ginger Rogers', error: null });
  });

  test('explicit options beat the environment', async () => {
    const app = await appWithEnv(
      { VISITOR_SESSION_KEY: 'env:visitor', VISITOR_SESSION_EXPIRY: '900', VISITOR_QUERYSTRING_KEY: 'ref' },
      { sessionKey: 'option:visitor', sessionExpiry: 60, querystringKey: 'pass' },
    );
    const { link, token, visitor } = await invite(app.agent(), {});
    expect(link).toBe(`${LINK_BASE_URL}?pass=${token}`);
    expect(visitor.sessionExpiry).toBe(60);
    const ginger = app.agent();
    await openLink(ginger, link).expect(303);
    expect(await stashedKeys(ginger)).toEqual(['option:visitor']);
  });
});
