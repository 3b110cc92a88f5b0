// The one-time secret page (request_secret) in the real browsers Debian ships: Chromium and
// Firefox ESR, each a person typing into the page. The value goes into a real gnome-keyring and is
// read back with secret-tool. Forms on other origins (another loopback port, a sandboxed iframe,
// a file:// page) are refused even when they know the link, and nothing is stored.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OsKeyringBackend } from '../../src/keyring/os-keyring.js';
import { openSecretPage, type PageOutcome, type SecretPage } from '../../src/mcp/secret-page.js';
import { type BrowserName, launchBrowser, type TestBrowser } from '../helpers/browsers.js';
import { HAVE_SECRET_SERVICE, secretToolLookup, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';

const REQUEST = { name: 'CRM_API_KEY', id: 'crm-api-key', purpose: 'to read contacts from the CRM API', recordedIn: '.claude/secrets.json' };

/** A page whose store() writes to the real keyring and counts its calls. */
async function openPage(backend: OsKeyringBackend, id: string): Promise<{ page: SecretPage; stores: () => number }> {
  let stores = 0;
  const page = await openSecretPage({ ...REQUEST, id }, async (value) => {
    stores++;
    await backend.set(id, value);
  });
  return { page, stores: () => stores };
}

const settledWithin = (p: Promise<PageOutcome>, ms: number) => Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))]);

/** An attacker's web site on another loopback port: /form posts to `target`, /sandbox does it from a sandboxed (null-origin) iframe. */
async function startAttacker(): Promise<{ origin: string; target: { url: string }; close(): Promise<void> }> {
  const target = { url: '' };
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    const form = `<form id="f" method="post" action="${target.url}"><input name="value" value="attacker-chosen"><button id="go">go</button></form>`;
    if (req.url === '/sandbox') res.end(`<iframe sandbox="allow-forms allow-scripts" srcdoc="${form.replace(/"/g, '&quot;')}<script>document.getElementById('f').submit()</script>"></iframe>`);
    else res.end(`<!doctype html><html><body>${form}</body></html>`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    target,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe.runIf(HAVE_SECRET_SERVICE).each<BrowserName>(['chromium', 'firefox'])('the secret page in %s (real browser, real keyring)', (name) => {
  const service = testService();
  const backend = new OsKeyringBackend('secret-service', service, process.env);
  let browser: TestBrowser;
  let attacker: Awaited<ReturnType<typeof startAttacker>>;
  let dir: string;

  beforeAll(async () => {
    browser = await launchBrowser(name);
    attacker = await startAttacker();
    dir = mkdtempSync(join(tmpdir(), 'ki-page-'));
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await attacker?.close();
    rmSync(dir, { recursive: true, force: true });
    for (const id of await backend.list()) await backend.delete(id);
  });

  it('renders with its styles, takes what a person types into the keyring, and shows no value afterwards', async () => {
    const id = `typed-${name}`;
    const { page, stores } = await openPage(backend, id);
    const tab = await browser.newPage();
    expect(await tab.goto(page.url)).toBe(200);
    expect(await tab.text()).toContain('Store CRM_API_KEY in your OS keyring');
    // The inline style applies (the CSP allows it): 38em of 16px.
    expect(await tab.evaluate<string>('getComputedStyle(document.body).maxWidth')).toBe('608px');
    const value = testSecret('page');
    await tab.type('#value', value);
    await tab.clickAndWait('button[type=submit]');
    expect(await tab.text()).toMatch(/Stored\s+CRM_API_KEY is in your OS keyring/);
    expect(await page.outcome).toEqual({ kind: 'stored' });
    expect(secretToolLookup(service, id)).toBe(value);
    expect(await tab.dom()).not.toContain(value);

    // The "Stored" page came by a redirect (a GET): a reload reads it again instead of posting the
    // form again, and going back finds no form holding the value. Nothing is stored twice.
    await tab.reload();
    expect(await tab.text()).toMatch(/Stored\s+CRM_API_KEY is in your OS keyring/);
    expect(await tab.dom()).not.toContain(value);
    await tab.goBack();
    expect(await tab.dom()).not.toContain(value);
    expect(await tab.evaluate<number>('document.querySelectorAll("form").length')).toBe(0);
    expect(stores()).toBe(1);
    expect(secretToolLookup(service, id)).toBe(value);
  });

  it('refuses a form on another loopback port that knows the link; nothing is stored', async () => {
    const id = `cross-port-${name}`;
    const { page, stores } = await openPage(backend, id);
    attacker.target.url = page.url;
    const tab = await browser.newPage();
    await tab.goto(`${attacker.origin}/form`);
    await tab.clickAndWait('#go');
    expect(await tab.text()).toContain('Nothing was stored');
    expect(await page.outcome).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/another web site/) });
    expect(stores()).toBe(0);
    expect(secretToolLookup(service, id)).toBeUndefined();
  });

  it('refuses a form in a sandboxed (null-origin) iframe; nothing is stored', async () => {
    const id = `sandbox-${name}`;
    const { page, stores } = await openPage(backend, id);
    attacker.target.url = page.url;
    const tab = await browser.newPage();
    await tab.goto(`${attacker.origin}/sandbox`);
    expect(await settledWithin(page.outcome, 20_000)).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/another web site/) });
    expect(stores()).toBe(0);
    expect(secretToolLookup(service, id)).toBeUndefined();
  });

  it('refuses a form on a file:// page; nothing is stored', async () => {
    const id = `file-${name}`;
    const { page, stores } = await openPage(backend, id);
    const file = join(dir, `${name}.html`);
    writeFileSync(file, `<form id="f" method="post" action="${page.url}"><input name="value" value="attacker-chosen"><button id="go">go</button></form>`);
    const tab = await browser.newPage();
    await tab.goto(`file://${file}`);
    await tab.clickAndWait('#go');
    expect(await page.outcome).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/another web site/) });
    expect(stores()).toBe(0);
    expect(secretToolLookup(service, id)).toBeUndefined();
  });
});
