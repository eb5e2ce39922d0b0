import { copyFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createReferenceApp, type InvitationMail, type ReferenceApp } from '../examples/reference-request/app';
import {
  browserSuiteMode,
  CHROMIUM,
  launchBrowser,
  launchProfile,
  newProfileDir,
  personUserAgent,
  removeProfiles,
  screenshot,
} from './support/browser';
import { createTestDatabase, type TestDatabase } from './support/databases';
import { freePort } from './support/example-process';

/**
 * The Fred & Ginger web app in a real Chromium: cookies, redirects, the back
 * button, closing the browser and a forwarded link, as a person meets them.
 */

const mode = browserSuiteMode();
if (mode === 'skip') {
  process.stderr.write(`browser: skipped (no Chromium at ${CHROMIUM}; VISITOR_PASS_TEST_BROWSER=required makes this a failure)\n`);
}

const DOCS = resolve(__dirname, '..', 'docs');
const VIEWPORT = { width: 1024, height: 720 };
const MESSAGE = 'Would you write me a <b>reference</b> for the dance school?';

(mode === 'run' ? describe : describe.skip)('the reference-request web app in Chromium', () => {
  jest.setTimeout(30_000);
  let db: TestDatabase;
  let reference: ReferenceApp;
  let base: string;
  const mailed: InvitationMail[] = [];
  const open: Array<Browser | BrowserContext> = [];
  let userAgent: string;

  /** A fresh browser with nothing in it: a different person, or the same person on another machine. */
  async function freshBrowser(): Promise<Page> {
    const browser = await launchBrowser();
    open.push(browser);
    userAgent ??= personUserAgent(browser.version());
    const context = await browser.newContext({ viewport: VIEWPORT, userAgent });
    context.setDefaultTimeout(8_000);
    return context.newPage();
  }

  /** A browser with a profile on disk: `close()` and `launchProfile(dir)` again is closing and reopening it. */
  async function profileBrowser(dir: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await launchProfile(dir, { userAgent, viewport: VIEWPORT });
    open.push(context);
    context.setDefaultTimeout(8_000);
    const page = context.pages()[0] ?? (await context.newPage());
    return { context, page };
  }

  /**
   * Checks what every page must have, then screenshots it: a label for every
   * field, nothing loaded from elsewhere, no token anywhere outside the outbox.
   */
  async function checkPage(page: Page, name: string, options: { docs?: string; tokenAllowed?: boolean } = {}): Promise<void> {
    // Runs in the page (this file is compiled without the DOM library, hence `any`).
    const unlabelled = await page.evaluate(() => {
      const doc = (globalThis as any).document;
      return Array.from(doc.querySelectorAll('input:not([type=hidden]), textarea, select') as ArrayLike<any>)
        .filter((field) => !field.labels?.length)
        .map((field) => field.outerHTML as string);
    });
    expect(unlabelled).toEqual([]);
    const external = await page.evaluate(() => {
      const doc = (globalThis as any).document;
      return Array.from(doc.querySelectorAll('link[href], script[src], img[src], iframe[src]') as ArrayLike<any>)
        .map((element) => (element.href || element.src) as string)
        .filter((url) => new URL(url).origin !== (globalThis as any).location.origin);
    });
    expect(external).toEqual([]);
    if (!options.tokenAllowed) {
      expect(await page.content()).not.toMatch(/vuid=/);
      expect(page.url()).not.toMatch(/vuid=/);
    }
    const path = await screenshot(page, name);
    if (options.docs && process.env.VISITOR_PASS_DOCS_SCREENSHOTS === '1') {
      mkdirSync(DOCS, { recursive: true });
      copyFileSync(path, join(DOCS, options.docs));
    }
  }

  /** The link of the newest mail to `email`, as the outbox shows it. */
  function linkFor(email: string): string {
    const mail = [...mailed].reverse().find((m) => m.to.includes(`<${email}>`));
    if (!mail) throw new Error(`no mail to ${email}`);
    return /(http:\/\/\S+)/.exec(mail.text)![1];
  }

  async function logIn(page: Page, email: string, password: string): Promise<void> {
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/(home|staff)$/);
  }

  /** Fred fills the request form: the link can be opened `uses` times, access lasts `session`. */
  async function invite(page: Page, who: { first: string; last: string; email: string }, uses: string, session: string): Promise<string> {
    await page.goto(`${base}/home`);
    await page.getByLabel('First name').fill(who.first);
    await page.getByLabel('Last name').fill(who.last);
    await page.getByLabel('Email', { exact: true }).fill(who.email);
    await page.getByLabel('Message').fill(`A reference for Fred, ${who.first}?`);
    await page.getByLabel('The link can be opened').selectOption({ label: uses });
    await page.getByLabel('Once opened, their access lasts').selectOption({ label: session });
    const sent = page.waitForResponse((r) => r.url() === `${base}/invitations`);
    await page.getByRole('button', { name: 'Send the request' }).click();
    const answer = await sent;
    expect(answer.status()).toBe(303);
    await page.waitForURL(`${base}/home`);
    await expect(page.locator('.flash').textContent()).resolves.toContain(`Your request was sent to ${who.first} ${who.last} <${who.email}>`);
    return linkFor(who.email);
  }

  const h1 = (page: Page) => page.locator('h1').first().textContent();
  const reasonCode = (page: Page) => page.locator('.reason').getAttribute('data-code');

  let fred: Page;
  let ginger: Page;
  let gingerLink: string;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    const port = await freePort();
    reference = await createReferenceApp({
      databaseUrl: db.url,
      port,
      linkBaseUrl: `http://localhost:${port}/reference`,
      sessionSecret: 'browser-test-secret',
      sendMail: (mail) => mailed.push(mail),
      devOutbox: true,
    });
    base = await reference.start();
    fred = await freshBrowser();
  });

  afterAll(async () => {
    for (const browser of open.reverse()) await browser.close().catch(() => undefined);
    await reference?.stop();
    await db?.drop();
    removeProfiles();
  });

  test('the whole story, click by click: Fred invites, Ginger writes, reviews and submits, Fred reads it and the visits', async () => {
    // Fred logs in with the keyboard only: type, Enter.
    await fred.goto(`${base}/`);
    await fred.waitForURL(`${base}/login`);
    await checkPage(fred, '01-login');
    await fred.getByLabel('Email').focus();
    await fred.keyboard.type('fred@example.com');
    await fred.keyboard.press('Tab');
    await expect(fred.evaluate(() => (globalThis as any).document.activeElement?.id as string)).resolves.toBe('password');
    await fred.keyboard.type('fred');
    await fred.keyboard.press('Enter');
    await fred.waitForURL(`${base}/home`);
    expect(await h1(fred)).toBe('Hello Fred Astaire');

    // The request: name, email, message; a confirmation, and the mail in the dev outbox.
    await fred.getByLabel('First name').fill('Ginger');
    await fred.getByLabel('Last name').fill('Rogers');
    await fred.getByLabel('Email', { exact: true }).fill('ginger@example.com');
    await fred.getByLabel('Message').fill(MESSAGE);
    await fred.getByLabel('The link can be opened').selectOption({ label: 'Up to 3 times' });
    await checkPage(fred, '02-home-request-form');
    await fred.getByRole('button', { name: 'Send the request' }).click();
    await fred.waitForURL(`${base}/home`);
    expect(await fred.locator('.flash').textContent()).toContain('Your request was sent to Ginger Rogers <ginger@example.com>');
    expect(await fred.locator('tr[data-pass] .status').first().textContent()).toBe('Active');
    await checkPage(fred, '03-home-confirmation');

    await fred.getByRole('link', { name: 'Outbox (dev)' }).click();
    const mail = fred.locator('article.mail').first();
    expect(await mail.textContent()).toContain('Ginger Rogers <ginger@example.com>');
    gingerLink = (await mail.locator('a.mail-link').getAttribute('href'))!;
    expect(gingerLink).toMatch(/^http:\/\/localhost:\d+\/reference\?vuid=[\w-]{43}$/);
    expect(gingerLink).toBe(linkFor('ginger@example.com'));
    await checkPage(fred, '04-outbox', { tokenAllowed: true, docs: 'outbox.png' });

    // Ginger opens the link in her own browser: redeemed, redirected without the token, greeted by name.
    ginger = (await profileBrowser(newProfileDir())).page;
    const opened = await ginger.goto(gingerLink);
    expect(ginger.url()).toBe(`${base}/reference`);
    expect(opened!.status()).toBe(200);
    expect(await h1(ginger)).toBe('Hello Ginger Rogers');
    expect(await ginger.locator('blockquote').textContent()).toBe(MESSAGE); // escaped, shown as text
    await checkPage(ginger, '05-landing', { docs: 'landing.png' });

    // Write: a draft saved, then found again after a reload.
    await ginger.getByRole('link', { name: 'Write your reference' }).click();
    await ginger.waitForURL(`${base}/reference/write`);
    await ginger.getByLabel('Your reference').fill('Fred is');
    await ginger.getByRole('button', { name: 'Save draft' }).click();
    await ginger.waitForURL(`${base}/reference/write`);
    expect(await ginger.locator('.flash').textContent()).toBe('Draft saved.');
    await ginger.reload();
    expect(await ginger.getByLabel('Your reference').inputValue()).toBe('Fred is');
    await ginger.getByLabel('Your reference').fill('Fred is light on his feet and always on time.');
    await checkPage(ginger, '06-form-write');
    await ginger.getByRole('button', { name: 'Save and review' }).click();

    // Review: the saved draft, a rating chosen with the keyboard.
    await ginger.waitForURL(`${base}/reference/review`);
    expect(await ginger.locator('#draft-text').textContent()).toBe('Fred is light on his feet and always on time.');
    await ginger.getByRole('button', { name: 'Submit reference' }).click(); // no rating yet: the browser asks for one
    expect(ginger.url()).toBe(`${base}/reference/review`);
    await ginger.getByLabel('4').focus();
    await ginger.keyboard.press('ArrowRight');
    expect(await ginger.getByLabel('5 (excellent)').isChecked()).toBe(true);
    await checkPage(ginger, '07-form-review', { docs: 'form-review.png' });
    await ginger.getByRole('button', { name: 'Submit reference' }).click();

    // Submitted: thanks, and her access has ended.
    await ginger.waitForURL(`${base}/reference/thanks`);
    expect(await h1(ginger)).toBe('Thank you, Ginger Rogers');
    expect(await ginger.textContent('main')).toContain('Your access has ended');
    await checkPage(ginger, '08-thanks');

    // Fred sees the reference, and the pass's visits: time, event, address, agent, never the token.
    await fred.getByRole('link', { name: 'My requests' }).click();
    await fred.waitForURL(`${base}/home`);
    expect(await fred.locator('article.reference').first().textContent()).toContain('Fred is light on his feet and always on time.');
    expect(await fred.locator('article.reference').first().textContent()).toContain('rating 5 of 5');
    expect(await fred.locator('tr[data-pass] .status').first().textContent()).toBe('Completed');
    await checkPage(fred, '09-home-reference', { docs: 'home-reference.png' });
    await fred.getByRole('link', { name: 'Ginger Rogers' }).click();
    await fred.waitForURL(/\/passes\/[\w-]+$/);
    const visits = fred.locator('tbody tr');
    const events = await visits.evaluateAll((rows) => rows.map((row) => row.querySelector('.event')?.textContent));
    expect(events).toEqual(expect.arrayContaining(['REDEEMED', 'ACCESS', 'ENDED']));
    const redeemed = fred.locator('tbody tr', { hasText: 'REDEEMED' });
    expect(await redeemed.locator('td').nth(3).textContent()).toMatch(/127\.0\.0\.1|::1/);
    expect(await redeemed.locator('td.agent').textContent()).toContain('Chrome');
    expect(await redeemed.locator('td').nth(2).textContent()).toBe('GET /reference');
    expect(await fred.content()).not.toContain(new URL(gingerLink).searchParams.get('vuid')!);
    await checkPage(fred, '10-visits', { docs: 'visits.png' });
  });

  test('the back button after submit does not regain access, nor does the link', async () => {
    await ginger.goBack();
    expect(ginger.url()).toBe(`${base}/reference/review`);
    expect(await ginger.textContent('main')).toContain('This page is for invited visitors');
    expect(await ginger.getByRole('button', { name: 'Submit reference' }).count()).toBe(0);
    await ginger.goBack();
    expect(ginger.url()).toBe(`${base}/reference/write`);
    expect(await ginger.getByLabel('Your reference').count()).toBe(0);
    await checkPage(ginger, '11-back-after-submit');
    await ginger.goForward();
    await ginger.goForward();
    expect(await ginger.textContent('main')).not.toContain('Thank you'); // the note is shown once
    await ginger.goto(gingerLink);
    expect(await reasonCode(ginger)).toBe('VISITOR_PASS_REVOKED');
    expect(ginger.url()).toBe(gingerLink); // a refused link is not redirected
  });

  test('closing the browser ends a visit whose sessionExpiry is 0; a pass with sessionExpiry > 0 survives it', async () => {
    const cydLink = await invite(fred, { first: 'Cyd', last: 'Charisse', email: 'cyd@example.com' }, 'Any number of times', 'Until she closes the browser');
    const annLink = await invite(fred, { first: 'Ann', last: 'Miller', email: 'ann@example.com' }, 'Any number of times', 'For 1 day, even if the browser is closed');

    const cydDir = newProfileDir();
    const annDir = newProfileDir();
    for (const [dir, link, name] of [[cydDir, cydLink, 'Cyd Charisse'], [annDir, annLink, 'Ann Miller']] as const) {
      const { context, page } = await profileBrowser(dir);
      await page.goto(link);
      expect(await h1(page)).toBe(`Hello ${name}`);
      const [cookie] = (await context.cookies(base)).filter((c) => c.name === 'reference.sid');
      if (name === 'Cyd Charisse') expect(cookie.expires).toBe(-1); // a session cookie
      else expect(cookie.expires * 1000).toBeGreaterThan(Date.now() + 23 * 3600 * 1000);
      await context.close(); // the person closes the browser
    }

    const cyd = await profileBrowser(cydDir);
    await cyd.page.goto(`${base}/reference`);
    expect(await cyd.page.textContent('main')).toContain('This page is for invited visitors');
    expect((await cyd.context.cookies(base)).filter((c) => c.name === 'reference.sid')).toEqual([]);
    await checkPage(cyd.page, '12-browser-closed-session-0');

    const ann = await profileBrowser(annDir);
    await ann.page.goto(`${base}/reference`);
    expect(await h1(ann.page)).toBe('Hello Ann Miller');
    await checkPage(ann.page, '13-browser-reopened-persistent');
  });

  test('a 1-use link opened in a second browser gets the used-up page; the first browser keeps its visit', async () => {
    const link = await invite(fred, { first: 'Vera', last: 'Ellen', email: 'vera@example.com' }, 'Once', 'Until she closes the browser');
    const vera = await freshBrowser();
    await vera.goto(link);
    expect(await h1(vera)).toBe('Hello Vera Ellen');

    const forwarded = await freshBrowser();
    const response = await forwarded.goto(link);
    expect(response!.status()).toBe(403);
    expect(await reasonCode(forwarded)).toBe('VISITOR_PASS_USED_UP');
    expect(await forwarded.textContent('main')).toContain('already been used as many times as it allows');
    await checkPage(forwarded, '14-used-up', { tokenAllowed: true });

    await vera.reload();
    expect(await h1(vera)).toBe('Hello Vera Ellen');
    await fred.goto(`${base}/home`);
    expect(await fred.locator('tr[data-pass]', { hasText: 'Vera Ellen' }).locator('.status').textContent()).toBe('Used up');
  });

  test('staff revoke while Ginger is mid-form: her next step shows the revoked page; a reissued link lets her back to her draft', async () => {
    const link = await invite(fred, { first: 'Eleanor', last: 'Powell', email: 'eleanor@example.com' }, 'Up to 3 times', 'Until she closes the browser');
    const eleanor = await freshBrowser();
    await eleanor.goto(link);
    await eleanor.getByRole('link', { name: 'Write your reference' }).click();
    await eleanor.getByLabel('Your reference').fill('Fred taps like');
    await eleanor.getByRole('button', { name: 'Save draft' }).click();
    await eleanor.waitForURL(`${base}/reference/write`);
    await eleanor.getByLabel('Your reference').fill('Fred taps like thunder.');

    const staff = await freshBrowser();
    await logIn(staff, 'staff@example.com', 'staff');
    expect(staff.url()).toBe(`${base}/staff`);
    const row = staff.locator('tr[data-pass]', { hasText: 'Eleanor Powell' });
    expect(await row.locator('.status').textContent()).toBe('Active');
    expect(await row.locator('td').nth(1).textContent()).toBe('Fred Astaire');
    expect(await row.locator('td').nth(3).textContent()).toBe('1 of 3');
    expect(await row.locator('td').nth(4).textContent()).toMatch(/UTC/); // last seen
    expect(await staff.locator('tr[data-pass]', { hasText: 'Ginger Rogers' }).locator('.status').textContent()).toBe('Completed');
    await checkPage(staff, '15-staff', { docs: 'staff.png' });
    await row.getByRole('button', { name: 'Revoke the pass of Eleanor Powell' }).click();
    await staff.waitForURL(`${base}/staff`);
    expect(await staff.locator('.flash').textContent()).toContain('The pass of Eleanor Powell is revoked');
    expect(await staff.locator('tr[data-pass]', { hasText: 'Eleanor Powell' }).locator('.status').textContent()).toBe('Revoked');

    // Her next step: the revoked page, not an error.
    const next = eleanor.waitForResponse((r) => r.url() === `${base}/reference/write` && r.request().method() === 'POST');
    await eleanor.getByRole('button', { name: 'Save and review' }).click();
    expect((await next).status()).toBe(401);
    expect(await reasonCode(eleanor)).toBe('VISITOR_PASS_REVOKED');
    expect(await eleanor.textContent('main')).toContain('This link is no longer active');
    await checkPage(eleanor, '16-revoked', { docs: 'revoked.png' });
    await eleanor.goto(`${base}/reference/write`);
    expect(await eleanor.textContent('main')).toContain('This page is for invited visitors');

    // Staff reissue: a new mail in the outbox; the old link is dead, the new one opens her saved draft.
    await staff.locator('tr[data-pass]', { hasText: 'Eleanor Powell' }).getByRole('button', { name: 'Reissue the link of Eleanor Powell' }).click();
    await staff.waitForURL(`${base}/staff`);
    expect(await staff.locator('.flash').textContent()).toContain('A new link was mailed to Eleanor Powell');
    await staff.getByRole('link', { name: 'Outbox (dev)' }).click();
    const newest = staff.locator('article.mail').first();
    expect(await newest.locator('h2').textContent()).toBe('Your new link for the reference request');
    const newLink = (await newest.locator('a.mail-link').getAttribute('href'))!;
    expect(newLink).not.toBe(link);
    expect(newLink).toBe(linkFor('eleanor@example.com'));

    await eleanor.goto(link);
    expect(await reasonCode(eleanor)).toBe('VISITOR_PASS_NOT_FOUND');
    await eleanor.goto(newLink);
    expect(await h1(eleanor)).toBe('Hello Eleanor Powell');
    await eleanor.getByRole('link', { name: 'Continue your reference' }).click();
    expect(await eleanor.getByLabel('Your reference').inputValue()).toBe('Fred taps like');
  });

  test('an expired link shows the expired page', async () => {
    const link = await invite(fred, { first: 'Rita', last: 'Hayworth', email: 'rita@example.com' }, 'Up to 3 times', 'Until she closes the browser');
    const id = reference.outbox!.list()[0].visitorId;
    await reference.pass.models.Visitor.update({ expiresAt: new Date(Date.now() - 1000) }, { where: { id } });
    const rita = await freshBrowser();
    const response = await rita.goto(link);
    expect(response!.status()).toBe(401);
    expect(await reasonCode(rita)).toBe('VISITOR_PASS_EXPIRED');
    expect(await rita.textContent('main')).toContain('This link has expired');
    await checkPage(rita, '17-expired', { tokenAllowed: true });
    await fred.goto(`${base}/home`);
    expect(await fred.locator('tr[data-pass]', { hasText: 'Rita Hayworth' }).locator('.status').textContent()).toBe('Expired');
  });

  test('a form posted without the session’s CSRF token is refused, and nothing is created', async () => {
    const before = await reference.pass.models.Visitor.count();
    const forged = await fred.request.post(`${base}/invitations`, {
      form: { firstName: 'Mallory', lastName: 'X', email: 'mallory@example.com', message: 'hi', maxUses: '', sessionExpiry: '0' },
    });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain('This form has expired');
    expect(await reference.pass.models.Visitor.count()).toBe(before);
  });
});
