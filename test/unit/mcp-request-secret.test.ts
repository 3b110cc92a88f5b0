// `keyring-inject mcp` in-process: the MCP conversation (initialize, tools/list, tools/call,
// elicitation/create back to the client) over a pair of streams, the one-time page over real
// HTTP on 127.0.0.1, a memory keyring, a temporary project. Every bad input is refused, stores
// nothing, and the tool answers "not stored" and why.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claudePaths } from '../../src/core/paths.js';
import { MemoryBackend } from '../../src/keyring/memory.js';
import { startMcpServer } from '../../src/mcp/mcp-server.js';
import { submittedFromOwnPage } from '../../src/mcp/page-origin.js';
import { readAudit } from '../../src/core/audit-trail.js';
import { withReference } from '../../src/mcp/team-file-reference.js';
import { idFor } from '../../src/mcp/secrets.js';
import { projectSecretsContext } from '../../src/mcp/session-context.js';
import { approvalState, approve } from '../../src/sources/approval.js';
import { loadProjectFile } from '../../src/sources/team-file.js';
import { testSecret } from '../helpers/secret.js';

type Msg = { id?: number | string; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: unknown };

interface Client {
  call(method: string, params?: Record<string, unknown>): Promise<Msg>;
  /** The next elicitation/create the server sent (its params), and a way to answer it. */
  nextElicitation(): Promise<{ params: Record<string, unknown>; answer(action: string): void }>;
  notifications: Msg[];
  close(): void;
}

function connect(deps: Parameters<typeof startMcpServer>[2], capabilities: Record<string, unknown>): Client & { ready: Promise<Msg> } {
  const toServer = new PassThrough();
  const fromServer = new PassThrough();
  startMcpServer(toServer, fromServer, deps);
  let next = 100;
  const waiting = new Map<number | string, (m: Msg) => void>();
  const elicitations: Msg[] = [];
  const elicitWaiters: ((m: Msg) => void)[] = [];
  const notifications: Msg[] = [];
  let buf = '';
  fromServer.on('data', (c: Buffer) => {
    buf += c.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const msg = JSON.parse(buf.slice(0, i)) as Msg;
      buf = buf.slice(i + 1);
      if (msg.method === 'elicitation/create') {
        const w = elicitWaiters.shift();
        if (w) w(msg);
        else elicitations.push(msg);
      } else if (msg.method !== undefined) notifications.push(msg);
      else if (msg.id !== undefined) waiting.get(msg.id)?.(msg);
    }
  });
  const send = (m: Record<string, unknown>) => toServer.write(`${JSON.stringify({ jsonrpc: '2.0', ...m })}\n`);
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Msg>((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      send({ id, method, params });
    });
  const ready = call('initialize', { protocolVersion: '2025-11-25', capabilities, clientInfo: { name: 'test', version: '0' } });
  return {
    ready,
    call,
    notifications,
    nextElicitation: async () => {
      const msg = elicitations.shift() ?? (await new Promise<Msg>((r) => elicitWaiters.push(r)));
      return { params: msg.params ?? {}, answer: (action) => send({ id: msg.id, result: { action } }) };
    },
    close: () => toServer.end(),
  };
}

const textOf = (m: Msg) => ((m.result?.content as { text: string }[] | undefined) ?? []).map((c) => c.text).join('\n');

