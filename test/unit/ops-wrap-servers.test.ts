// The wrap and unwrap use cases on their own: when running sessions need telling (the report's
// `reconnect`), and that servers are taken one at a time, so a bad name stops the run where it
// stands with the servers before it done.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unwrapServers } from '../../src/ops/unwrap-servers.js';
import { wrapServers } from '../../src/ops/wrap-servers.js';
import { makeContext } from '../helpers/context.js';
import { CLI } from '../helpers/spawn-cli.js';
import { makeTempHome, type TempHome } from '../helpers/temp-home.js';

let t: TempHome;
const cfgPath = () => join(t.home, '.claude.json');
const stdio = (pkg: string) => ({ type: 'stdio', command: 'npx', args: ['-y', pkg], env: {} });

beforeEach(() => {
  t = makeTempHome({ KEYRING_INJECT_CLI: CLI });
  writeFileSync(cfgPath(), `${JSON.stringify({ mcpServers: { github: stdio('server-github'), linear: stdio('server-linear') }, projects: {} }, null, 2)}\n`);
});
afterEach(() => t.cleanup());

const ctx = () => makeContext(t.env, t.home).ctx;
const request = (names: string[], dryRun = false) => ({ names, scope: undefined, project: undefined, dryRun });
const wrappedCommand = (server: string) => JSON.parse(readFileSync(cfgPath(), 'utf8')).mcpServers[server].command;

describe('wrapServers', () => {
  it('asks for a reconnect only when a config changed: not on a dry run, not when every server was already wrapped', async () => {
    const before = readFileSync(cfgPath(), 'utf8');
    const dry = await wrapServers(ctx(), request(['github'], true));
    expect(dry).toMatchObject({ reconnect: false, servers: [{ server: 'github', outcome: 'wrapped' }] });
    expect(readFileSync(cfgPath(), 'utf8')).toBe(before);

    const first = await wrapServers(ctx(), request(['github']));
    expect(first).toMatchObject({ reconnect: true, servers: [{ server: 'github', outcome: 'wrapped' }] });
    expect(wrappedCommand('github')).toBe(process.execPath);

    const again = await wrapServers(ctx(), request(['github']));
    expect(again).toMatchObject({ reconnect: false, servers: [{ server: 'github', outcome: 'unchanged' }] });
    const mixed = await wrapServers(ctx(), request(['github', 'linear']));
    expect(mixed.reconnect).toBe(true);
    expect(mixed.servers.map((r) => r.outcome)).toEqual(['unchanged', 'wrapped']);
  });

  it('a bad name stops the run where it stands: the servers named before it are wrapped, those after it untouched', async () => {
    await expect(wrapServers(ctx(), request(['github', 'bad\u0001name', 'linear']))).rejects.toMatchObject({ code: 'usage', message: expect.stringMatching(/^invalid server name/) });
    expect(wrappedCommand('github')).toBe(process.execPath);
    expect(wrappedCommand('linear')).toBe('npx');
  });
});

describe('unwrapServers', () => {
  it('restores each named server byte for byte and reports a server that was not wrapped', async () => {
    const before = readFileSync(cfgPath(), 'utf8');
    await wrapServers(ctx(), request(['github']));
    const reports = await unwrapServers(ctx(), request(['github', 'linear']));
    expect(reports.map((r) => [r.server, r.outcome])).toEqual([
      ['github', 'unwrapped'],
      ['linear', 'not-wrapped'],
    ]);
    expect(readFileSync(cfgPath(), 'utf8')).toBe(before);
  });
});
