import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); CI installs it. */
export const CHROMIUM = process.env.VISITOR_PASS_CHROMIUM || '/usr/bin/chromium';

/** Headless, no sandbox (containers), nothing that phones home. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const SCREENSHOTS = resolve(__dirname, '..', '..', 'test-results', 'screenshots');

/**
 * Whether the browser suite runs. Without Chromium it is skipped with one
 * line, unless VISITOR_PASS_TEST_BROWSER=required (CI): then it runs and
 * fails at launch, saying why.
 */
export function browserSuiteMode(): 'run' | 'skip' {
  if (process.env.VISITOR_PASS_TEST_BROWSER === 'required') return 'run';
  if (process.env.VISITOR_PASS_TEST_BROWSER === 'skip') return 'skip';
  return existsSync(CHROMIUM) ? 'run' : 'skip';
}

async function launchFailed(error: unknown): Promise<never> {
  throw new Error(
    `Chromium could not be launched from ${CHROMIUM} (VISITOR_PASS_TEST_BROWSER=${process.env.VISITOR_PASS_TEST_BROWSER ?? 'unset'}): ${(error as Error).message}`,
  );
}

/**
 * Headless Chromium says "HeadlessChrome" in its User-Agent, and isbot (the
 * pass's link-preview check) rightly treats that as a robot that must not
 * redeem a link. The people in these tests use an ordinary Chrome: the same
 * browser, with the User-Agent a headed one sends.
 */
export function personUserAgent(version: string): string {
  return `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${version} Safari/537.36`;
}

/** A fresh browser (its own temporary profile): new contexts from it share nothing. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS }).catch(launchFailed);
}

/**
 * A browser with a profile on disk, as a person's: closing it and launching
 * again with the same `userDataDir` keeps the persistent cookies and drops the
 * session cookies, which is what "closing the browser" means.
 */
export async function launchProfile(userDataDir: string, options: { userAgent?: string; viewport?: { width: number; height: number } } = {}): Promise<BrowserContext> {
  return chromium
    .launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, ...options })
    .catch(launchFailed);
}

/** A new empty profile directory; `removeProfiles()` deletes them all. */
const profiles: string[] = [];
export function newProfileDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'visitor-pass-chromium-'));
  profiles.push(dir);
  return dir;
}
export function removeProfiles(): void {
  for (const dir of profiles.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png (not committed). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