interface HttpAnswer {
  status: number;
  body: string;
  location?: string;
}
function http(url: string, opts: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: opts.method ?? 'GET', headers: { host: u.host, ...opts.headers } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, location: res.headers.location }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
const form = (value: string) => `value=${encodeURIComponent(value)}`;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('keyring-inject mcp', () => {
  let root: string;
  let project: string;
  let backend: MemoryBackend;
  let deps: Parameters<typeof startMcpServer>[2];
  let client: ReturnType<typeof connect> | undefined;
  const projectFile = () => join(project, '.claude', 'secrets.json');

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ki-mcp-'));
    const home = join(root, 'home');
    project = join(root, 'project');
    mkdirSync(home);
    mkdirSync(join(project, '.git'), { recursive: true });
    backend = new MemoryBackend();
    const env = { HOME: home };
    deps = { paths: claudePaths(env), env, projectDir: project, backend: () => backend, now: () => new Date(), version: '0.0.0-test' };
  });
  afterEach(() => {
    client?.close();
    client = undefined;
    rmSync(root, { recursive: true, force: true });
  });

  async function start(capabilities: Record<string, unknown> = { elicitation: { form: {}, url: {} } }) {
    client = connect(deps, capabilities);
    const init = await client.ready;
    expect(init.result?.protocolVersion).toBe('2025-11-25');
    return client;
  }

  /** request_secret up to the point where the client was asked to show the page. */
  async function ask(c: Client, name = 'CRM_API_KEY') {
    const result = c.call('tools/call', { name: 'request_secret', arguments: { name, purpose: 'to read contacts from the CRM API' } });
    const el = await c.nextElicitation();
    expect(el.params.mode).toBe('url');
    expect(el.params.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/s\/[A-Za-z0-9_-]{43}$/);
    return { result, el, url: el.params.url as string };
  }

  it('lists its two tools', async () => {
    const c = await start();
    const tools = (await c.call('tools/list')).result?.tools as { name: string }[];
    expect(tools.map((t) => t.name).sort()).toEqual(['list_secrets', 'request_secret']);
  });

  it('stores the submitted value in the keyring and the reference in .claude/secrets.json; the answer holds no value', async () => {
    const c = await start();
    const value = testSecret('crm');
    const { result, el, url } = await ask(c);
    el.answer('accept');
    const page = await http(url);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<form method="post"');
    expect(page.body).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);
    const posted = await http(url, { method: 'POST', body: form(value), headers: { ...FORM, origin: new URL(url).origin, 'sec-fetch-site': 'same-origin' } });
    // Post/Redirect/Get: the browser then GETs the "Stored" page, so a reload never posts again.
    expect(posted.status).toBe(303);
    expect(posted.location).toBe(new URL(url).pathname);
    const done = await http(url);
    expect(done.status).toBe(200);
    expect(done.body).toContain('Stored');
    expect(done.body).not.toContain('<form');
    const answer = await result;
    expect(textOf(answer)).toMatch(/^stored: CRM_API_KEY is in the OS keyring as crm-api-key/);
    expect(JSON.stringify(answer)).not.toContain(value);
    expect(await backend.get('crm-api-key')).toBe(value);
    expect(JSON.parse(readFileSync(projectFile(), 'utf8'))).toEqual({ CRM_API_KEY: { source: 'built-in', id: 'crm-api-key' } });
    expect(c.notifications.map((n) => n.method)).toContain('notifications/elicitation/complete');
    // Single use: the link takes nothing more, and the value stays what was submitted first.
    expect((await http(url, { method: 'POST', body: form('other'), headers: FORM })).status).toBe(410);
    expect(await backend.get('crm-api-key')).toBe(value);
  });

  it('next time, list_secrets names it as stored and request_secret does not ask again', async () => {
    await backend.set('crm-api-key', testSecret());
    mkdirSync(join(project, '.claude'));
    writeFileSync(projectFile(), JSON.stringify({ CRM_API_KEY: { source: 'built-in', id: 'crm-api-key' } }));
    const c = await start();
    const listed = textOf(await c.call('tools/call', { name: 'list_secrets', arguments: {} }));
    expect(listed).toContain('CRM_API_KEY: built-in crm-api-key, stored');
    const again = textOf(await c.call('tools/call', { name: 'request_secret', arguments: { name: 'CRM_API_KEY', purpose: 'x' } }));
    expect(again).toMatch(/^already stored: /);
    // The audit trail records the outcome by name.
    expect(readAudit(deps.paths).map((l) => [l.event, l.keys, l.outcome])).toEqual([['request_secret', ['CRM_API_KEY'], 'already-stored']]);
  });

  it('cancelled when the client declines (claude -p cancels every elicitation): nothing stored, the link dead', async () => {
    const c = await start();
    const { result, el, url } = await ask(c);
    el.answer('cancel');
    expect(textOf(await result)).toMatch(/^cancelled: /);
    await expect(http(url, { method: 'POST', body: form('late'), headers: FORM })).rejects.toThrow();
    expect(await backend.list()).toEqual([]);
    expect(existsSync(projectFile())).toBe(false);
    expect(readAudit(deps.paths).map((l) => [l.event, l.keys, l.outcome])).toEqual([['request_secret', ['CRM_API_KEY'], 'cancelled']]);
  });

  it('a client without URL elicitation gets the link in the result; the page still works once', async () => {
    const c = await start({});
    const answer = textOf(await c.call('tools/call', { name: 'request_secret', arguments: { name: 'CRM_API_KEY', purpose: 'p' } }));
    const url = /http:\/\/127\.0\.0\.1:\d+\/s\/\S+/.exec(answer)?.[0] as string;
    expect(answer).toMatch(/^waiting for the user: /);
    const value = testSecret();
    expect((await http(url, { method: 'POST', body: form(value), headers: FORM })).status).toBe(303);
    expect(await backend.get('crm-api-key')).toBe(value);
  });

  const BAD: [string, (url: string) => Promise<HttpAnswer>, RegExp][] = [
    ['a GET with the value in the query', (url) => http(`${url}?value=${encodeURIComponent('kitest-query-value')}`), /address/],
    ['an oversized body', (url) => http(url, { method: 'POST', body: form('x'.repeat(40_000)), headers: FORM }), /larger than 32 KiB/],
    ['a form on another origin', (url) => http(url, { method: 'POST', body: form('x'), headers: { ...FORM, origin: 'http://evil.example' } }), /another web site/],
    [
      'a form whose Origin is null (a sandboxed iframe, a file:// page)',
      (url) => http(url, { method: 'POST', body: form('x'), headers: { ...FORM, origin: 'null', 'sec-fetch-site': 'cross-site' } }),
      /another web site/,
    ],
    ['a form on another loopback port', (url) => http(url, { method: 'POST', body: form('x'), headers: { ...FORM, origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site' } }), /another web site/],
    [
      'a null Origin even when Sec-Fetch-Site says same-origin',
      (url) => http(url, { method: 'POST', body: form('x'), headers: { ...FORM, origin: 'null', 'sec-fetch-site': 'same-origin' } }),
      /another web site/,
    ],
    ['a cross-site fetch', (url) => http(url, { method: 'POST', body: form('x'), headers: { ...FORM, 'sec-fetch-site': 'cross-site' } }), /another web site/],
    ['another Host (DNS rebinding)', (url) => http(url, { method: 'POST', body: form('x'), headers: { ...FORM, host: `evil.example:${new URL(url).port}` } }), /another host name/],
    ['a non-form body', (url) => http(url, { method: 'POST', body: '{"value":"x"}', headers: { 'content-type': 'application/json' } }), /not a form post/],
  ];
  for (const [what, send, why] of BAD) {
    it(`refuses ${what}: nothing stored, the tool answers "not stored" and why`, async () => {
      const c = await start();
      const { result, el, url } = await ask(c);
      el.answer('accept');
      const res = await send(url);
      expect(res.status).toBeGreaterThanOrEqual(400);
      const answer = await result;
      expect(textOf(answer)).toMatch(/^not stored: /);
      expect(textOf(answer)).toMatch(why);
      expect(answer.result?.isError).toBe(true);
      expect(await backend.list()).toEqual([]);
      expect(existsSync(projectFile())).toBe(false);
      // And the real link is dead afterwards.
      await expect(http(url, { method: 'POST', body: form('x'), headers: FORM })).rejects.toThrow();
    });
  }

  it('a request with a wrong token (another program on this machine) does not end the page waiting for its user', async () => {
    const c = await start();
    const { result, el, url } = await ask(c);
    el.answer('accept');
    const wrong = url.replace(/\/s\/.{8}/, '/s/AAAAAAAA');
    expect((await http(wrong, { method: 'POST', body: form('x'), headers: FORM })).status).toBe(404);
    expect((await http(wrong)).status).toBe(404);
    expect((await http(`${new URL(url).origin}/s/`, { method: 'POST', body: form('x'), headers: { ...FORM, host: 'evil.example' } })).status).toBe(404);
    expect(await backend.list()).toEqual([]);
    // The page still takes the user's value.
    expect((await http(url)).status).toBe(200);
    const value = testSecret();
    expect((await http(url, { method: 'POST', body: form(value), headers: { ...FORM, origin: new URL(url).origin, 'sec-fetch-site': 'same-origin' } })).status).toBe(303);
    expect(textOf(await result)).toMatch(/^stored: /);
    expect(await backend.get('crm-api-key')).toBe(value);
  });

  it('expires: nothing stored, "not stored" with the reason', async () => {
    deps.pageTtlMs = 300;
    const c = await start();
    const { result, el, url } = await ask(c);
    el.answer('accept');
    const answer = textOf(await result);
    expect(answer).toMatch(/^not stored: the page expired/);
    await expect(http(url, { method: 'POST', body: form('late'), headers: FORM })).rejects.toThrow();
    expect(await backend.list()).toEqual([]);
  });

  it('ignores /favicon.ico; an empty value shows the form again without using the link', async () => {
    const c = await start();
    const { result, el, url } = await ask(c);
    el.answer('accept');
    expect((await http(`${new URL(url).origin}/favicon.ico`)).status).toBe(404);
    expect((await http(url, { method: 'POST', body: form(''), headers: FORM })).status).toBe(400);
    const value = testSecret();
    expect((await http(url, { method: 'POST', body: form(value), headers: FORM })).status).toBe(303);
    expect(textOf(await result)).toMatch(/^stored: /);
  });

  it('a file approved before stays approved with our entry; one the user never approved stays unapproved, and the answer says so', async () => {
    mkdirSync(join(project, '.claude'));
    writeFileSync(projectFile(), JSON.stringify({ OTHER: { source: 'doppler', id: 'OTHER', metadata: { project: 'p', config: 'dev' } } }, null, 2));
    const where = { root: project, file: projectFile() };
    await approve(deps.paths, await loadProjectFile(where), new Date());
    const c = await start();
    const first = await ask(c);
    first.el.answer('accept');
    await http(first.url, { method: 'POST', body: form(testSecret()), headers: FORM });
    expect(textOf(await first.result)).not.toContain('keyring-inject allow');
    expect((await approvalState(deps.paths, where)).state).toBe('approved');
    expect(textOf(await c.call('tools/call', { name: 'list_secrets', arguments: {} }))).not.toContain('not approved');

    // Someone else edits the file (a pull): our next entry does not approve their change.
    writeFileSync(projectFile(), JSON.stringify({ ...JSON.parse(readFileSync(projectFile(), 'utf8')), EVIL: { source: 'env-file', id: 'X', metadata: { path: '.env' } } }, null, 2));
    const second = await ask(c, 'MAIL_TOKEN');
    second.el.answer('accept');
    await http(second.url, { method: 'POST', body: form(testSecret()), headers: FORM });
    const answer = textOf(await second.result);
    expect(answer).toMatch(/^stored: /);
    expect(answer).toContain(`run 'keyring-inject allow ${project}' in a terminal`);
    expect((await approvalState(deps.paths, where)).state).toBe('changed');
    expect(JSON.parse(readFileSync(projectFile(), 'utf8')).MAIL_TOKEN).toEqual({ source: 'built-in', id: 'mail-token' });
    expect(textOf(await c.call('tools/call', { name: 'list_secrets', arguments: {} }))).toContain('not approved on this machine since it changed');
  });

  it('SessionStart names the project secrets (never a value) and says when the file is not approved', async () => {
    expect(await projectSecretsContext(deps.paths, project)).toBeUndefined();
    mkdirSync(join(project, '.claude'));
    writeFileSync(projectFile(), JSON.stringify({ CRM_API_KEY: { source: 'built-in', id: 'crm-api-key' } }));
    const unapproved = await projectSecretsContext(deps.paths, join(project));
    expect(unapproved).toContain('names these secrets (values are never shown): CRM_API_KEY (built-in crm-api-key)');
    expect(unapproved).toContain('not approved on this machine');
    await approve(deps.paths, await loadProjectFile({ root: project, file: projectFile() }), new Date());
    const approved = await projectSecretsContext(deps.paths, project);
    expect(approved).toContain('keyring-inject run [--only NAME,...] -- COMMAND');
    expect(approved).toContain('Do not ask the user for a key listed here');
  });

  it('SessionStart and list_secrets say which keys are placeholder keys, and how to use them', async () => {
    mkdirSync(join(project, '.claude'));
    writeFileSync(projectFile(), JSON.stringify({ CRM_API_KEY: { source: 'built-in', id: 'crm-api-key', hosts: ['api.crm.example'] }, DB_URL: { source: 'built-in', id: 'db' } }));
    await approve(deps.paths, await loadProjectFile({ root: project, file: projectFile() }), new Date());
    const context = await projectSecretsContext(deps.paths, project);
    expect(context).toContain('CRM_API_KEY (built-in crm-api-key; placeholder key for api.crm.example)');
    expect(context).toContain('DB_URL (built-in db)');
    expect(context).toContain('CRM_API_KEY is a placeholder key: under keyring-inject run, the variable holds a placeholder');
    const c = await start();
    const listed = textOf(await c.call('tools/call', { name: 'list_secrets', arguments: {} }));
    expect(listed).toContain('CRM_API_KEY: built-in crm-api-key, NOT stored (call request_secret), placeholder key for api.crm.example');
    expect(listed).toMatch(/DB_URL: built-in db, NOT stored \(call request_secret\)\n/);
    expect(listed).toContain('CRM_API_KEY is a placeholder key');
  });

  it('refuses names that are not variable names, and does not run outside a project', async () => {
    const c = await start();
    const bad = await c.call('tools/call', { name: 'request_secret', arguments: { name: 'rm -rf', purpose: 'x' } });
    expect(textOf(bad)).toMatch(/^not stored: the name must be an environment variable name/);
    deps.projectDir = deps.env.HOME as string;
    const home = await c.call('tools/call', { name: 'request_secret', arguments: { name: 'X_KEY', purpose: 'x' } });
    expect(textOf(home)).toMatch(/^not stored: Claude Code runs in .*, not in a project/);
  });
});

describe('which POSTs come from the page itself (headers measured in Chromium 156 and Firefox ESR 153)', () => {
  const port = 41234;
  const own = `http://127.0.0.1:${port}`;
  it.each([
    ['its own form (Referrer-Policy same-origin)', { origin: own, 'sec-fetch-site': 'same-origin' }, true],
    ['its own form opened as localhost', { origin: `http://localhost:${port}`, 'sec-fetch-site': 'same-origin' }, true],
    ['a program that is not a browser (curl)', {}, true],
    ['its own form under Referrer-Policy no-referrer (Origin null)', { origin: 'null', 'sec-fetch-site': 'same-origin' }, false],
    ['another loopback port', { origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site' }, false],
    ['localhost on another port', { origin: 'http://localhost:1', 'sec-fetch-site': 'cross-site' }, false],
    ['a sandboxed iframe', { origin: 'null', 'sec-fetch-site': 'cross-site' }, false],
    ['a file:// page', { origin: 'null', 'sec-fetch-site': 'cross-site' }, false],
    ['another site, Origin stripped by a proxy', { 'sec-fetch-site': 'cross-site' }, false],
    ['an old browser without Sec-Fetch-Site on another site', { origin: 'http://evil.example' }, false],
  ])('%s', (_what, headers, ok) => {
    expect(submittedFromOwnPage(headers, port)).toBe(ok);
  });
});

describe('request_secret helpers', () => {
  it('derives the proposal-style id', () => {
    expect(idFor('CRM_API_KEY')).toBe('crm-api-key');
    expect(idFor('_X__Y_')).toBe('x-y');
  });
  it('adds the reference and keeps the other entries', () => {
    const before = JSON.stringify({ OTHER: { source: 'doppler', id: 'OTHER', metadata: { project: 'p' } } }, null, 2);
    const after = JSON.parse(withReference(before, 'CRM_API_KEY', 'crm-api-key') as string);
    expect(after).toEqual({ OTHER: { source: 'doppler', id: 'OTHER', metadata: { project: 'p' } }, CRM_API_KEY: { source: 'built-in', id: 'crm-api-key' } });
    expect(withReference(JSON.stringify(after), 'CRM_API_KEY', 'crm-api-key')).toBeUndefined();
  });
});
