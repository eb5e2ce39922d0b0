import { dialects, type TestDatabase } from './support/databases';
import { invite, openLink, type TestApp, openTestApp, closeTestApp, passRow } from './support/app';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/** Unfurlers, crawlers and mail scanners that open links before (or instead of) the person. */
const PREVIEW_AGENTS: Array<[string, string]> = [
  ['Slack', 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)'],
  ['Facebook', 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)'],
  ['Twitter', 'Twitterbot/1.0'],
  ['LinkedIn', 'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)'],
  ['Discord', 'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)'],
  ['WhatsApp', 'WhatsApp/2.23.20.0 A'],
  ['Telegram', 'TelegramBot (like TwitterBot)'],
  ['Google', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'],
  ['Bing', 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)'],
  ['Outlook', `${CHROME} Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)`],
  ['Office link check', 'Mozilla/4.0 (compatible; ms-office; MSOffice 16)'],
];

describe.each(dialects)('link previews never redeem (%s)', (dialect) => {
  let db: TestDatabase;
  let app: TestApp;
  beforeAll(async () => ({ db, app } = await openTestApp(dialect)));
  afterAll(() => closeTestApp(app, db));

  const useCountOf = async (id: string) => (await passRow(app, id)).useCount;

  test.each(PREVIEW_AGENTS)('%s preview: no redemption, no use counted; the person then redeems', async (_name, userAgent) => {
    const invitation = await invite(app.agent(), { maxUses: 1 });
    const preview = await openLink(app.agent(), invitation.link).set('user-agent', userAgent);
    expect(preview.status).toBe(200);
    expect(preview.body).toEqual({ visitor: null, error: null });
    expect(await useCountOf(invitation.visitor.id)).toBe(0);

    const person = await openLink(app.agent(), invitation.link).set('user-agent', CHROME);
    expect(person.status).toBe(303);
    expect(await useCountOf(invitation.visitor.id)).toBe(1);
  });

  test('a HEAD request from a browser never redeems', async () => {
    const invitation = await invite(app.agent(), { maxUses: 1 });
    const url = new URL(invitation.link);
    const head = await app.agent().head(url.pathname + url.search).set('user-agent', CHROME);
    expect(head.status).toBe(200);
    expect(head.headers.location).toBeUndefined();
    expect(await useCountOf(invitation.visitor.id)).toBe(0);
    expect(await app.pass.models.VisitorLog.count({ where: { visitorId: invitation.visitor.id } })).toBe(0);
  });
});

describe.each(dialects)('the isLinkPreview option replaces the check (%s)', (dialect) => {
  let db: TestDatabase;
  let app: TestApp;
  beforeAll(async () => ({ db, app } = await openTestApp(dialect, { pass: { isLinkPreview: (req) => req.get('x-preview') === '1' } })));
  afterAll(() => closeTestApp(app, db));

  const useCountOf = async (id: string) => (await passRow(app, id)).useCount;

  test('a request the host calls a preview does not redeem, even from a browser', async () => {
    const invitation = await invite(app.agent(), {});
    const preview = await openLink(app.agent(), invitation.link).set('user-agent', CHROME).set('x-preview', '1');
    expect(preview.status).toBe(200);
    expect(await useCountOf(invitation.visitor.id)).toBe(0);
  });

  test('an agent the default check would refuse redeems when the host says it is no preview', async () => {
    const invitation = await invite(app.agent(), {});
    const opened = await openLink(app.agent(), invitation.link).set('user-agent', PREVIEW_AGENTS[0][1]);
    expect(opened.status).toBe(303);
    expect(await useCountOf(invitation.visitor.id)).toBe(1);
  });
});
