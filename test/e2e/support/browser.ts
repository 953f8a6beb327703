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
  await page.goto(printedGuiUrl);
  return page;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
