import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '../../support/kubelab-serve.ts';

// Debian's Chromium driven by playwright-core (Playwright's own browser download cannot
// be reached from here). Screenshots are kept under test-results/screenshots as the
// suite's artifacts.

export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-results', 'screenshots');

function chromiumPath(): string {
  return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim();
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Opens the GUI line `kubelab serve` printed exactly as printed, as a person pastes it. */
export async function openGui(browser: Browser, printedGuiUrl: string): Promise<Page> {
  // A context of its own, as a browser window: a second tab is page.context().newPage().
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const errors: string[] = [];
  consoleErrorsByPage.set(page, errors);
  // What a person would see as red lines in the browser's console (the browser's own
  // requests such as the favicon's show only here, not as page responses).
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.goto(printedGuiUrl);
  return page;
}

const consoleErrorsByPage = new WeakMap<Page, string[]>();

/** The errors the page's console showed so far (failed loads, uncaught exceptions), with where they came from. */
export function consoleErrors(page: Page): string[] {
  return [...(consoleErrorsByPage.get(page) ?? [])];
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
