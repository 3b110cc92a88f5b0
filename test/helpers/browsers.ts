// The real browsers Debian ships, driven from npm libraries, for tests that play a person at a
// page: Chromium (/usr/bin/chromium) through playwright-core, Firefox ESR (/usr/bin/firefox-esr)
// through puppeteer-core over WebDriver BiDi (playwright-core drives only its own patched Firefox
// build: a stock one fails to launch with -juggler-pipe). Neither library downloads a browser.
// Each browser gets a fresh profile and HOME in a temp directory, removed by close().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';
export const FIREFOX = '/usr/bin/firefox-esr';

export type BrowserName = 'chromium' | 'firefox';

/** The few things a test does with a page, the same for both libraries. */
export interface TestPage {
  goto(url: string): Promise<number | undefined>;
  /** Types as a person does (key events), into the element `selector` names. */
  type(selector: string, text: string): Promise<void>;
  /** Clicks and waits for the page the click leads to. */
  clickAndWait(selector: string): Promise<void>;
  /** The page's visible text. */
  text(): Promise<string>;
  /** The page's current DOM (serialised), with every form field's current value. */
  dom(): Promise<string>;
  evaluate<T>(fn: string): Promise<T>;
  /** Resolves when the navigation ends, whatever it ended with (an error page included). */
  reload(): Promise<void>;
  goBack(): Promise<void>;
  url(): string;
}

export interface TestBrowser {
  name: BrowserName;
  newPage(): Promise<TestPage>;
  close(): Promise<void>;
}

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// The DOM with the live values of inputs (a typed value lives in the property, not the attribute).
const DOM_WITH_VALUES = `(() => [document.documentElement.outerHTML, ...[...document.querySelectorAll('input,textarea')].map((e) => e.value)].join('\\n'))()`;

function browserEnv(home: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('DBUS_')) env[k] = v;
  // The browser keeps its caches and any keyring of its own away from the test's HOME and D-Bus.
  return { ...env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache'), XDG_DATA_HOME: join(home, '.local/share') };
}

export async function launchBrowser(name: BrowserName): Promise<TestBrowser> {
  const dir = mkdtempSync(join(tmpdir(), `ki-${name}-`));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    return name === 'chromium' ? await launchChromium(dir, cleanup) : await launchFirefox(dir, cleanup);
  } catch (err) {
    cleanup();
    throw err;
  }
}

async function launchChromium(dir: string, cleanup: () => void): Promise<TestBrowser> {
  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    env: browserEnv(dir),
    timeout: 60_000,
  });
  return {
    name: 'chromium',
    async newPage() {
      const page = await context.newPage();
      const settle = (p: Promise<unknown>) =>
        p.then(
          () => undefined,
          () => undefined,
        );
      return {
        goto: async (url) => (await page.goto(url))?.status(),
        type: (selector, text) => page.locator(selector).pressSequentially(text),
        clickAndWait: async (selector) => {
          await Promise.all([page.waitForEvent('framenavigated'), page.click(selector, { noWaitAfter: true })]);
          await page.waitForLoadState('load');
        },
        text: () => page.evaluate('document.body.innerText') as Promise<string>,
        dom: () => page.evaluate(DOM_WITH_VALUES),
        evaluate: (fn) => page.evaluate(fn),
        reload: () => settle(page.reload()),
        goBack: () => settle(page.goBack()),
        url: () => page.url(),
      };
    },
    async close() {
      await context.close().catch(() => undefined);
      cleanup();
    },
  };
}

async function launchFirefox(dir: string, cleanup: () => void): Promise<TestBrowser> {
  const puppeteer = (await import('puppeteer-core')).default;
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    userDataDir: join(dir, 'profile'),
    env: browserEnv(dir),
    timeout: 60_000,
  });
  return {
    name: 'firefox',
    async newPage() {
      const page = await browser.newPage();
      const settle = (p: Promise<unknown>) =>
        p.then(
          () => undefined,
          () => undefined,
        );
      return {
        goto: async (url) => (await page.goto(url))?.status(),
        type: (selector, text) => page.type(selector, text),
        clickAndWait: async (selector) => {
          await Promise.all([page.waitForNavigation(), page.click(selector)]);
        },
        text: () => page.evaluate('document.body.innerText') as Promise<string>,
        dom: () => page.evaluate(DOM_WITH_VALUES) as Promise<string>,
        evaluate: <T>(fn: string) => page.evaluate(fn) as Promise<T>,
        reload: () => settle(page.reload({ timeout: 15_000 })),
        goBack: () => settle(page.goBack({ timeout: 15_000 })),
        url: () => page.url(),
      };
    },
    async close() {
      await browser.close().catch(() => undefined);
      cleanup();
    },
  };
}
