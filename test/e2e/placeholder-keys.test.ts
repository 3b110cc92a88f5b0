// e2e
// A placeholder key with the REAL Claude Code client, offline: the fake model runs
// `keyring-inject run -- ./client.sh`, a script that calls a loopback HTTPS "CRM API" with the
// key and prints what it used and what the API echoed. The API receives the value; the model
// sees only the placeholder (not even a masked value: the script never had one); no request to
// the model and no file under the temp tree holds the value.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllClaude, makeClaudeHome, runClaude, type ClaudeHome } from '../helpers/claude/home.js';
import { DEFAULT_FAKE_TEXT, startFakeApi, toolResults, type FakeApi, type FakeReply } from '../helpers/claude/fake-api.js';
import { selfSignedCert, startStub, type Stub } from '../helpers/http-stub.js';
import { filesContaining } from '../helpers/leak.js';
import { HAVE_SECRET_SERVICE, testService } from '../helpers/secret-service.js';
import { testSecret } from '../helpers/secret.js';
import { CLI, runCli } from '../helpers/spawn-cli.js';

const tool = (id: string, name: string, input: Record<string, unknown>): FakeReply => ({ type: 'tool_use', id, name, input });
const LIST = 'mcp__keyring-inject__list_secrets';

let scene: { api?: FakeApi; crm?: Stub; home?: ClaudeHome } = {};
afterEach(async () => {
  killAllClaude();
  await scene.api?.close();
  await scene.crm?.close();
  await scene.home?.cleanup();
  scene = {};
});

describe.runIf(HAVE_SECRET_SERVICE)('a placeholder key with the real client', () => {
  it('the model runs keyring-inject run -- ./client.sh: the API gets the value, the model and every file only the placeholder', async () => {
    const value = testSecret('crm');
    const service = testService();
    const home = makeClaudeHome({ extraConfig: { customApiKeyResponses: { approved: ['test-key'], rejected: [] } } });
    scene.home = home;
    const cert = selfSignedCert(home.outsideDir, 'crm');
    const crm = await startStub(cert);
    scene.crm = crm;
    const ids = { list: 'toolu_list', run: 'toolu_run' };
    const api = await startFakeApi({
      replies: [tool(ids.list, LIST, {}), tool(ids.run, 'Bash', { command: 'keyring-inject run -- ./client.sh', description: 'fetch contacts' }), { type: 'text', text: DEFAULT_FAKE_TEXT }],
    });
    scene.api = api;
    fs.mkdirSync(path.join(home.projectDir, '.git'));
    // A script the model could have written: uses the key, and prints it (it can only print the placeholder).
    const client = path.join(home.projectDir, 'client.sh');
    fs.writeFileSync(client, `#!/bin/sh\necho "key in use: $CRM_API_KEY"\ncurl -sS -H "Authorization: Bearer $CRM_API_KEY" https://localhost:${crm.port}/contacts\n`);
    fs.chmodSync(client, 0o755);
    const bin = path.join(home.outsideDir, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(CLI, path.join(bin, 'keyring-inject'));
    const PATH = `${bin}:${path.dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`;
    // The stub's certificate is trusted as a corporate CA would be: the proxy's upstream CA file
    // in our data directory (and NODE_EXTRA_CA_CERTS of the session).
    fs.mkdirSync(path.join(home.home, '.claude', 'keyring-inject', 'proxy'), { recursive: true });
    fs.copyFileSync(cert.certFile, path.join(home.home, '.claude', 'keyring-inject', 'proxy', 'upstream-ca.pem'));
    const cliEnv = { HOME: home.home, PATH, DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS ?? '', KEYRING_INJECT_SERVICE: service, NO_COLOR: '1', NODE_EXTRA_CA_CERTS: cert.certFile };

    const add = await runCli(['add', 'crm', '--server', 'crm', '--env', 'CRM_API_KEY', '--host', `localhost:${crm.port}`, '--stdin'], { env: cliEnv, input: value });
    expect(add.code, add.stderr).toBe(0);
    const inst = await runCli(['install', '--json'], { env: cliEnv });
    expect(inst.code, inst.stderr).toBe(0);

    const res = await runClaude(home, ['-p', 'fetch the CRM contacts', '--allowedTools', LIST, 'Bash'], { api, env: cliEnv, timeoutMs: 90_000 });
    expect(res.code, res.stderr).toBe(0);
    const results = toolResults(api);
    expect(results.get(ids.list)?.text).toContain('placeholder key for localhost:');
    const run = results.get(ids.run);
    expect(run?.isError, run?.text).toBe(false);
    const placeholder = /key in use: (kiph_[0-9a-f]{48})/.exec(run?.text ?? '')?.[1];
    expect(placeholder, run?.text).toBeDefined();
    // The API saw the value; its echo reached the model as the placeholder.
    expect(crm.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${value}`]);
    expect(run?.text).toContain(`"got":"Bearer ${placeholder}"`);

    const received = api.allReceivedText();
    for (const form of [value, JSON.stringify(value).slice(1, -1)]) expect(received.includes(form)).toBe(false);
    expect(filesContaining(value, [home.root])).toEqual([]);
  }, 150_000);
});
